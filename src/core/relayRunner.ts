import { assertSingleLine } from './commandLine';
import { CommandInjectionError, describeError, SmtpError } from './errors';
import { findRelayTest, UnknownRelayTestError } from './relayCatalogue';
import { RelayConnection, SessionRefusedError } from './relayConnection';
import { ConnectionErrorPlan } from './relayConnectionPlan';
import { classifiedRecord, type ClassifiedStep, type ControlState, type OutcomeDecision } from './relayOutcome';
import { resolveRelayParameters } from './relayParameters';
import { detectTarpit, type RcptTiming } from './relayTarpit';
import { attemptRelayTest, type RelayTestContext, type TestAttempt } from './relayTestAttempt';
import type {
  RelayReport,
  RelayRunOptions,
  RelayTestAddresses,
  RelayTestDefinition,
  RelayTestParameters,
  RelayTestResult,
} from './relayTypes';
import { decideRelayVerdict, relayWarnings, tarpitWarning } from './relayVerdict';
import type { SmtpReply } from './reply';
import type { SmtpSession } from './session';
import type { TranscriptEvent } from './transcriptEvent';

export { refusalsPerConnection } from './relayConnectionPlan';
export type { RelayTestContext } from './relayTestAttempt';

/**
 * Runs relay tests the way KB 304897 does: one connection, EHLO, then per test RSET, MAIL FROM and
 * RCPT TO, classifying every reply (relayTestAttempt.ts). DATA is sent only with confirmByDelivery, and
 * only for tests left NDR-pending, with a small message labelled as a test.
 *
 * When the server drops the connection or answers 421, the runner connects again (with EHLO) and
 * retries the interrupted test once; a test interrupted twice is an 'error' and the run carries on with
 * the rest. One dropped connection never ends the run, unlike the tools the reference lists.
 *
 * Refusals are errors to the server, and servers slow down or drop clients that make many, so the
 * runner says QUIT and opens a fresh connection before the server's error limit (relayConnectionPlan.ts),
 * one connection at a time. The transcript notes each reconnection, so it still reads as one section
 * per connection.
 */

function resultOf(
  test: RelayTestDefinition,
  addresses: RelayTestAddresses,
  decision: OutcomeDecision,
  steps: readonly ClassifiedStep[],
  startedAt: number,
): RelayTestResult {
  return {
    id: test.id,
    title: test.title,
    group: test.group,
    mailFrom: addresses.mailFrom,
    rcptTo: addresses.rcptTo,
    outcome: decision.outcome,
    reason: decision.reason,
    replies: steps.map(classifiedRecord),
    durationMs: Date.now() - startedAt,
  };
}

/**
 * One test inside a session the user already has open (the terminal's `/test kb6`): RSET, MAIL, RCPT
 * and, with confirmByDelivery, DATA. No reconnection: a lost connection is an 'error' result.
 */
export async function runRelayTestInSession(
  session: SmtpSession,
  test: RelayTestDefinition,
  parameters: RelayTestParameters,
  context: RelayTestContext = {},
): Promise<RelayTestResult> {
  const startedAt = Date.now();
  const resolved = resolveRelayParameters(parameters, {
    greeting: session.greeting,
    ehloName: session.capabilities?.domain,
    remoteAddress: session.remoteAddress,
  });
  const addresses = test.build(resolved);
  const attempt = await attemptRelayTest(session, test, addresses, resolved, context);
  const decision = attempt.decision ?? { outcome: 'error', reason: `Interrupted: ${attempt.interruption ?? 'no reply'}.` };
  return resultOf(test, addresses, decision, attempt.steps, startedAt);
}

/** Resolves ids to definitions (control first), refusing unknown ones before anything is sent. */
function testsToRun(testIds: readonly string[]): RelayTestDefinition[] {
  const unknown = testIds.filter((id) => findRelayTest(id) === undefined);
  if (unknown.length > 0) {
    throw new UnknownRelayTestError(unknown);
  }
  const tests: RelayTestDefinition[] = [];
  for (const id of testIds) {
    const test = findRelayTest(id)!;
    if (!tests.includes(test)) {
      tests.push(test);
    }
  }
  return [...tests.filter((test) => test.group === 'control'), ...tests.filter((test) => test.group !== 'control')];
}

const parameterNames: Record<'localUser' | 'remoteDomain' | 'remoteUser' | 'serverAddress' | 'serverName' | 'heloName', string> = {
  localUser: 'the local user',
  remoteDomain: 'the remote domain',
  remoteUser: 'the remote user',
  serverAddress: 'the server address',
  serverName: 'the server name',
  heloName: 'the EHLO name',
};

/**
 * A parameter with CR or LF would smuggle a second command into MAIL, RCPT or EHLO (command injection):
 * such a run is refused as a whole, before connecting, so nothing at all reaches the server.
 */
