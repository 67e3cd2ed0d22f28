import * as vscode from 'vscode';
import { contextKeys } from '../ids';
import type { RelayVerdictRecord } from './relayVerdictRecord';

/**
 * The last relay verdict of this window, whichever face produced it (the Test Explorer, Run Relay Suite,
 * or a session terminal's /test runs). "Show Relay Verdict" reads it; the
 * `smtpRelayLab.hasVerdict` context key follows it.
 */
export class RelayVerdicts implements vscode.Disposable {
  private lastRecord: RelayVerdictRecord | undefined;
  private readonly publishEmitter = new vscode.EventEmitter<RelayVerdictRecord>();

  /** Fires after a run finished and its verdict became the last one. */
  readonly onDidPublish = this.publishEmitter.event;

  get last(): RelayVerdictRecord | undefined {
    return this.lastRecord;
  }

  publish(record: RelayVerdictRecord): void {
    this.lastRecord = record;
    void vscode.commands.executeCommand('setContext', contextKeys.hasVerdict, true);
    this.publishEmitter.fire(record);
  }

  dispose(): void {
    this.publishEmitter.dispose();
  }
}
