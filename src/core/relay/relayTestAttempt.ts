import { performance } from 'node:perf_hooks';
import type { ReplyContext } from './classification';
import { classifyReply } from './classifyReply';
import { CancelledError, CommandInjectionError, describeError, SmtpError } from '../protocol/errors';
import type { ClassifiedStep, ControlState, OutcomeDecision } from './relayOutcome';
import { classificationDomains } from './relayParameters';
import type { RcptTiming } from './relayTarpit';
import { relayTestMessage } from './relayTestMessage';
import { judgeGreylisting } from '../reach/greylisting';
import type { DeliveryEvidence, RelayTestAddresses, RelayTestDefinition, RelayTestParameters, SenderRetry } from './relayTypes';
import type { SmtpReply } from '../protocol/reply';
import type { SmtpSession } from '../protocol/session';
import { endOfDataCommand } from '../protocol/smtpCommand';
import { decideTestOutcome, deliveryEvidenceNote, describeReply, type TestStep } from './testOutcome';

/**
 * One pass of one relay test over one open session, as KB 304897 types it: RSET, MAIL FROM, RCPT TO and,
 * only with confirmByDelivery, DATA. It decides the test's outcome when the server answered enough, and
 * otherwise says why it was interrupted; reconnecting and retrying is the runner's job (relayRunner.ts).
 */

/** What a test run inside an existing session (the terminal's `/test kb6`) needs beyond the parameters. */
export interface RelayTestContext {
  /** What the control showed earlier, if it ran; refusals mean nothing when it was refused. */
  control?: ControlState;
  confirmByDelivery?: boolean;
  /** DATA only for tests whose acceptance nothing else proves (the lab: delivery to our own server is safe). */
  confirmUnprovenByDelivery?: boolean;
  /** What became of a test message the server accepted (the lab outbox). */
  deliveryEvidence?: (test: RelayTestDefinition) => DeliveryEvidence | undefined;
  /** The token the delivered test message carries (RelayRunOptions.messageToken). */
  token?: string;
  /**
   * A sender the server accepted earlier (the control's MAIL FROM, as sent): when the test's own sender is
   * refused, its recipient is tried again with this one, so that every recipient form reaches RCPT.
   */
  acceptedSender?: string;
  /** Send DATA for every test whose recipient was accepted (failed or passed at RCPT too), so that a catcher can prove what happened. */
  confirmRelayed?: boolean;
}

/** One pass of a test over one connection. */
export interface TestAttempt {
  steps: TestStep[];
  /** Set when the server answered enough to decide. */
  decision?: OutcomeDecision;
  /** Why the connection was lost (or closed by a 421); a new one is needed for the next test. */
  interruption?: string;
  cancelled?: boolean;
  rcptTiming?: RcptTiming;
  /** Set when the test's sender was refused and its recipient was tried with an accepted sender. */
  senderRetry?: SenderRetry;
}

function unbracketed(address: string): string {
  return address.replace(/^<|>$/g, '');
}

/** Stands in for the command of a reply no command was waiting for (as PairedReplyClassifier does). */
const unsolicitedCommand = '(no command)';

/**
 * The sender to try the recipient with after the test's own sender was refused: the accepted one from the
 * context, unless this test is the control, that sender is the refused one, the refusal is greylisting
 * (the runner retries the same sender later) or the server refuses everything for want of AUTH.
 */
function senderToRetryWith(test: RelayTestDefinition, addresses: RelayTestAddresses, mail: ClassifiedStep, context: RelayTestContext): string | undefined {
  const accepted = context.acceptedSender;
  if (accepted === undefined || test.group === 'control' || unbracketed(accepted) === unbracketed(addresses.mailFrom)) {
    return undefined;
  }
  if (judgeGreylisting(mail.reply, mail.classification.signals).greylisted || mail.classification.signals.includes('auth-required')) {
    return undefined;
  }
  return accepted;
}

