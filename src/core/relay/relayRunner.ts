import { assertSingleLine } from '../protocol/commandLine';
import { CommandInjectionError, describeError, SmtpError } from '../protocol/errors';
import { findRelayTest, UnknownRelayTestError } from './relayCatalogue';
import { RelayConnection, SessionRefusedError } from './relayConnection';
import { ConnectionErrorPlan } from './relayConnectionPlan';
import { classifiedRecord, type ClassifiedStep, type ControlState, type OutcomeDecision } from './relayOutcome';
import { recogniseMta } from './mtaRecognition';
import { describeLocalDomains, remoteDomainClaimedBy, remoteDomainConflict, resolveRelayParameters, type ServerFacts } from './relayParameters';
import { describeClientPosition, openFromTrustedPlaceWarning } from '../reach/clientPosition';
import { greylistBackoffMs, greylistDelayBeforeRetry, judgeGreylisting, type GreylistJudgement } from '../reach/greylisting';
import { eitherSignal, pause, RunDeadline } from '../reach/runDeadline';
import { detectTarpit, type RcptTiming } from './relayTarpit';
import { attemptRelayTest, type RelayTestContext, type TestAttempt } from './relayTestAttempt';
import { controlStateOfOutcome, describeReply, greylistRetryNote, testRetryNote, testStartNote } from './testOutcome';
import type {
  GreylistRecord,
  RelayConnectionRecord,
  RelayReport,
  RelayRunOptions,
  RelayTestAddresses,
  RelayTestDefinition,
  RelayTestParameters,
  RelayTestResult,
  RelayTlsUse,
  SenderRetry,
} from './relayTypes';
import { decideRelayVerdict, relayWarnings, tarpitWarning } from './relayVerdict';
import type { SmtpReply } from '../protocol/reply';
import type { SmtpSession } from '../protocol/session';
import type { SessionOptions } from '../protocol/sessionOptions';
import { describeDuration } from '../protocol/socketFailure';
import type { TranscriptEvent } from '../transcript/transcriptEvent';

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
  senderRetry?: SenderRetry,
): RelayTestResult {
  const result: RelayTestResult = {
    id: test.id,
    title: test.title,
    group: test.group,
    mailFrom: addresses.mailFrom,
    rcptTo: addresses.rcptTo,
    outcome: decision.outcome,
    reason: decision.reason,
    ...(decision.proof === undefined ? {} : { proof: decision.proof }),
    replies: steps.map(classifiedRecord),
    durationMs: Date.now() - startedAt,
  };
  if (senderRetry) {
    result.senderRetry = senderRetry;
  }
  return result;
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
  session.note(testStartNote(test));
  const attempt = await attemptRelayTest(session, test, addresses, resolved, context);
  const decision = attempt.decision ?? { outcome: 'error', reason: `Interrupted: ${attempt.interruption ?? 'no reply'}.` };
  return resultOf(test, addresses, decision, attempt.steps, startedAt, attempt.senderRetry);
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
  return controlStateOfOutcome(result.outcome);
}

/**
 * The sender a test's MAIL FROM got accepted with, as sent (`<user@example.net>`), or undefined: what a test
 * whose own sender form is refused tries its recipient with (RelayTestContext.acceptedSender).
 */
