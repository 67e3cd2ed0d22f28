import type { Classification } from './classification';
import type { SmtpReply } from './reply';
import type { ClassifiedReplyRecord, RelayTestOutcome } from './relayTypes';

/**
 * The outcome of one relay test from its classified replies. Pure: the runner feeds it what the server
 * answered, so the rules can be read (and tested) apart from the network.
 */

/** One command of a test, the reply to it, and what that reply means. */
export interface ClassifiedStep {
  command: string;
  reply: SmtpReply;
  classification: Classification;
  /** From the command sent to its complete reply. */
  latencyMs?: number;
}

/** What the control test of this run showed, as far as the later tests are concerned. */
export type ControlState = 'accepted' | 'refused' | 'not-run';

export interface OutcomeDecision {
  outcome: RelayTestOutcome;
  reason: string;
}

export function classifiedRecord(step: ClassifiedStep): ClassifiedReplyRecord {
  const { classification, reply } = step;
  const record: ClassifiedReplyRecord = {
    command: step.command,
    code: reply.code,
    enhanced: classification.enhanced ?? null,
    text: reply.text,
    class: classification.class,
    temporary: classification.temporary,
    reason: classification.reason,
  };
  if (classification.signals.length > 0) {
    record.signals = [...classification.signals];
  }
  if (step.latencyMs !== undefined) {
    record.latencyMs = Math.round(step.latencyMs);
  }
  return record;
}

/** The commands a test got through before its outcome was known: MAIL always, RCPT when MAIL was accepted. */
export interface TestSteps {
  mail: ClassifiedStep;
  rcpt?: ClassifiedStep;
}

/**
 * How to settle an NDR-pending result, in words every face can show: the CLI calls it --confirm-by-delivery,
 * VS Code a setting and a Test Explorer profile, so the text names none of them.
 */
export const confirmByDeliveryAdvice = 're-run with confirmation by delivery (sends DATA) against a server you own';

const confirmHint = `The NDR that follows is the proof it was not relayed (KB 304897); or ${confirmByDeliveryAdvice}.`;

/** The control must be accepted: a server that refuses ordinary inbound mail makes every rejection meaningless. */
export function decideControlOutcome(steps: TestSteps): OutcomeDecision {
  const refusal = steps.mail.classification.class === 'rejection' ? steps.mail : steps.rcpt;
  if (refusal && refusal.classification.class === 'rejection') {
    const what = refusal === steps.mail ? 'MAIL FROM' : 'RCPT TO';
    return {
      outcome: 'inconclusive',
      reason:
        `Control refused at ${what}: ${refusal.classification.reason} ` +
        'A working server accepts mail for its own users, so rejections in the other tests prove nothing.',
    };
  }
  const accepted = steps.rcpt ?? steps.mail;
  return {
    outcome: 'passed',
    reason: `Control accepted: ${accepted.classification.reason} The server takes ordinary inbound mail, so its rejections are meaningful.`,
  };
}

/**
 * A relay test passes when the server refuses it (at MAIL or RCPT), fails when it accepts a remote
 * recipient, and needs confirmation when it accepts for local delivery (KB tests 6 and 7 on Exchange).
 * A refusal means nothing when the control was refused too. "Authentication required" is a refusal to
 * relay only once the control showed the server takes unauthenticated mail for its own users.
 */
export function decideRelayOutcome(steps: TestSteps, control: ControlState): OutcomeDecision {
  const mailRefused = steps.mail.classification.class === 'rejection';
  const refusal = mailRefused ? steps.mail : steps.rcpt?.classification.class === 'rejection' ? steps.rcpt : undefined;
  if (refusal) {
    const where = mailRefused ? 'MAIL FROM refused, so nothing can be relayed this way' : 'rejected at RCPT';
    if (control === 'refused') {
      return {
        outcome: 'inconclusive',
        reason: `${capitalised(where)}: ${refusal.classification.reason} But the control was refused too: the server rejects everything from this client.`,
      };
    }
    if (refusal.classification.signals.includes('auth-required') && control !== 'accepted') {
      return {
        outcome: 'inconclusive',
        reason:
          `${capitalised(where)}: ${refusal.classification.reason} ` +
          'Without an accepted control this may be a server that wants authentication for everything.',
      };
    }
    return { outcome: 'passed', reason: `${capitalised(where)}: ${refusal.classification.reason}` };
  }
  const rcpt = steps.rcpt;
  if (!rcpt) {
    return { outcome: 'error', reason: 'The test stopped before RCPT TO was answered.' };
  }
  if (rcpt.classification.signals.includes('relay')) {
    return { outcome: 'failed', reason: `Relayed: ${rcpt.classification.reason}` };
  }
  if (rcpt.classification.class === 'ndr-pending') {
    return { outcome: 'needs-confirmation', reason: `NDR-pending: ${rcpt.classification.reason} ${confirmHint}` };
  }
  return {
    outcome: 'needs-confirmation',
    reason: `Accepted with ${rcpt.reply.code}, neither refused nor clearly kept local: ${rcpt.classification.reason} ${confirmHint}`,
  };
}

/**
 * With confirmation by delivery, the reply to the end of the message settles what RCPT left open: per
 * RFC 5321 §4.2.5 a 250 there means the server took responsibility for delivering it or for an NDR.
 */
export function decideAfterDelivery(rcpt: ClassifiedStep, endOfMessage: ClassifiedStep): OutcomeDecision {
  const { classification } = endOfMessage;
  if (classification.class === 'rejection') {
    return { outcome: 'passed', reason: `Accepted at RCPT, but the message was refused after DATA: ${classification.reason}` };
  }
  if (classification.signals.includes('relay')) {
    return { outcome: 'failed', reason: `Relayed: ${classification.reason}` };
  }
  return {
    outcome: 'needs-confirmation',
    reason:
      `Accepted at RCPT: ${rcpt.classification.reason} After DATA: ${classification.reason} ` +
      'See where the test message went (the lab outbox, or the NDR to the sender).',
  };
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