function lineBreakInParameters(parameters: RelayTestParameters): OutcomeDecision | undefined {
  const values: [string, string | undefined][] = [
    ...parameters.localDomains.map((domain): [string, string] => ['the local domain', domain]),
    ...Object.entries(parameterNames).map(([key, name]): [string, string | undefined] => [name, parameters[key as keyof typeof parameterNames]]),
  ];
  for (const [name, value] of values) {
    try {
      assertSingleLine(value ?? '', name);
    } catch (error) {
      if (error instanceof CommandInjectionError) {
        return { outcome: 'error', reason: `Not run: ${error.message} (check the test parameters).` };
      }
      throw error;
    }
  }
  return undefined;
}

/** What a control result means for the tests after it; also used by the terminal's /test across commands. */
export function controlStateOf(result: RelayTestResult): ControlState {
  if (result.outcome === 'passed') {
    return 'accepted';
  }
  return result.outcome === 'inconclusive' ? 'refused' : 'not-run';
}

/**
 * Where a suite run stands between two tests:
 * - `connected`: the connection is open and under the server's error limit; the next test runs on it.
 * - `dropped`: the server closed the connection (after the last test decided); reconnect first.
 * - `near-error-limit`: the connection made as many refusals as the plan allows; QUIT and reconnect first.
 * - `stopped`: the run cannot go on (cancelled, refused, unreachable); every remaining test gets `decision`.
 */
type RunState =
  | { kind: 'connected' }
  | { kind: 'dropped' }
  | { kind: 'near-error-limit' }
  | { kind: 'stopped'; decision: OutcomeDecision };

/**
 * A reply after which a closed connection means the server's error limit: a refusal (Exim answers its
 * last tolerated error with "501 Too many syntax or protocol errors" and closes), or a 421 that says so
 * (Postfix: "421 4.7.0 Error: too many errors"). A 421 for any other reason (shutdown, timeout) is not.
 */
function isErrorLimitReply(reply: SmtpReply): boolean {
  return reply.code >= 400 && (reply.code !== 421 || /too many/i.test(reply.text));
}

const cancelledRun: OutcomeDecision = { outcome: 'error', reason: 'Not run: the run was cancelled.' };

/** One run of runRelaySuite: the connection, what the run has learned so far, and the results. */
class RelaySuiteRun {
  private readonly connection: RelayConnection;
  private readonly errorPlan = new ConnectionErrorPlan();
  private readonly signal: AbortSignal | undefined;
  readonly transcript: TranscriptEvent[] = [];
  readonly results: RelayTestResult[] = [];
  readonly rcptTimings: RcptTiming[] = [];
  /** The parameters, completed from the server's greeting and EHLO reply on each connection. */
  parameters: RelayTestParameters;
  private control: ControlState = 'not-run';
  private state: RunState = { kind: 'dropped' };
  /** The last reply a test got on the current connection: it tells why the server closed it. */
  private lastReply: SmtpReply | undefined;

  constructor(private readonly options: RelayRunOptions) {
    this.signal = options.signal ?? options.session.signal;
    this.parameters = options.parameters;
    this.connection = new RelayConnection({ ...options.session, ...(this.signal ? { signal: this.signal } : {}) }, options.parameters.heloName, (event) => {
      this.transcript.push(event);
      options.onEvent?.(event);
    });
  }

  async run(tests: readonly RelayTestDefinition[]): Promise<void> {
    const invalid = lineBreakInParameters(this.options.parameters);
    this.state = invalid ? { kind: 'stopped', decision: invalid } : await this.connect();
    for (const test of tests) {
      const startedAt = Date.now();
      await this.prepareForNextTest();
      const addresses = test.build(this.parameters);
      this.options.onTestStarted?.(test);
      if (this.state.kind === 'stopped') {
        this.finish(test, resultOf(test, addresses, this.state.decision, [], startedAt));
        continue;
      }
      const { decision, steps } = await this.runTest(test, addresses);
      this.finish(test, resultOf(test, addresses, decision, steps, startedAt));
    }
    await this.connection.quit();
  }

  /** Leaves the run `connected` or `stopped`: reconnects after a drop or near the server's error limit. */
  private async prepareForNextTest(): Promise<void> {
    if (this.state.kind !== 'stopped' && this.signal?.aborted) {
      this.state = { kind: 'stopped', decision: cancelledRun };
    }
    if (this.state.kind === 'connected' && !this.connection.isOpen) {
      // Closed right after answering the last test: an error limit when that answer was a refusal.
      if (this.lastReply && isErrorLimitReply(this.lastReply)) {
        this.errorPlan.connectionDropped(this.errorPlan.refusalsOnConnection - 1);
      }
      this.state = { kind: 'dropped' };
    }
    if (this.state.kind === 'connected' && this.errorPlan.exhausted) {
      this.state = { kind: 'near-error-limit' };
    }
    if (this.state.kind === 'dropped') {
      this.connection.note('the connection was closed; reconnecting');
      this.state = await this.connect();
    } else if (this.state.kind === 'near-error-limit') {
      this.connection.note(this.errorPlan.reconnectionNote());
      await this.connection.quit();
      this.state = await this.connect();
    }
  }