export function acceptedSenderOf(steps: readonly { command: string; code: number }[]): string | undefined {
  return steps.find((step) => step.command.startsWith('MAIL FROM:') && step.code >= 200 && step.code < 300)?.command.slice('MAIL FROM:'.length);
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
  | { kind: 'dropped'; why?: string }
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

/** The addresses with the run's own envelope sender (RelayRunOptions.mailFrom), in the test's address form. */
function withSender(addresses: RelayTestAddresses, mailFrom: string | undefined, form: RelayTestParameters['addressForm']): RelayTestAddresses {
  if (mailFrom === undefined) {
    return addresses;
  }
  const bare = mailFrom.trim().replace(/^<|>$/g, '');
  return { ...addresses, mailFrom: form === 'bare' && bare !== '' ? bare : `<${bare}>` };
}

/** The step that decided an attempt, when it is a greylisting 4yz at MAIL or RCPT. */
function greylistedStep(attempt: TestAttempt | undefined): { step: ClassifiedStep; judgement: GreylistJudgement } | undefined {
  if (!attempt?.decision || attempt.cancelled) {
    return undefined;
  }
  const last = attempt.steps.at(-1);
  if (!last || (!last.command.startsWith('MAIL FROM:') && !last.command.startsWith('RCPT TO:'))) {
    return undefined;
  }
  const judgement = judgeGreylisting(last.reply, last.classification.signals);
  return judgement.greylisted ? { step: last, judgement } : undefined;
}

function greylistWarning(records: readonly GreylistRecord[]): string | undefined {
  if (records.length === 0) {
    return undefined;
  }
  const through = records.filter((record) => record.letThroughAfterMs !== undefined);
  const held = records.filter((record) => record.letThroughAfterMs === undefined);
  const parts: string[] = [];
  if (through.length > 0) {
    parts.push(
      `${through.map((record) => `${record.testId} after ${describeDuration(record.letThroughAfterMs!)}`).join(', ')} ` +
        'went through on a retry with the same sender and recipient',
    );
  }
  if (held.length > 0) {
    parts.push(`${held.map((record) => record.testId).join(', ')} never got past it, so ${held.length === 1 ? 'its' : 'their'} result is unknown`);
  }
  return (
    `The server greylists (first answer: ${records[0].firstReply}): ${parts.join('; ')}. ` +
    'A greylisting 4yz is a delay, not a relay policy; it does not make the server closed.'
  );
}

/** One run of runRelaySuite: the connection, what the run has learned so far, and the results. */
class RelaySuiteRun {
  private readonly connection: RelayConnection;
  private readonly errorPlan = new ConnectionErrorPlan();
  private readonly signal: AbortSignal | undefined;
  /** The user's own cancel, apart from the deadline's. */
  private readonly userSignal: AbortSignal | undefined;
  readonly deadline: RunDeadline | undefined;
  private readonly greylistSchedule: readonly number[];
  private readonly tokens = new Map<string, string>();
  readonly transcript: TranscriptEvent[] = [];
  readonly results: RelayTestResult[] = [];
  readonly rcptTimings: RcptTiming[] = [];
  readonly connections: RelayConnectionRecord[] = [];
  readonly greylisting: GreylistRecord[] = [];
  /** The parameters, completed from the server's greeting and EHLO reply on each connection. */
  parameters: RelayTestParameters;
  private control: ControlState = 'not-run';
  /** What the first connection showed of the server: its names, for the local domains and the MTA. */
  firstFacts: ServerFacts | undefined;
  private state: RunState = { kind: 'dropped' };
  /** The last reply a test got on the current connection: it tells why the server closed it. */
  private lastReply: SmtpReply | undefined;
  /**
   * The first sender the server accepted in this run (the control's, which runs first), as sent: a test
   * whose own sender is refused tries its recipient with it (relayTestAttempt.ts).
   */
  private acceptedSender: string | undefined;
  /** The sender retry of the attempt that decided the current test, if it needed one. */
  private senderRetry: SenderRetry | undefined;

  constructor(private readonly options: RelayRunOptions) {
    this.userSignal = options.signal ?? options.session.signal;
    this.deadline = options.deadlineMs === undefined ? undefined : new RunDeadline(options.deadlineMs);
    this.signal = eitherSignal(this.userSignal, this.deadline?.signal);
    this.greylistSchedule =
      options.greylistRetry === false ? [] : typeof options.greylistRetry === 'object' ? options.greylistRetry.backoffMs : greylistBackoffMs;
    this.parameters = options.parameters;
    this.connection = new RelayConnection(
      { ...options.session, ...(this.signal ? { signal: this.signal } : {}) },
      options.parameters.heloName,
      (event) => {
        this.transcript.push(event);
        options.onEvent?.(event);
      },
      options.session.asClient,
    );
  }

  /** Whether the run was stopped by its deadline rather than by the user. */
  private get deadlineStopped(): boolean {
    return this.deadline?.passed === true && this.userSignal?.aborted !== true;
  }

  /** What every test left gets once the run is aborted: the deadline or the user's cancel. */
  private stopReason(): OutcomeDecision {
    return this.deadline && this.deadlineStopped ? { outcome: 'error', reason: `Not run: ${this.deadline.reason}.` } : cancelledRun;
  }

  /** Whether a wait of `ms` still ends before the deadline. */
  private fitsDeadline(ms: number): boolean {
    return this.deadline === undefined || this.deadline.remainingMs() > ms;
  }

  private tokenFor(test: RelayTestDefinition): string | undefined {
    if (!this.options.messageToken) {
      return undefined;
    }
    let token = this.tokens.get(test.id);
    if (token === undefined) {
      token = this.options.messageToken(test);
      this.tokens.set(test.id, token);
    }
    return token;
  }

  async run(tests: readonly RelayTestDefinition[]): Promise<void> {
    const conflict = remoteDomainConflict(this.options.parameters);
    const invalid =
      lineBreakInParameters(this.options.parameters) ??
      (conflict === undefined ? undefined : { outcome: 'error' as const, proof: 'none' as const, reason: `Not run: ${conflict}.` });
    this.state = invalid ? { kind: 'stopped', decision: invalid } : await this.connect();
    for (const test of tests) {
      const startedAt = Date.now();
      await this.prepareForNextTest();
      const addresses = withSender(test.build(this.parameters), this.options.mailFrom, this.parameters.addressForm);
      // In the transcript as on the terminal's screen, so a saved file reads by test and annotation groups by it.
      this.connection.note(testStartNote(test));
      this.options.onTestStarted?.(test);
      if (this.state.kind === 'stopped') {
        this.finish(test, resultOf(test, addresses, this.state.decision, [], startedAt));
        continue;
      }
      this.senderRetry = undefined;
      const { decision, steps } = await this.runTest(test, addresses);
      this.finish(test, resultOf(test, addresses, decision, steps, startedAt, this.senderRetry));
    }
    await this.connection.quit();
    this.deadline?.dispose();
  }

  /** Leaves the run `connected` or `stopped`: reconnects after a drop or near the server's error limit. */
  private async prepareForNextTest(): Promise<void> {
    if (this.state.kind !== 'stopped' && this.signal?.aborted) {
      this.state = { kind: 'stopped', decision: this.stopReason() };
    }
    if (this.state.kind === 'connected' && !this.connection.isOpen) {
      // Closed right after answering the last test: an error limit when that answer was a refusal.
      if (this.lastReply && isErrorLimitReply(this.lastReply)) {
        this.errorPlan.connectionClosedByErrorLimit(this.lastReply.code);
      }
      this.state = { kind: 'dropped' };
    }
    if (this.state.kind === 'connected' && this.errorPlan.exhausted) {
      this.state = { kind: 'near-error-limit' };
    }
    if (this.state.kind === 'dropped') {
      this.connection.note(`${this.state.why ?? 'the connection was closed'}; reconnecting`);
      this.state = await this.connect();
    } else if (this.state.kind === 'near-error-limit') {
      this.connection.note(this.errorPlan.reconnectionNote());
      await this.connection.quit();
      this.state = await this.connect();
    }
  }

  /** One test, and while the server greylists it, the same test again after a backoff. */
  private async runTest(test: RelayTestDefinition, addresses: RelayTestAddresses): Promise<{ decision: OutcomeDecision; steps: ClassifiedStep[] }> {
    const once = await this.runTestOnce(test, addresses);
    const greylisted = this.state.kind === 'stopped' ? undefined : greylistedStep(once.last);
    if (!greylisted) {
      return once;
    }
    const decision = await this.retryGreylisted(test, addresses, greylisted, once.steps);
    return { decision, steps: once.steps };
  }

  /**
   * Retries a greylisted test until the server answers it for real, the schedule is used up or the
   * deadline would pass during the wait; `steps` gets every retry's replies. Never 'passed' while
   * greylisted: a delay says nothing about relaying.
   */
  private async retryGreylisted(
    test: RelayTestDefinition,
    addresses: RelayTestAddresses,
    first: { step: ClassifiedStep; judgement: GreylistJudgement },
    steps: ClassifiedStep[],
  ): Promise<OutcomeDecision> {
    const record: GreylistRecord = { testId: test.id, firstReply: describeReply(first.step.reply), retries: 0 };
    this.greylisting.push(record);
    const firstAt = Date.now();
    const held = (why: string): OutcomeDecision => ({
      outcome: 'inconclusive',
      reason: `Greylisted: ${record.firstReply}, a delay that says nothing about relaying; ${why}.`,
    });
    let judgement = first.judgement;
    for (;;) {
      const delay = greylistDelayBeforeRetry(record.retries + 1, judgement, this.greylistSchedule);
      if (delay === undefined) {
        const retries = record.retries === 1 ? '1 retry' : `${record.retries} retries`;
        return held(record.retries === 0 ? 'retrying is off' : `still deferred after ${retries} over ${describeDuration(Date.now() - firstAt)}`);
      }
      if (!this.fitsDeadline(delay)) {
        return held(`the deadline leaves no time for a retry in ${describeDuration(delay)}`);
      }
      this.connection.note(greylistRetryNote(test.id, record.firstReply, describeDuration(delay)));
      if (!(await pause(delay, this.signal))) {
        this.state = { kind: 'stopped', decision: this.stopReason() };
        return held(this.deadline && this.deadlineStopped ? this.deadline.reason : 'the run was cancelled');
      }
      await this.prepareForNextTest();
      if (this.state.kind === 'stopped') {
        return held(`reconnecting for the retry failed: ${this.state.decision.reason}`);
      }
      record.retries++;
      const attempt = await this.attempt(test, addresses);
      steps.push(...attempt.steps);
      if (attempt.cancelled || !attempt.decision) {
        if (attempt.cancelled) {
          this.state = { kind: 'stopped', decision: this.stopReason() };
        }
        return held(`the retry was interrupted: ${attempt.interruption ?? 'no reply'}`);
      }
      const again = greylistedStep(attempt);
      if (!again) {
        record.letThroughAfterMs = Date.now() - firstAt;
        return {
          ...attempt.decision,
          reason: `${attempt.decision.reason} (Greylisted at first with ${record.firstReply}; let through after ${describeDuration(record.letThroughAfterMs)}.)`,
        };
      }
      judgement = again.judgement;
    }
  }

  /** One test: an attempt, and after an interruption one more on a new connection. */
  private async runTestOnce(
    test: RelayTestDefinition,
    addresses: RelayTestAddresses,
  ): Promise<{ decision: OutcomeDecision; steps: ClassifiedStep[]; last?: TestAttempt }> {
    const first = await this.attempt(test, addresses);
    const steps = [...first.steps];
    if (first.cancelled) {
      this.state = { kind: 'stopped', decision: this.stopReason() };
      const reason = this.deadline && this.deadlineStopped ? `Stopped: ${this.deadline.reason} (${first.interruption}).` : `Cancelled: ${first.interruption}.`;
      return { decision: { outcome: 'error', reason }, steps };
    }
    if (!first.interruption) {
      return { decision: first.decision ?? { outcome: 'error', reason: 'No decision.' }, steps, last: first };
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

    this.connection.note(testRetryNote(test.id));
    const second = await this.attempt(test, addresses);
    steps.push(...second.steps);
    if (second.cancelled) {
      this.state = { kind: 'stopped', decision: this.stopReason() };
    }
    const decision: OutcomeDecision = second.decision
      ? { ...second.decision, reason: `${second.decision.reason} (Retried on a new connection after: ${firstInterruption}.)` }
      : { outcome: 'error', reason: `Interrupted twice: ${firstInterruption}; then ${second.interruption ?? 'no reply'}.` };
    return { decision, steps, last: second };
  }

  /** One pass over the open connection, counted against the server's error limit. */
  private async attempt(test: RelayTestDefinition, addresses: RelayTestAddresses): Promise<TestAttempt> {
    const attempt = await attemptRelayTest(this.connection.current!, test, addresses, this.parameters, {
      control: this.control,
      confirmByDelivery: this.options.confirmByDelivery,
      ...(this.options.confirmRelayed ? { confirmRelayed: true } : {}),
      ...(this.options.confirmUnprovenByDelivery ? { confirmUnprovenByDelivery: true } : {}),
      ...(this.options.deliveryEvidence ? { deliveryEvidence: this.options.deliveryEvidence } : {}),
      ...(this.options.messageToken ? { token: this.tokenFor(test) } : {}),
      ...(this.acceptedSender === undefined ? {} : { acceptedSender: this.acceptedSender }),
    });
    if (attempt.decision) {
      this.senderRetry = attempt.senderRetry;
    }
    this.acceptedSender ??= acceptedSenderOf(attempt.steps.map((step) => ({ command: step.command, code: step.reply.code })));
    const codes = attempt.steps.map((step) => step.reply.code);
    // The reply just before the connection closed: this attempt's last, or the previous test's when the
    // close was only noticed at this attempt's first command.
    const lastReply = attempt.steps.at(-1)?.reply ?? this.lastReply;
    // The server met its error limit: it closed the connection after a refusal, or said so ("501 Too many
    // syntax or protocol errors") before the close could be seen.
    const limitMet =
      lastReply !== undefined && isErrorLimitReply(lastReply) && ((attempt.interruption !== undefined && !attempt.cancelled) || /too many/i.test(lastReply.text));
    // A closing 421 is not one of the errors the server counted.
    this.errorPlan.recordReplies(limitMet && lastReply.code === 421 && attempt.steps.length > 0 ? codes.slice(0, -1) : codes);
    if (limitMet) {
      this.errorPlan.connectionClosedByErrorLimit(lastReply.code);
      if (!attempt.interruption) {
        // The test was answered; the server closes the connection after its reply.
        const saying = lastReply.text.split('\n').find((line) => /too many/i.test(line)) ?? lastReply.text.split('\n')[0];
        this.state = { kind: 'dropped', why: `the server met its error limit (${lastReply.code} ${saying}) and closes the connection` };
      }
    }
    // Once learned from, the reply must not teach the same limit again when the close is seen.
    this.lastReply = limitMet ? undefined : lastReply;
    if (attempt.rcptTiming) {
      this.rcptTimings.push(attempt.rcptTiming);
    }
    return attempt;
  }

  /** Opens a connection; a 421 greeting that reads like a delay is waited out like greylisting. */
  private async connect(): Promise<RunState> {
    for (let retry = 1; ; retry++) {
      const state = await this.connectOnce();
      if (state.kind !== 'stopped' || !state.refusedGreeting || this.signal?.aborted) {
        return this.signal?.aborted && state.kind === 'stopped' ? { kind: 'stopped', decision: this.stopReason() } : state;
      }
      const judgement = judgeGreylisting(state.refusedGreeting, [], 'greeting');
      const delay = judgement.greylisted ? greylistDelayBeforeRetry(retry, judgement, this.greylistSchedule) : undefined;
      if (delay === undefined || !this.fitsDeadline(delay)) {
        return state;
      }
      this.connection.note(`the greeting was ${describeReply(state.refusedGreeting)}; connecting again in ${describeDuration(delay)}`);
      if (!(await pause(delay, this.signal))) {
        return { kind: 'stopped', decision: this.stopReason() };
      }
    }
  }

  private async connectOnce(): Promise<RunState & { refusedGreeting?: SmtpReply }> {
    this.lastReply = undefined;
    try {
      const opened = await this.connection.open();
      this.errorPlan.connectionOpened();
      this.connections.push(opened.record);
      const facts: ServerFacts = { greeting: opened.greeting, ehloReply: opened.ehloReply, remoteAddress: opened.session.remoteAddress };
      this.firstFacts ??= facts;
      this.parameters = resolveRelayParameters(this.parameters, facts);
      return { kind: 'connected' };
    } catch (error) {
      if (error instanceof SessionRefusedError && error.stage === 'greeting') {
        return {
          kind: 'stopped',
          decision: { outcome: error.temporary ? 'error' : 'inconclusive', reason: `Not run: ${error.message}.` },
          refusedGreeting: error.reply,
        };
      }
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

/** The warning of a run whose STARTTLS was offered and not advertised: every face says it, none fails on it. */
export const startTlsNotAdvertisedWarning =
  'The server did not advertise STARTTLS: the tests ran in clear text (STARTTLS was offered, not required). A server ' +
  'that receives mail from the Internet should offer it.';

function tlsUseOf(session: SessionOptions, connections: readonly RelayConnectionRecord[]): RelayTlsUse {
  return {
    mode: session.tls,
    required: session.tls === 'starttls' && session.requireStartTls === true,
    clearText: session.tls === 'none' || connections.some((connection) => connection.tls === 'none'),
  };
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

  const facts = run.firstFacts;
  const mta = facts ? recogniseMta(facts.greeting, facts.ehloReply) : undefined;
  const localDomains = facts ? describeLocalDomains(options.parameters.localDomains, run.parameters, facts) : undefined;
  const remoteDomainClaimed = facts ? remoteDomainClaimedBy(facts, options.parameters.remoteDomain) : undefined;
  const evidence = {
    remoteDomain: options.parameters.remoteDomain,
    ...(mta ? { mta } : {}),
    ...(localDomains ? { localDomains } : {}),
    ...(remoteDomainClaimed ? { remoteDomainClaimed } : {}),
  };
  const verdict = decideRelayVerdict(run.results, evidence);
  const warnings = relayWarnings(run.results, run.parameters, evidence);
  const tarpit = detectTarpit(run.rcptTimings);
  if (tarpit) {
    warnings.push(tarpitWarning(tarpit.baselineMs, tarpit.slowestMs));
  }
  const greylistNote = greylistWarning(run.greylisting);
  if (greylistNote) {
    warnings.push(greylistNote);
  }
  const deadline = run.deadline;
  if (deadline && run.results.some((result) => result.reason.includes(deadline.reason))) {
    warnings.push(`The run's deadline of ${describeDuration(deadline.totalMs)} passed before every test was done: the verdict cannot be "closed".`);
  }
  const tls = tlsUseOf(options.session, run.connections);
  if (tls.mode === 'starttls' && tls.clearText) {
    warnings.push(startTlsNotAdvertisedWarning);
  }
  const asClient = options.session.asClient;
  const first = run.connections[0];
  const client = first
    ? describeClientPosition({
        ...(first.localAddress === undefined ? {} : { localAddress: first.localAddress }),
        ...(first.remoteAddress === undefined ? {} : { serverAddress: first.remoteAddress }),
        ...(asClient === undefined ? {} : { asClient }),
      })
    : undefined;
  if (client) {
    warnings.push(...client.warnings);
    if (verdict === 'open' && client.warnings.length > 0) {
      warnings.push(openFromTrustedPlaceWarning);
    }
  }
  return {
    target: { host: options.session.host, port: options.session.port, ...(asClient === undefined ? {} : { asClient }) },
    tls,
    verdict,
    warnings,
    tests: run.results,
    transcript: run.transcript,
    startedAt,
    durationMs: Date.now() - startedAt,
    connections: run.connections,
    ...(localDomains ? { localDomains } : {}),
    ...(mta ? { mta } : {}),
    ...(run.greylisting.length > 0 ? { greylisting: run.greylisting } : {}),
    ...(client ? { client } : {}),
  };
}
