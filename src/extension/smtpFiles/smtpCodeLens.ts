import * as vscode from 'vscode';
import { replyInOneLine, textInOneLine } from '../../core/smtpFile/expectations';
import { DisposableStore } from '../disposableStore';
import { commandIds } from '../ids';
import type { ExpectationVerdict } from '../../core/smtpFile/blockVerdicts';
import type { BlockOutcomeKind } from '../../core/smtpFile/blockOutcome';
import type { ParsedSmtpDocuments } from './parsedSmtpDocuments';
import type { SmtpFileSessions } from './smtpFileSessions';

const outcomeIcons: Record<BlockOutcomeKind, string> = {
  relayed: '$(error)',
  'ndr-pending': '$(warning)',
  rejected: '$(circle-slash)',
  accepted: '$(check)',
  stopped: '$(debug-disconnect)',
};

/**
 * Above each block: "Send" (or "Sending…" while it runs) and what its last run came to; above the first
 * block also "Run file". As REST Client does for HTTP requests, with the server's answer in view.
 */
export class SmtpCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly changeEmitter = this.store.add(new vscode.EventEmitter<void>());

  readonly onDidChangeCodeLenses = this.changeEmitter.event;

  constructor(
    private readonly parsed: ParsedSmtpDocuments,
    private readonly sessions: SmtpFileSessions,
  ) {
    sessions.onDidChange(() => this.changeEmitter.fire(), this, this.store.listenerArray);
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const { blocks } = this.parsed.get(document);
    const state = this.sessions.stateOf(document.uri);
    const lenses: vscode.CodeLens[] = [];
    for (const block of blocks) {
      const range = new vscode.Range(block.startLine, 0, block.startLine, 0);
      const running = state?.isRunning(block.index) ?? false;
      lenses.push(
        new vscode.CodeLens(range, {
          title: running ? '$(sync~spin) Sending…' : '$(play) Send',
          tooltip: running ? 'Waiting for the server' : `Send block ${block.index + 1} on this file's connection`,
          command: commandIds.sendBlock,
          arguments: [document.uri, block.index],
        }),
      );
      if (block.index === 0) {
        lenses.push(
          new vscode.CodeLens(range, {
            title: '$(run-all) Run file',
            tooltip: 'Send every block, in order, on one connection',
            command: commandIds.runFile,
            arguments: [document.uri],
          }),
        );
      }
      const outcome = state?.outcomes.get(block.index);
      if (outcome && !running) {
        // No command: a lens that only informs; the tooltip holds the classifier's whole sentence.
        lenses.push(new vscode.CodeLens(range, { title: `${outcomeIcons[outcome.kind]} ${outcome.label}`, tooltip: outcome.detail, command: '' }));
      }
      const verdicts = state?.verdicts.get(block.index)?.expectations ?? [];
      if (verdicts.length > 0 && !running) {
        lenses.push(new vscode.CodeLens(range, { ...expectationLens(verdicts), command: '' }));
      }
    }
    return lenses;
  }

  dispose(): void {
    this.store.dispose();
  }
}

/** ✓ when every `# @expect` of the block held, else ✗ with the first that failed: what was expected and the reply. */
function expectationLens(verdicts: readonly ExpectationVerdict[]): { title: string; tooltip: string } {
  const tooltip = verdicts.map((verdict) => `${verdict.passed ? '✓' : '✗'} line ${verdict.line + 1}: ${verdict.message}`).join('\n');
  const failed = verdicts.find((verdict) => !verdict.passed);
  if (!failed) {
    return { title: `✓ ${verdicts.length === 1 ? `@expect ${verdicts[0].expected}` : `${verdicts.length} expectations`} held`, tooltip };
  }
  const actual = failed.actual ? replyInOneLine(failed.actual, 80) : 'no reply';
  const others = verdicts.filter((verdict) => !verdict.passed).length - 1;
  // Server text is data: "$(" would be read as an icon in a CodeLens title.
  const title = `✗ @expect ${textInOneLine(failed.expected, 60)}: got ${actual}${others > 0 ? ` (+${others} more)` : ''}`.replace(/\$\(/g, '$ (');
  return { title, tooltip };
}
