import * as vscode from 'vscode';
import { DisposableStore } from '../disposableStore';
import { relayReportScheme } from '../ids';

/**
 * Read-only virtual documents for relay results: the Markdown verdict ("Show Relay Verdict") and the text
 * report of the last suite run. Each is one document whose text is replaced by the next run, so an open
 * preview follows the latest verdict and nothing piles up.
 */
export class RelayReportDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  static readonly verdictUri = vscode.Uri.from({ scheme: relayReportScheme, path: '/Relay Verdict.md' });
  static readonly suiteReportUri = vscode.Uri.from({ scheme: relayReportScheme, path: '/Relay Suite Report.txt' });

  private readonly store = new DisposableStore();
  private readonly texts = new Map<string, string>();
  private readonly changeEmitter = this.store.add(new vscode.EventEmitter<vscode.Uri>());

  readonly onDidChange = this.changeEmitter.event;

  constructor() {
    this.store.add(vscode.workspace.registerTextDocumentContentProvider(relayReportScheme, this));
  }

  update(uri: vscode.Uri, text: string): void {
    if (this.texts.get(uri.toString()) === text) {
      return;
    }
    this.texts.set(uri.toString(), text);
    this.changeEmitter.fire(uri);
  }

  /**
   * update(), then waits until an open copy of the document shows the new text: VS Code refreshes it only
   * after handling the change event, so a report shown right away could still be the previous run's.
   */
  async updateAndSettle(uri: vscode.Uri, text: string): Promise<void> {
    const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
    if (!open || open.getText() === text) {
      this.update(uri, text);
      return;
    }
    const settled = new Promise<void>((resolve) => {
      const listeners = [
        vscode.workspace.onDidChangeTextDocument((event) => {
          if (event.document.uri.toString() === uri.toString() && event.document.getText() === text) {
            done();
          }
        }),
        // Closed meanwhile: the next open asks the provider, which has the new text.
        vscode.workspace.onDidCloseTextDocument((document) => {
          if (document.uri.toString() === uri.toString()) {
            done();
          }
        }),
      ];
      const done = (): void => {
        listeners.forEach((listener) => listener.dispose());
        resolve();
      };
    });
    this.update(uri, text);
    await settled;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  dispose(): void {
    this.store.dispose();
  }
}
