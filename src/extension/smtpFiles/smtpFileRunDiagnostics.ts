import * as vscode from 'vscode';
import { DisposableStore } from '../disposableStore';
import { diagnosticCodes, diagnosticCollectionName, languageIds } from '../ids';
import type { JudgedBlock } from '../../core/smtpFile/fileRun';
import type { SmtpDocumentProblem } from '../../core/smtpFile/smtpDocument';

/**
 * What the last run of a .smtp file found in it: an Error on each command whose reply failed its
 * `# @expect` (with the reply), and a Warning on a MAIL the server refused as nested, with a quick fix that
 * inserts RSET before it. Cleared when the file is edited (the lines may have moved) or closed.
 */
export class SmtpFileRunDiagnostics implements vscode.Disposable, vscode.CodeActionProvider {
  static readonly providedCodeActionKinds = [vscode.CodeActionKind.QuickFix];
  private readonly store = new DisposableStore();
  private readonly collection = this.store.add(vscode.languages.createDiagnosticCollection(`${diagnosticCollectionName}.smtpFileRuns`));
  /** Problems only a run can find: a directive whose `{{$processEnv NAME}}` is not set, say. */
  private readonly runProblems = this.store.add(vscode.languages.createDiagnosticCollection(`${diagnosticCollectionName}.smtpFileRunProblems`));

  constructor() {
    const listeners = this.store.listenerArray;
    vscode.workspace.onDidChangeTextDocument(
      (event) => {
        if (event.contentChanges.length > 0) {
          this.collection.delete(event.document.uri);
          this.runProblems.delete(event.document.uri);
        }
      },
      this,
      listeners,
    );
    vscode.workspace.onDidCloseTextDocument(
      (document) => {
        this.collection.delete(document.uri);
        this.runProblems.delete(document.uri);
      },
      this,
      listeners,
    );
    this.store.add(
      vscode.languages.registerCodeActionsProvider({ language: languageIds.smtp }, this, {
        providedCodeActionKinds: SmtpFileRunDiagnostics.providedCodeActionKinds,
      }),
    );
  }

  /** Replaces what the blocks of this run said (other blocks keep theirs). */
  show(document: vscode.TextDocument, blocks: readonly JudgedBlock[], blockLines: ReadonlyMap<number, { startLine: number; endLine: number }>): void {
    const ranBlocks = blocks.filter((block) => block.ran);
    const kept = (this.collection.get(document.uri) ?? []).filter(
      (diagnostic) => !ranBlocks.some((block) => {
        const lines = blockLines.get(block.index);
        return lines !== undefined && diagnostic.range.start.line >= lines.startLine && diagnostic.range.start.line <= lines.endLine;
      }),
    );
    const found: vscode.Diagnostic[] = [];
    for (const block of ranBlocks) {
      for (const verdict of block.expectations.filter((candidate) => !candidate.passed)) {
        const diagnostic = new vscode.Diagnostic(lineRange(document, verdict.commandLine), `@expect ${verdict.expected} failed: ${verdict.message}`, vscode.DiagnosticSeverity.Error);
        diagnostic.code = diagnosticCodes.expectationFailed;
        diagnostic.source = 'SMTP Relay Lab';
        diagnostic.relatedInformation = [
          new vscode.DiagnosticRelatedInformation(new vscode.Location(document.uri, lineRange(document, verdict.line)), `# @expect ${verdict.expected}`),
        ];
        found.push(diagnostic);
      }
      for (const finding of block.missingRset) {
        const diagnostic = new vscode.Diagnostic(lineRange(document, finding.line), finding.message, vscode.DiagnosticSeverity.Warning);
        diagnostic.code = diagnosticCodes.missingRset;
        diagnostic.source = 'SMTP Relay Lab';
        found.push(diagnostic);
      }
    }
    this.collection.set(document.uri, [...kept, ...found]);
  }

  /**
   * The errors that stopped a run and that the parse made while typing could not see, since they depend on
   * the run's values (an unset `{{$processEnv NAME}}` in `# @target`): Errors where they are written, until
   * the next run or edit. An empty list clears them.
   */
  showRunProblems(document: vscode.TextDocument, problems: readonly SmtpDocumentProblem[]): void {
    this.runProblems.set(
      document.uri,
      problems.map((problem) => {
        const diagnostic = new vscode.Diagnostic(new vscode.Range(problem.line, problem.startColumn, problem.line, problem.endColumn), problem.message, vscode.DiagnosticSeverity.Error);
        diagnostic.code = problem.code;
        diagnostic.source = 'SMTP Relay Lab';
        return diagnostic;
      }),
    );
  }

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    return context.diagnostics
      .filter((diagnostic) => diagnostic.code === diagnosticCodes.missingRset)
      .map((diagnostic) => {
        const line = document.lineAt(diagnostic.range.start.line);
        const indent = line.text.slice(0, line.firstNonWhitespaceCharacterIndex);
        const action = new vscode.CodeAction('Insert RSET before MAIL FROM', vscode.CodeActionKind.QuickFix);
        action.edit = new vscode.WorkspaceEdit();
        action.edit.insert(document.uri, new vscode.Position(line.lineNumber, 0), `${indent}RSET${document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n'}`);
        action.diagnostics = [diagnostic];
        action.isPreferred = true;
        return action;
      });
  }

  dispose(): void {
    this.store.dispose();
  }
}

function lineRange(document: vscode.TextDocument, line: number): vscode.Range {
  const text = document.lineAt(Math.min(line, document.lineCount - 1));
  return new vscode.Range(text.lineNumber, text.firstNonWhitespaceCharacterIndex, text.lineNumber, text.text.trimEnd().length);
}
