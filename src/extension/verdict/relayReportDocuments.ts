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

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  dispose(): void {
    this.store.dispose();
  }
}
