import * as vscode from 'vscode';
import { contextKeys, testResultContextKey } from '../ids';
import type { DomainVerdictRecord, RelayVerdictRecord, ShownVerdictRecord } from './relayVerdictRecord';

/**
 * The last relay verdict of this window, whichever face produced it (the Test Explorer, Run Relay Suite,
 * or a session terminal's /test runs). "Show Relay Verdict" reads `latest`, a host's run or a mail domain's; the
 * `smtpRelayLab.hasVerdict` context key follows it, and each test whose result arrived sets its own
 * `smtpRelayLab.testResult.<id>` key, on which its walkthrough step completes.
 */
export class RelayVerdicts implements vscode.Disposable {
  private lastRecord: RelayVerdictRecord | undefined;
  private latestRecord: ShownVerdictRecord | undefined;
  private readonly testsWithResult = new Set<string>();
  private readonly publishEmitter = new vscode.EventEmitter<RelayVerdictRecord>();
  private readonly latestEmitter = new vscode.EventEmitter<ShownVerdictRecord>();

  /** Fires after a run against one host finished and its verdict became the last one (never for a mail domain). */
  readonly onDidPublish = this.publishEmitter.event;

  /** Fires after any run finished, a host's or a mail domain's: what "Show Relay Verdict" now shows. */
  readonly onDidChangeLatest = this.latestEmitter.event;

  /** The last run against one host. A mail-domain run since then does not replace it: see `latest`. */
  get last(): RelayVerdictRecord | undefined {
    return this.lastRecord;
  }

  /** The run "Show Relay Verdict" shows: the newest, a host's or a mail domain's. */
  get latest(): ShownVerdictRecord | undefined {
    return this.latestRecord;
  }

  /** The tests whose result arrived in this window, from any face: the walkthrough steps they completed. */
  get testsWithResults(): ReadonlySet<string> {
    return this.testsWithResult;
  }

  publish(record: RelayVerdictRecord): void {
    this.lastRecord = record;
    this.latestRecord = record;
    this.noteResults(record.report.tests);
    this.publishEmitter.fire(record);
    this.latestEmitter.fire(record);
  }

  /** A mail domain's run: its addresses' tests have results too, but `last` (one host's run) stays as it was. */
  publishDomain(record: DomainVerdictRecord): void {
    this.latestRecord = record;
    this.noteResults(record.report.hosts.flatMap((host) => host.report?.tests ?? []));
    this.latestEmitter.fire(record);
  }

  private noteResults(tests: readonly { id: string }[]): void {
    void vscode.commands.executeCommand('setContext', contextKeys.hasVerdict, true);
    for (const test of tests) {
      if (!this.testsWithResult.has(test.id)) {
        this.testsWithResult.add(test.id);
        void vscode.commands.executeCommand('setContext', testResultContextKey(test.id), true);
      }
    }
  }

  dispose(): void {
    this.publishEmitter.dispose();
    this.latestEmitter.dispose();
  }
}
