import { performance } from 'node:perf_hooks';
import type { ReplyContext } from './classification';
import { classifyReply } from './classifyReply';
import { assertSingleLine } from './commandLine';
import { CancelledError, CommandInjectionError, describeError, SmtpError } from './errors';
import { findRelayTest, UnknownRelayTestError } from './relayCatalogue';
import { RelayConnection, SessionRefusedError } from './relayConnection';
import {
  classifiedRecord,
  decideAfterDelivery,
  decideControlOutcome,
  decideRelayOutcome,
  type ClassifiedStep,
  type ControlState,
  type OutcomeDecision,
} from './relayOutcome';
import { classificationDomains, resolveRelayParameters } from './relayParameters';
import { detectTarpit, type RcptTiming } from './relayTarpit';
import { relayTestMessage } from './relayTestMessage';
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
import { endOfDataCommand } from './smtpCommand';
import type { TranscriptEvent } from './transcriptEvent';

/**
 * Runs relay tests the way KB 304897 does: one connection, EHLO, then per test RSET, MAIL FROM and
 * RCPT TO, classifying every reply. DATA is sent only with confirmByDelivery, and only for tests left
 * NDR-pending, with a small message labelled as a test.
 *
 * When the server drops the connection or answers 421, the runner connects again (with EHLO) and
 * retries the interrupted test once; a test interrupted twice is an 'error' and the run carries on with
 * the rest. One dropped connection never ends the run, unlike the tools the reference lists.
 *
 * Refusals are errors to the server, and servers slow down clients that make many: Postfix sleeps
 * before every reply once a session has made smtpd_soft_error_limit (10) errors and drops it at
 * smtpd_hard_error_limit (20). So after refusalsPerConnection refusals the runner says QUIT and opens
 * a fresh connection before the next test, one connection at a time. The transcript notes each such
 * reconnection, so it still reads as one section per connection.
 */

/**
 * Refusals (4xx/5xx replies) on one connection after which the next test starts on a new connection:
 * below Postfix's default smtpd_soft_error_limit of 10, with room for a test that is refused twice
 * (RSET and MAIL, or MAIL and DATA).
 */
export const refusalsPerConnection = 7;

/** What a test run inside an existing session (the terminal's `/test kb6`) needs beyond the parameters. */
export interface RelayTestContext {
  /** What the control showed earlier, if it ran; refusals mean nothing when it was refused. */
  control?: ControlState;
  confirmByDelivery?: boolean;
}

/** One pass of a test over one connection. */
interface TestAttempt {
  steps: ClassifiedStep[];
  /** Set when the server answered enough to decide. */
  decision?: OutcomeDecision;
  /** Why the connection was lost (or closed by a 421); a new one is needed for the next test. */
  interruption?: string;
  cancelled?: boolean;
  rcptTiming?: RcptTiming;
}

function unbracketed(address: string): string {
  return address.replace(/^<|>$/g, '');
}

function describeReply(reply: SmtpReply): string {
  return `${reply.code}${reply.enhanced ? ` ${reply.enhanced}` : ''} ${reply.text.split('\n')[0]}`.trim();
}

