/**
 * /test in the session terminal: relay tests run in the user's own session, every command and reply on
 * screen, each outcome as it comes, then the verdict of every test counted in this terminal so far
 * (sessionRelayResults.ts). The console hands it the session and what it knows of the server. No `vscode` here.
 */
import type { SmtpSession } from '../../core/protocol/session';
import type { RelayReport, RelayTestDefinition, RelayTestParameters, RelayTestResult } from '../../core/relay/relayTypes';
import type { TranscriptEvent } from '../../core/transcript/transcriptEvent';
import type { Target } from '../target';
import { renderError, renderInfo } from './replyRendering';
import { SessionRelayResults } from './sessionRelayResults';
import { renderRunSummary, renderTestOutcome, renderVerdictSoFar } from './terminalReports';

/** The relay catalogue and runner, as the terminal uses them. */
export interface SessionRelayTests {
  readonly tests: readonly RelayTestDefinition[];
  /** Names that select several tests at once ("kb", "extended", "all"). */
  readonly groups: readonly string[];
  select(selectors: readonly string[]): { tests: RelayTestDefinition[]; unknown: string[] };
  /** Once before each /test: settles what the run may send (DATA needs the user's yes); a line to show, if any. */
  beforeRun?(): Promise<string | undefined>;
  /** Cancellation is the session's: Ctrl+C closes it, and the runner reports the test as interrupted. */
  run(session: SmtpSession, test: RelayTestDefinition, parameters: RelayTestParameters): Promise<RelayTestResult>;
}

/** What a run needs from the console, read when the run needs it. */
export interface SessionTestRunContext {
  write(output: string): void;
  /** The session if it is ready; otherwise undefined, and the console has said so. */
  readySession(): SmtpSession | undefined;
  /** The current connection's signal, aborted by Ctrl+C: the test in flight is interrupted, and not counted. */
  signal(): AbortSignal;
  /** The parameters resolved with what the server told the console (greeting, EHLO, address). */
  parameters(): RelayTestParameters;
  /** The terminal's whole recording, for the report. */
  events(): readonly TranscriptEvent[];
  reportFailure(session: SmtpSession, error: unknown): void;
  relayReportChanged?(report: RelayReport): void;
  /** The client address XCLIENT made the server judge this session as; undefined: the connection's own. */
  judgedAs?(): string | undefined;
  /**
   * Why tests must not run now, already worded for the user: the session should act as another client
   * (XCLIENT) and does not, so tests would show how the server treats this machine instead.
   */
  clientProblem?(): string | undefined;
}

export class SessionTestRunner {
  private results: SessionRelayResults;
  /** The client the counted results were judged as: results of another client are another verdict. */
  private resultsJudgedAs: string | undefined;

  constructor(
    private readonly relayTests: SessionRelayTests,
    private readonly target: Pick<Target, 'host' | 'port' | 'heloName'>,
    private readonly addressForm: RelayTestParameters['addressForm'],
    private readonly context: SessionTestRunContext,
  ) {
    this.results = new SessionRelayResults(relayTests.tests.map((test) => test.id));
  }

  async run(selectors: readonly string[]): Promise<void> {
    const { tests, unknown } = this.relayTests.select(selectors);
    if (unknown.length > 0) {
      this.context.write(renderError(`no relay test called ${unknown.join(', ')}: /tests lists them`));
      return;
    }
    const session = this.context.readySession();
    if (!session) {
      return;
    }
    const problem = this.context.clientProblem?.();
    if (problem !== undefined) {
      this.context.write(renderError(problem));
      return;
    }
    const judgedAs = this.context.judgedAs?.();
    if (judgedAs !== this.resultsJudgedAs) {
      if (this.results.size > 0) {
        this.context.write(
          renderInfo(`The results so far were for ${clientWords(this.resultsJudgedAs)}; counting afresh for ${clientWords(judgedAs)}.`),
        );
      }
      this.results = new SessionRelayResults(this.relayTests.tests.map((test) => test.id));
      this.resultsJudgedAs = judgedAs;
    }
    const signal = this.context.signal();
    try {
      const note = await this.relayTests.beforeRun?.();
      if (note !== undefined) {
        this.context.write(renderInfo(note));
      }
      if (!session.capabilities) {
        await session.ehlo(this.target.heloName);
      }
      const counted: RelayTestResult[] = [];
      for (const test of tests) {
        if (session.state !== 'ready' || signal.aborted) {
          this.context.write(renderInfo(`Stopped before ${test.id}: the connection is closed.`));
          break;
        }
        // The runner records the test's start in the session (=== test kb1: …): the screen shows it from there.
        const testStartedAt = Date.now();
        const result = await this.relayTests.run(session, test, this.context.parameters());
        this.context.write(renderTestOutcome(result));
        // Ctrl+C stopped it: an interrupted test says nothing about the server, as a cancelled suite run does not.
        if (!signal.aborted) {
          this.results.record(result, testStartedAt);
          counted.push(result);
        }
      }
      this.report(counted);
    } catch (error) {
      this.context.reportFailure(session, error);
    }
  }

  /**
   * After a /test run: the verdict of every test counted in this terminal, as a summary when the run had
   * several tests, as one line when it had one (a walkthrough button), and to the host to publish.
   */
  private report(counted: readonly RelayTestResult[]): void {
    if (counted.length === 0) {
      return;
    }
    const target = { host: this.target.host, port: this.target.port, ...(this.resultsJudgedAs === undefined ? {} : { asClient: this.resultsJudgedAs }) };
    const report = this.results.report({ target, transcript: this.context.events(), addressForm: this.addressForm });
    if (!report) {
      return;
    }
    if (counted.length > 1) {
      this.context.write(renderRunSummary(report.tests, report.verdict, report.warnings));
    } else if (report.tests.length > 1) {
      this.context.write(renderVerdictSoFar(report.tests.length, report.verdict));
    }
    this.context.relayReportChanged?.(report);
  }
}

function clientWords(judgedAs: string | undefined): string {
  return judgedAs === undefined ? "this connection's own address" : `client ${judgedAs} (XCLIENT)`;
}
