/**
 * The relay results of one session terminal, and the report its verdict is published as. The walkthrough's
 * buttons run one test each (kb1, then kb2...), so a verdict of the last /test alone would judge the server
 * by kb7 only. The rule instead: the latest result of every test run in this terminal since it opened
 * counts. A re-run of a test replaces its earlier result; a /reconnect keeps them all, since a terminal has
 * one target. Tests the user interrupted (Ctrl+C) are not counted (the console does not record them). The
 * verdict and warnings come from core, as in every other face. No `vscode` here.
 */
import type { RelayReport, RelayTestParameters, RelayTestResult } from '../../core/relay/relayTypes';
import { decideRelayVerdict, relayWarnings } from '../../core/relay/relayVerdict';
import type { TranscriptEvent } from '../../core/transcript/transcriptEvent';

interface CountedResult {
  result: RelayTestResult;
  startedAt: number;
}

export interface SessionRelayReportFacts {
  /** asClient: the client address XCLIENT made the server judge the counted tests as. */
  target: { host: string; port: number; asClient?: string };
  /** The terminal's whole transcript, across reconnects: the tests' commands and replies are in it. */
  transcript: readonly TranscriptEvent[];
  addressForm: RelayTestParameters['addressForm'];
}

export class SessionRelayResults {
  private readonly latest = new Map<string, CountedResult>();

  /** @param testOrder test ids in catalogue order: the report lists results that way (control first), not in the order they ran. */
  constructor(private readonly testOrder: readonly string[]) {}

  get size(): number {
    return this.latest.size;
  }

  record(result: RelayTestResult, startedAt: number): void {
    // Deleted first, so a re-run counts as the newest entry for tests outside the catalogue order too.
    this.latest.delete(result.id);
    this.latest.set(result.id, { result, startedAt });
  }

  /** The counted results, in catalogue order (unknown ids last, in the order they ran). */
  get results(): RelayTestResult[] {
    const rank = (id: string): number => {
      const index = this.testOrder.indexOf(id);
      return index < 0 ? this.testOrder.length : index;
    };
    return [...this.latest.values()].map(({ result }) => result).sort((a, b) => rank(a.id) - rank(b.id));
  }

  /**
   * Every counted result as one report; undefined before the first. It starts when the earliest counted test
   * started, and its duration is the tests' own time on the wire, not the pauses between the user's /test runs;
   * elapsedMs is the span from that start to the end of the latest counted test, pauses included.
   */
  report(facts: SessionRelayReportFacts): RelayReport | undefined {
    const counted = [...this.latest.values()];
    if (counted.length === 0) {
      return undefined;
    }
    const tests = this.results;
    const first = Math.min(...counted.map(({ startedAt }) => startedAt));
    return {
      target: {
        host: facts.target.host,
        port: facts.target.port,
        ...(facts.target.asClient === undefined ? {} : { asClient: facts.target.asClient }),
      },
      verdict: decideRelayVerdict(tests),
      warnings: relayWarnings(tests, { addressForm: facts.addressForm }),
      tests,
      transcript: [...facts.transcript],
      startedAt: first,
      durationMs: counted.reduce((total, { result }) => total + result.durationMs, 0),
      // What the user lived through (a walkthrough clicked over minutes), beside the tests' own time.
      elapsedMs: Math.max(...counted.map(({ startedAt, result }) => startedAt + result.durationMs)) - first,
    };
  }
}
