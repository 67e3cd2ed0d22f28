import type { Classification } from './classification';
import { confirmByDeliveryAdvice } from './relayAdvice';
import type { SmtpReply } from '../protocol/reply';
import type { ClassifiedReplyRecord, DeliveryEvidence, RelayProof, RelayTestOutcome } from './relayTypes';

/**
 * The outcome of one relay test from its classified replies. Pure: the runner feeds it what the server
 * answered, so the rules can be read (and tested) apart from the network.
 */

/** One command of a test, the reply to it, and what that reply means. */
export interface ClassifiedStep {
  command: string;
  reply: SmtpReply;
  classification: Classification;
  /** For the reply to the end of a message: what a delivery check found (the lab outbox). */
  delivered?: DeliveryEvidence;
  /** From the command sent to its complete reply. */
  latencyMs?: number;
}

/** What the control test of this run showed, as far as the later tests are concerned. */
export type ControlState = 'accepted' | 'refused' | 'not-run';

export interface OutcomeDecision {
  outcome: RelayTestOutcome;
  reason: string;
  /** How the outcome was proven (relayTypes.ts); absent when a caller decided without the evidence rules. */
  proof?: RelayProof;
}

export function classifiedRecord(step: ClassifiedStep): ClassifiedReplyRecord {
  const { classification, reply } = step;
  const record: ClassifiedReplyRecord = {
    command: step.command,
    code: reply.code,
    enhanced: classification.enhanced ?? null,
    ...(classification.inferredEnhanced === undefined ? {} : { inferredEnhanced: classification.inferredEnhanced }),
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

export { confirmByDeliveryAdvice };

const confirmHint = `The NDR that follows is the proof it was not relayed (KB 304897); or ${confirmByDeliveryAdvice}.`;

/** The first step whose reply broke the protocol, with where it was. */
function violationIn(steps: TestSteps): { step: ClassifiedStep; where: string } | undefined {
  if (steps.mail.classification.signals.includes('protocol-violation')) {
    return { step: steps.mail, where: 'MAIL FROM' };
  }
  if (steps.rcpt?.classification.signals.includes('protocol-violation')) {
    return { step: steps.rcpt, where: 'RCPT TO' };
  }
  return undefined;
}

function protocolViolationDecision(violation: { step: ClassifiedStep; where: string }): OutcomeDecision {
  return {
    outcome: 'inconclusive',
    proof: 'none',
    reason: `Protocol violation at ${violation.where}: ${violation.step.classification.reason} This test proves nothing either way.`,
  };
}

/** The control must be accepted: a server that refuses ordinary inbound mail makes every rejection meaningless. */
export function decideControlOutcome(steps: TestSteps): OutcomeDecision {
  const violation = violationIn(steps);
  if (violation) {
    return protocolViolationDecision(violation);
  }
  const refusal = steps.mail.classification.class === 'rejection' ? steps.mail : steps.rcpt;
  if (refusal && refusal.classification.class === 'rejection') {
    const what = refusal === steps.mail ? 'MAIL FROM' : 'RCPT TO';
    return {
      outcome: 'inconclusive',
      proof: 'refused',
      reason:
        `Control refused at ${what}: ${refusal.classification.reason} ` +
        'A working server accepts mail for its own users, so rejections in the other tests prove nothing.',
    };
  }
  const accepted = steps.rcpt ?? steps.mail;
  return {
    outcome: 'passed',
    proof: 'local-recipient',
    reason: `Control accepted: ${accepted.classification.reason} The server takes ordinary inbound mail, so its rejections are meaningful.`,
  };
}

/**
 * A relay test, by the evidence rules (classifyReply.ts):
 *   refused at MAIL or RCPT                      -> passed (inconclusive when the control was refused too,
 *                                                   or when only authentication was asked and no control passed);
 *   a protocol violation, or 503 to RCPT          -> inconclusive;
 *   acceptance with 'relay'                       -> failed (a remote recipient, or a routing form unproven);
 *   NDR-pending proven by the echo               -> needs-confirmation, proof 'echo' (a closed verdict allows it);
 *   an ambiguous acceptance                       -> needs-confirmation, proof 'none' (the verdict cannot be closed);
 *   an ordinary local recipient accepted          -> passed (no relay attempt; the harvest probe).
 */
export function decideRelayOutcome(steps: TestSteps, control: ControlState): OutcomeDecision {
  const violation = violationIn(steps);
  if (violation) {
    return protocolViolationDecision(violation);
  }
  const mailRefused = steps.mail.classification.class === 'rejection';
  const refusal = mailRefused ? steps.mail : steps.rcpt?.classification.class === 'rejection' ? steps.rcpt : undefined;
  if (refusal) {
    if (!mailRefused && refusal.classification.signals.includes('sequence')) {
      return {
        outcome: 'inconclusive',
        proof: 'none',
        reason: `RCPT TO answered out of sequence: ${refusal.classification.reason} The recipient form was not judged.`,
      };
    }
    const syntaxAtMail = mailRefused && refusal.classification.signals.includes('syntax');
    const where = mailRefused
      ? syntaxAtMail
        ? 'MAIL FROM refused as syntax, so nothing can be relayed with this sender form (the recipient form was not exercised)'
        : 'MAIL FROM refused, so nothing can be relayed this way'
      : 'rejected at RCPT';
    if (control === 'refused') {
      return {
        outcome: 'inconclusive',
        proof: 'refused',
        reason: `${capitalised(where)}: ${refusal.classification.reason} But the control was refused too: the server rejects everything from this client.`,
      };
    }
    if (refusal.classification.signals.includes('auth-required') && control !== 'accepted') {
      return {
        outcome: 'inconclusive',
        proof: 'refused',
        reason:
          `${capitalised(where)}: ${refusal.classification.reason} ` +
          'Without an accepted control this may be a server that wants authentication for everything.',
      };
    }
    return { outcome: 'passed', proof: 'refused', reason: `${capitalised(where)}: ${refusal.classification.reason}` };
  }
  const rcpt = steps.rcpt;
  if (!rcpt) {
    return { outcome: 'error', proof: 'none', reason: 'The test stopped before RCPT TO was answered.' };
  }
  const signals = rcpt.classification.signals;
  if (signals.includes('relay')) {
    return { outcome: 'failed', proof: 'accepted', reason: `Relayed: ${rcpt.classification.reason}` };
  }
  if (signals.includes('local-domain-appended')) {
    return { outcome: 'needs-confirmation', proof: 'echo', reason: `NDR-pending: ${rcpt.classification.reason} ${confirmHint}` };
  }
  if (signals.includes('ambiguous')) {
    return {
      outcome: 'needs-confirmation',
      proof: 'none',
      reason: `Ambiguous: ${rcpt.classification.reason} Until then the run cannot be called closed.`,
    };
  }
  if (signals.includes('local-recipient')) {
    return {
      outcome: 'passed',
      proof: 'local-recipient',
      reason: `Not a relay attempt: ${rcpt.classification.reason} The server did not tell at RCPT whether the user exists.`,
    };
  }
  return {
    outcome: 'needs-confirmation',
    proof: 'none',
    reason: `Accepted with ${rcpt.reply.code}, neither refused nor proven local: ${rcpt.classification.reason} ${confirmHint}`,
  };
}

/**
 * With confirmation by delivery, the reply to the end of the message settles what RCPT left open: per
 * RFC 5321 §4.2.5 a 250 there means the server took responsibility for delivering it or for an NDR.
 * What became of the message (`delivered`, the lab outbox) proves it: an NDR means it stayed local
 * (passed), a copy for the remote domain means it was relayed (failed).
 */
export function decideAfterDelivery(
  rcpt: ClassifiedStep,
  endOfMessage: ClassifiedStep,
  delivered: DeliveryEvidence | undefined = endOfMessage.delivered,
): OutcomeDecision {
  const { classification } = endOfMessage;
  if (classification.class === 'rejection') {
    return { outcome: 'passed', proof: 'refused', reason: `Accepted at RCPT, but the message was refused after DATA: ${classification.reason}` };
  }
  if (delivered?.result === 'relayed') {
    return {
      outcome: 'failed',
      proof: 'lab-outbox-relay',
      reason: `Relayed, proven by delivery: ${delivered.evidence}. The RCPT reply alone (${replyLabel(rcpt)}) could not show it.`,
    };
  }
  if (classification.signals.includes('relay')) {
    return { outcome: 'failed', proof: 'accepted', reason: `Relayed: ${classification.reason}` };
  }
  if (delivered?.result === 'bounced') {
    return {
      outcome: 'passed',
      proof: 'lab-outbox-ndr',
      reason: `Not relayed, proven by delivery: ${delivered.evidence}. The RCPT reply alone (${replyLabel(rcpt)}) could not show it.`,
    };
  }
  const echoed = rcpt.classification.signals.includes('local-domain-appended');
  return {
    outcome: 'needs-confirmation',
    proof: echoed ? 'echo' : 'none',
    reason:
      `Accepted at RCPT: ${rcpt.classification.reason} After DATA: ${classification.reason} ` +
      `${delivered ? `${delivered.evidence}. ` : ''}See where the test message went (the lab outbox, or the NDR to the sender).`,
  };
}

/** "250 2.1.5" or "250": the code and the enhanced code the server wrote. */
function replyLabel(step: ClassifiedStep): string {
  return step.classification.enhanced ? `${step.reply.code} ${step.classification.enhanced}` : String(step.reply.code);
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