async function attemptRelayTest(
  session: SmtpSession,
  test: RelayTestDefinition,
  addresses: RelayTestAddresses,
  parameters: RelayTestParameters,
  context: RelayTestContext,
): Promise<TestAttempt> {
  const localDomains = classificationDomains(parameters);
  const attempt: TestAttempt = { steps: [] };
  const classified = (command: string, reply: SmtpReply, extra: Partial<ReplyContext> = {}): ClassifiedStep => ({
    command,
    reply,
    classification: classifyReply(reply, { command, localDomains, ...extra }),
  });
  const closing = (reply: SmtpReply, what: string): boolean => {
    if (reply.code !== 421) {
      return false;
    }
    attempt.interruption = `the server answered ${what} with ${describeReply(reply)} and is closing the connection`;
    return true;
  };
  const decide = (steps: { mail: ClassifiedStep; rcpt?: ClassifiedStep }): OutcomeDecision =>
    test.group === 'control' ? decideControlOutcome(steps) : decideRelayOutcome(steps, context.control ?? 'not-run');

  try {
    const rset = await session.command('RSET');
    if (closing(rset, 'RSET')) {
      attempt.steps.push(classified('RSET', rset));
      return attempt;
    }
    if (rset.code >= 400) {
      attempt.steps.push(classified('RSET', rset));
    }

    const mailCommand = `MAIL FROM:${addresses.mailFrom}`;
    const mail = classified(mailCommand, await session.command(mailCommand));
    attempt.steps.push(mail);
    if (closing(mail.reply, 'MAIL FROM')) {
      return attempt;
    }
    if (mail.classification.class === 'rejection') {
      attempt.decision = decide({ mail });
      return attempt;
    }

    const rcptCommand = `RCPT TO:${addresses.rcptTo}`;
    const recipient = unbracketed(addresses.rcptTo);
    const sentAt = performance.now();
    const rcptReply = await session.command(rcptCommand);
    const rcpt = classified(rcptCommand, rcptReply, { recipient });
    attempt.rcptTiming = { latencyMs: performance.now() - sentAt, rejected: rcpt.classification.class === 'rejection' };
    attempt.steps.push(rcpt);
    if (closing(rcptReply, 'RCPT TO')) {
      return attempt;
    }
    attempt.decision = decide({ mail, rcpt });

    if (context.confirmByDelivery && test.group !== 'control' && attempt.decision.outcome === 'needs-confirmation') {
      await confirmByDelivery(session, test, addresses, parameters, rcpt, attempt, classified);
    }
  } catch (error) {
    if (error instanceof CancelledError) {
      attempt.cancelled = true;
      attempt.interruption = describeError(error);
    } else if (error instanceof CommandInjectionError) {
      // Nothing was sent: the addresses themselves are wrong, and the connection is still fine.
      attempt.decision = { outcome: 'error', reason: `Not sent: ${describeError(error)} (check the test parameters).` };
    } else if (error instanceof SmtpError) {
      attempt.interruption = describeError(error);
      if (attempt.decision) {
        // Only confirmByDelivery runs after the decision: RCPT decided, the delivery never answered.
        attempt.decision = { ...attempt.decision, reason: `${attempt.decision.reason} Confirming by delivery failed: ${attempt.interruption}.` };
      }
    } else {
      throw error;
    }
  }
  return attempt;
}

async function confirmByDelivery(
  session: SmtpSession,
  test: RelayTestDefinition,
  addresses: RelayTestAddresses,
  parameters: RelayTestParameters,
  rcpt: ClassifiedStep,
  attempt: TestAttempt,
  classified: (command: string, reply: SmtpReply, extra?: Partial<ReplyContext>) => ClassifiedStep,
): Promise<void> {
  const data = classified('DATA', await session.command('DATA'));
  attempt.steps.push(data);
  if (data.reply.code !== 354) {
    if (data.reply.code === 421) {
      attempt.interruption = `the server answered DATA with ${describeReply(data.reply)}`;
    }
    attempt.decision = {
      outcome: attempt.decision?.outcome ?? 'needs-confirmation',
      reason: `${attempt.decision?.reason ?? ''} DATA was refused (${describeReply(data.reply)}), so delivery could not confirm it.`.trim(),
    };
    return;
  }
  const message = relayTestMessage(test, addresses, parameters.heloName);
  const endReply = await session.sendMessageBody(message);
  const endOfMessage = classified(endOfDataCommand, endReply, { acceptedRecipients: [unbracketed(addresses.rcptTo)] });
  attempt.steps.push(endOfMessage);
  attempt.decision = decideAfterDelivery(rcpt, endOfMessage);
  if (endReply.code === 421) {
    attempt.interruption = `the server answered the end of the message with ${describeReply(endReply)}`;
  }
}

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

function refusalsIn(steps: readonly ClassifiedStep[]): number {
  return steps.filter((step) => step.reply.code >= 400).length;
}

/** What a control result means for the tests after it; also used by the terminal's /test across commands. */
export function controlStateOf(result: RelayTestResult): ControlState {
  if (result.outcome === 'passed') {
    return 'accepted';
  }
  return result.outcome === 'inconclusive' ? 'refused' : 'not-run';
}

/**
 * Runs the selected tests against one server and judges it. Rejects only for unknown test ids; parameters
 * with a line break make every test an 'error' without connecting.
 */