  /** One test: an attempt, and after an interruption one more on a new connection. */
  private async runTest(test: RelayTestDefinition, addresses: RelayTestAddresses): Promise<{ decision: OutcomeDecision; steps: ClassifiedStep[] }> {
    const first = await this.attempt(test, addresses);
    const steps = [...first.steps];
    if (first.cancelled) {
      this.state = { kind: 'stopped', decision: cancelledRun };
      return { decision: { outcome: 'error', reason: `Cancelled: ${first.interruption}.` }, steps };
    }
    if (!first.interruption) {
      return { decision: first.decision ?? { outcome: 'error', reason: 'No decision.' }, steps };
    }

    const firstInterruption = first.interruption;
    this.connection.note(`${test.id} interrupted: ${firstInterruption}; reconnecting`);
    this.state = await this.connect();
    if (this.state.kind === 'stopped') {
      const failure = this.state.decision.reason;
      this.state = { kind: 'stopped', decision: { outcome: 'error', reason: `Not run: the connection was lost and could not be opened again (${failure})` } };
      return { decision: first.decision ?? { outcome: 'error', reason: `Interrupted (${firstInterruption}), and reconnecting failed: ${failure}` }, steps };
    }
    if (first.decision) {
      return { decision: first.decision, steps };
    }

    this.connection.note(`retrying ${test.id} on the new connection`);
    const second = await this.attempt(test, addresses);
    steps.push(...second.steps);
    if (second.cancelled) {
      this.state = { kind: 'stopped', decision: cancelledRun };
    }
    const decision: OutcomeDecision = second.decision
      ? { ...second.decision, reason: `${second.decision.reason} (Retried on a new connection after: ${firstInterruption}.)` }
      : { outcome: 'error', reason: `Interrupted twice: ${firstInterruption}; then ${second.interruption ?? 'no reply'}.` };
    return { decision, steps };
  }

  /** One pass over the open connection, counted against the server's error limit. */
  private async attempt(test: RelayTestDefinition, addresses: RelayTestAddresses): Promise<TestAttempt> {
    const attempt = await attemptRelayTest(this.connection.current!, test, addresses, this.parameters, {
      control: this.control,
      confirmByDelivery: this.options.confirmByDelivery,
    });
    const codes = attempt.steps.map((step) => step.reply.code);
    // The reply just before the connection closed: this attempt's last, or the previous test's when the
    // close was only noticed at this attempt's first command.
    const lastReply = attempt.steps.at(-1)?.reply ?? this.lastReply;
    if (attempt.interruption && !attempt.cancelled && lastReply && isErrorLimitReply(lastReply)) {
      // Closed by its error limit: a closing 421 comes after the tolerated errors, a closing refusal is
      // the first error past them.
      const closedBy421 = lastReply.code === 421;
      this.errorPlan.recordReplies(closedBy421 ? codes.slice(0, -1) : codes);
      this.errorPlan.connectionDropped(this.errorPlan.refusalsOnConnection - (closedBy421 ? 0 : 1));
    } else {
      this.errorPlan.recordReplies(codes);
    }
    this.lastReply = lastReply;
    if (attempt.rcptTiming) {
      this.rcptTimings.push(attempt.rcptTiming);
    }
    return attempt;
  }

  private async connect(): Promise<RunState> {
    this.lastReply = undefined;
    try {
      const opened = await this.connection.open();
      this.errorPlan.connectionOpened();
      this.parameters = resolveRelayParameters(this.parameters, {
        greeting: opened.greeting,
        ehloReply: opened.ehloReply,
        remoteAddress: opened.session.remoteAddress,
      });
      return { kind: 'connected' };
    } catch (error) {
      if (error instanceof SessionRefusedError) {
        return { kind: 'stopped', decision: { outcome: error.temporary ? 'error' : 'inconclusive', reason: `Not run: ${error.message}.` } };
      }
      if (error instanceof SmtpError) {
        return { kind: 'stopped', decision: { outcome: 'error', reason: `Not run: ${describeError(error)}.` } };
      }
      throw error;
    }
  }

  private finish(test: RelayTestDefinition, result: RelayTestResult): void {
    this.results.push(result);
    if (test.group === 'control') {
      this.control = controlStateOf(result);
    }
    this.options.onTestFinished?.(result);
  }
}

/**
 * Runs the selected tests against one server and judges it. Rejects only for unknown test ids; parameters
 * with a line break make every test an 'error' without connecting.
 */
export async function runRelaySuite(options: RelayRunOptions): Promise<RelayReport> {
  const startedAt = Date.now();
  const tests = testsToRun(options.testIds);
  const run = new RelaySuiteRun(options);
  await run.run(tests);

  const warnings = relayWarnings(run.results, run.parameters);
  const tarpit = detectTarpit(run.rcptTimings);
  if (tarpit) {
    warnings.push(tarpitWarning(tarpit.baselineMs, tarpit.slowestMs));
  }
  return {
    target: { host: options.session.host, port: options.session.port },
    verdict: decideRelayVerdict(run.results),
    warnings,
    tests: run.results,
    transcript: run.transcript,
    startedAt,
    durationMs: Date.now() - startedAt,
  };
}
