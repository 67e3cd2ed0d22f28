import * as vscode from 'vscode';
import { DisposableStore } from '../disposableStore';
import { commandIds } from '../ids';
import type { BlockOutcomeKind } from './blockOutcome';
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
    }
    return lenses;
  }

  dispose(): void {
    this.store.dispose();
  }
}
