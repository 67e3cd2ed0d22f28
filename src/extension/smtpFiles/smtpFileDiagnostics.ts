import * as vscode from 'vscode';
import { DisposableStore, toDisposable } from '../disposableStore';
import { diagnosticCollectionName, languageIds } from '../ids';
import type { ParsedSmtpDocuments } from './parsedSmtpDocuments';
import type { SmtpDocumentProblem } from '../../core/smtpFile/smtpDocument';

const severities: Record<SmtpDocumentProblem['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
};

/** Long enough to let a burst of typing settle, short enough to feel live. */
const refreshDelayMs = 250;

/**
 * Problems in the text of .smtp files (unknown directives, undefined variables, DATA without its ".", a
 * credential written in the file), where the user types them rather than as an error after Send. A
 * collection of its own: the transcript diagnostics judge what a server answered, these what the user wrote.
 */
export class SmtpFileDiagnostics implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly collection = this.store.add(vscode.languages.createDiagnosticCollection(`${diagnosticCollectionName}.smtpFiles`));
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly parsed: ParsedSmtpDocuments) {
    const listeners = this.store.listenerArray;
    this.store.add(toDisposable(() => this.pending.forEach((timer) => clearTimeout(timer))));
    vscode.workspace.onDidOpenTextDocument(this.refresh, this, listeners);
    vscode.workspace.onDidChangeTextDocument((event) => this.scheduleRefresh(event.document), this, listeners);
    vscode.workspace.onDidCloseTextDocument((document) => this.collection.delete(document.uri), this, listeners);
    // The .smtp file that activated the extension was opened before these listeners existed.
    vscode.workspace.textDocuments.forEach((document) => this.refresh(document));
  }

  /** Every open .smtp document again (the environment changed, so a variable may now be defined). */
  refreshAll(): void {
    vscode.workspace.textDocuments.forEach((document) => this.refresh(document));
  }

  dispose(): void {
    this.store.dispose();
  }

  private scheduleRefresh(document: vscode.TextDocument): void {
    if (document.languageId !== languageIds.smtp) {
      return;
    }
    const key = document.uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        if (!document.isClosed) {
          this.refresh(document);
        }
      }, refreshDelayMs),
    );
  }

  private refresh(document: vscode.TextDocument): void {
    if (document.languageId !== languageIds.smtp) {
      return;
    }
    const diagnostics = this.parsed.get(document).problems.map((problem) => {
      const range = new vscode.Range(problem.line, problem.startColumn, problem.line, problem.endColumn);
      const diagnostic = new vscode.Diagnostic(range, problem.message, severities[problem.severity]);
      diagnostic.code = problem.code;
      diagnostic.source = 'SMTP Relay Lab';
      return diagnostic;
    });
    this.collection.set(document.uri, diagnostics);
  }
}