export async function attemptRelayTest(
  session: SmtpSession,
  test: RelayTestDefinition,
  addresses: RelayTestAddresses,
  parameters: RelayTestParameters,
  context: RelayTestContext,
): Promise<TestAttempt> {
  const localDomains = classificationDomains(parameters);
  const attempt: TestAttempt = { steps: [] };
  const classified = (command: string, reply: SmtpReply, extra: Partial<ReplyContext> = {}, latencyMs?: number): ClassifiedStep => ({
    command,
    reply,
    classification: classifyReply(reply, { command, localDomains, ...extra }),
    ...(latencyMs === undefined ? {} : { latencyMs }),
  });
  let lastLatencyMs = 0;
  /** session.command, timing the reply (kept per reply in the results: a tarpit shows as slow). */
  const send = async (command: string): Promise<SmtpReply> => {
    const sentAt = performance.now();
    const reply = await session.command(command);
    lastLatencyMs = performance.now() - sentAt;
    return reply;
  };
  const closing = (reply: SmtpReply, what: string): boolean => {
    if (reply.code !== 421) {
      return false;
    }
    attempt.interruption = `the server answered ${what} with ${describeReply(reply)} and is closing the connection`;
    return true;
  };
  // Every decision goes through the one reading of a test's steps that annotation uses too (testOutcome.ts).
  const decide = (): OutcomeDecision | undefined => decideTestOutcome(test.group, attempt.steps, context.control ?? 'not-run');
  // A reply no command was waiting for is kept as a step, so the decision sees it (the transcript has it too).
  const stopListening = session.onUnsolicitedReply((reply) => {
    attempt.steps.push({ ...classified(unsolicitedCommand, reply), unsolicited: true });
  });

  try {
    const rset = await send('RSET');
    if (closing(rset, 'RSET')) {
      attempt.steps.push(classified('RSET', rset, {}, lastLatencyMs));
      return attempt;
    }
    if (rset.code >= 400) {
      attempt.steps.push(classified('RSET', rset, {}, lastLatencyMs));
    }

    const mailCommand = `MAIL FROM:${addresses.mailFrom}`;
    const mailReply = await send(mailCommand);
    const mail = classified(mailCommand, mailReply, {}, lastLatencyMs);
    attempt.steps.push(mail);
    if (closing(mail.reply, 'MAIL FROM')) {
      return attempt;
    }
    if (mail.classification.class === 'rejection') {
      const retrySender = senderToRetryWith(test, addresses, mail, context);
      if (retrySender === undefined) {
        attempt.decision = decide();
        return attempt;
      }
      // The sender form is answered; the recipient form still has to be: same recipient, accepted sender.
      const retryCommand = `MAIL FROM:${retrySender}`;
      const retryMail = classified(retryCommand, await send(retryCommand), {}, lastLatencyMs);
      attempt.steps.push(retryMail);
      if (closing(retryMail.reply, 'MAIL FROM')) {
        return attempt;
      }
      if (retryMail.classification.class === 'rejection') {
        attempt.decision = decide();
        return attempt;
      }
      attempt.senderRetry = { mailFrom: retrySender, refusedSender: addresses.mailFrom, senderReply: describeReply(mail.reply) };
    }

    const rcptCommand = `RCPT TO:${addresses.rcptTo}`;
    const recipient = unbracketed(addresses.rcptTo);
    const rcptReply = await send(rcptCommand);
    const rcpt = classified(rcptCommand, rcptReply, { recipient }, lastLatencyMs);
    attempt.rcptTiming = { latencyMs: lastLatencyMs, rejected: rcpt.classification.class === 'rejection' };
    attempt.steps.push(rcpt);
    if (closing(rcptReply, 'RCPT TO')) {
      return attempt;
    }
    attempt.decision = decide();

    // Confirm what the replies leave open: every needs-confirmation with confirmByDelivery (and the failed ones
    // too with confirmRelayed, for a catcher), or (the lab) only those nothing proves yet: an ambiguous
    // acceptance; an echo of the local domain is proof already.
    const unproven = attempt.decision?.proof === undefined || attempt.decision.proof === 'none';
    // With a catcher every accepted recipient gets the message: the copy or the NDR that comes of it is the proof.
    const deliver =
      attempt.decision?.outcome === 'needs-confirmation' ||
      (context.confirmRelayed === true && rcptReply.code >= 200 && rcptReply.code < 300 && attempt.decision?.outcome !== 'error');
    const confirming = context.confirmByDelivery === true || (context.confirmUnprovenByDelivery === true && unproven);
    if (confirming && test.group !== 'control' && deliver) {
      await confirmByDelivery(session, test, addresses, parameters, attempt, classified, decide, context.token, context.deliveryEvidence);
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
  } finally {
    stopListening();
  }
  // A second answer that came after the decision (550, then 250 to the same RCPT) still counts.
  if (attempt.decision !== undefined && attempt.steps.some((step) => step.unsolicited === true)) {
    attempt.decision = decide() ?? attempt.decision;
  }
  return attempt;
}

async function confirmByDelivery(
  session: SmtpSession,
  test: RelayTestDefinition,
  addresses: RelayTestAddresses,
  parameters: RelayTestParameters,
  attempt: TestAttempt,
  classified: (command: string, reply: SmtpReply, extra?: Partial<ReplyContext>, latencyMs?: number) => ClassifiedStep,
  decide: () => OutcomeDecision | undefined,
  token: string | undefined,
  deliveryEvidence?: (test: RelayTestDefinition) => DeliveryEvidence | undefined,
): Promise<void> {
  const dataSentAt = performance.now();
  const dataReply = await session.command('DATA');
  const data = classified('DATA', dataReply, {}, performance.now() - dataSentAt);
  attempt.steps.push(data);
  if (data.reply.code !== 354) {
    if (data.reply.code === 421) {
      attempt.interruption = `the server answered DATA with ${describeReply(data.reply)}`;
    }
    attempt.decision = decide() ?? attempt.decision;
    return;
  }
  const message = relayTestMessage(test, addresses, parameters.heloName, new Date(), token);
  const bodySentAt = performance.now();
  const endReply = await session.sendMessageBody(message);
  const endOfMessage = classified(
    endOfDataCommand,
    endReply,
    { acceptedRecipients: [unbracketed(addresses.rcptTo)] },
    performance.now() - bodySentAt,
  );
  // What became of the message (the lab outbox) goes with the end-of-message step, where the decision reads it.
  const delivered = endReply.code >= 200 && endReply.code < 300 ? deliveryEvidence?.(test) : undefined;
  if (delivered !== undefined) {
    session.note(deliveryEvidenceNote(test.id, delivered));
  }
  attempt.steps.push(delivered === undefined ? endOfMessage : { ...endOfMessage, delivered });
  const before = attempt.decision;
  const after = decide() ?? attempt.decision;
  // A test that RCPT already showed relaying stays failed unless the message itself was refused.
  attempt.decision = before?.outcome === 'failed' && after?.outcome !== 'passed' ? before : after;
  if (endReply.code === 421) {
    attempt.interruption = `the server answered the end of the message with ${describeReply(endReply)}`;
  }
}