export async function runRelaySuite(options: RelayRunOptions): Promise<RelayReport> {
  const startedAt = Date.now();
  const tests = testsToRun(options.testIds);
  const transcript: TranscriptEvent[] = [];
  const signal = options.signal ?? options.session.signal;
  const connection = new RelayConnection({ ...options.session, ...(signal ? { signal } : {}) }, options.parameters.heloName, (event) => {
    transcript.push(event);
    options.onEvent?.(event);
  });
  const results: RelayTestResult[] = [];
  const rcptTimings: RcptTiming[] = [];
  /** 4xx/5xx replies on the current connection: what the server counts as the client's errors. */
  let refusalsOnConnection = 0;
  let parameters = options.parameters;
  let control: ControlState = 'not-run';
  /** Set once the run cannot go on: every remaining test gets this reason. */
  let stopped: OutcomeDecision | undefined;

  const finish = (test: RelayTestDefinition, result: RelayTestResult): void => {
    results.push(result);
    if (test.group === 'control') {
      control = controlStateOf(result);
    }
    options.onTestFinished?.(result);
  };

  const openConnection = async (): Promise<OutcomeDecision | undefined> => {
    try {
      const opened = await connection.open();
      refusalsOnConnection = 0;
      parameters = resolveRelayParameters(parameters, {
        greeting: opened.greeting,
        ehloReply: opened.ehloReply,
        remoteAddress: opened.session.remoteAddress,
      });
      return undefined;
    } catch (error) {
      if (error instanceof SessionRefusedError) {
        return {
          outcome: error.temporary ? 'error' : 'inconclusive',
          reason: `Not run: ${error.message}.`,
        };
      }
      if (error instanceof SmtpError) {
        return { outcome: 'error', reason: `Not run: ${describeError(error)}.` };
      }
      throw error;
    }
  };

  stopped = lineBreakInParameters(options.parameters) ?? (await openConnection());
  for (const test of tests) {
    const testStartedAt = Date.now();
    if (!stopped && signal?.aborted) {
      stopped = { outcome: 'error', reason: 'Not run: the run was cancelled.' };
    }
    if (!stopped && !connection.isOpen) {
      connection.note('the connection was closed; reconnecting');
      stopped = await openConnection();
    }
    if (!stopped && refusalsOnConnection >= refusalsPerConnection) {
      connection.note(
        `${refusalsOnConnection} refusals on this connection: reconnecting before the server's error limit slows it down ` +
          '(Postfix: smtpd_soft_error_limit)',
      );
      await connection.quit();
      stopped = await openConnection();
    }
    const addresses = test.build(parameters);
    options.onTestStarted?.(test);
    if (stopped) {
      finish(test, resultOf(test, addresses, stopped, [], testStartedAt));
      continue;
    }
    const steps: ClassifiedStep[] = [];
    let attempt = await attemptRelayTest(connection.current!, test, addresses, parameters, { control, confirmByDelivery: options.confirmByDelivery });
    steps.push(...attempt.steps);
    refusalsOnConnection += refusalsIn(attempt.steps);
    let decision = attempt.decision;
    if (attempt.cancelled) {
      stopped = { outcome: 'error', reason: 'Not run: the run was cancelled.' };
      decision = { outcome: 'error', reason: `Cancelled: ${attempt.interruption}.` };
    } else if (attempt.interruption) {
      const firstInterruption = attempt.interruption;
      connection.note(`${test.id} interrupted: ${firstInterruption}; reconnecting`);
      const reconnectFailure = await openConnection();
      if (reconnectFailure) {
        stopped = { outcome: 'error', reason: `Not run: the connection was lost and could not be opened again (${reconnectFailure.reason})` };
        decision ??= { outcome: 'error', reason: `Interrupted (${firstInterruption}), and reconnecting failed: ${reconnectFailure.reason}` };
      } else if (!decision) {
        connection.note(`retrying ${test.id} on the new connection`);
        attempt = await attemptRelayTest(connection.current!, test, addresses, parameters, { control, confirmByDelivery: options.confirmByDelivery });
        steps.push(...attempt.steps);
        refusalsOnConnection += refusalsIn(attempt.steps);
        decision = attempt.decision
          ? { ...attempt.decision, reason: `${attempt.decision.reason} (Retried on a new connection after: ${firstInterruption}.)` }
          : { outcome: 'error', reason: `Interrupted twice: ${firstInterruption}; then ${attempt.interruption ?? 'no reply'}.` };
        if (attempt.cancelled) {
          stopped = { outcome: 'error', reason: 'Not run: the run was cancelled.' };
        }
      }
    }
    if (attempt.rcptTiming) {
      rcptTimings.push(attempt.rcptTiming);
    }
    finish(test, resultOf(test, addresses, decision ?? { outcome: 'error', reason: 'No decision.' }, steps, testStartedAt));
  }
  await connection.quit();

  const warnings = relayWarnings(results, parameters);
  const tarpit = detectTarpit(rcptTimings);
  if (tarpit) {
    warnings.push(tarpitWarning(tarpit.baselineMs, tarpit.slowestMs));
  }
  return {
    target: { host: options.session.host, port: options.session.port },
    verdict: decideRelayVerdict(results),
    warnings,
    tests: results,
    transcript,
    startedAt,
    durationMs: Date.now() - startedAt,
  };
}
