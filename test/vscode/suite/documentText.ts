import * as vscode from 'vscode';

/**
 * The text of a virtual document once it matches: an open document shows a provider's new text only after
 * VS Code has handled the change event, so a test waits for that event instead of for time.
 */
export async function textOnceItMatches(uri: vscode.Uri, pattern: RegExp): Promise<string> {
  const changed = new Promise<void>((resolve) => {
    const listener = vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.document.uri.toString() === uri.toString() && pattern.test(event.document.getText())) {
        listener.dispose();
        resolve();
      }
    });
  });
  const document = await vscode.workspace.openTextDocument(uri);
  if (!pattern.test(document.getText())) {
    await changed;
  }
  return document.getText();
}
