import * as vscode from 'vscode';
import { contextKeys, testResultContextKey } from '../ids';
import type { RelayVerdictRecord } from './relayVerdictRecord';

/**
 * The last relay verdict of this window, whichever face produced it (the Test Explorer, Run Relay Suite,
 * or a session terminal's /test runs). "Show Relay Verdict" reads it; the
 * `smtpRelayLab.hasVerdict` context key follows it, and each test whose result arrived sets its own
 * `smtpRelayLab.testResult.<id>` key, on which its walkthrough step completes.
 */
export class RelayVerdicts implements vscode.Disposable {
  private lastRecord: RelayVerdictRecord | undefined;
  private readonly testsWithResult = new Set<string>();
  private readonly publishEmitter = new vscode.EventEmitter<RelayVerdictRecord>();

  /** Fires after a run finished and its verdict became the last one. */
  readonly onDidPublish = this.publishEmitter.event;

  get last(): RelayVerdictRecord | undefined {
    return this.lastRecord;
  }

  /** The tests whose result arrived in this window, from any face: the walkthrough steps they completed. */
  get testsWithResults(): ReadonlySet<string> {
    return this.testsWithResult;
  }

  publish(record: RelayVerdictRecord): void {
    this.lastRecord = record;
    void vscode.commands.executeCommand('setContext', contextKeys.hasVerdict, true);
    for (const test of record.report.tests) {
      if (!this.testsWithResult.has(test.id)) {
        this.testsWithResult.add(test.id);
        void vscode.commands.executeCommand('setContext', testResultContextKey(test.id), true);
      }
    }
    this.publishEmitter.fire(record);
  }

  dispose(): void {
    this.publishEmitter.dispose();
  }
}
