import { judgeGreylisting } from '../reach/greylisting';
import { findRelayTest } from './relayCatalogue';
import {
  decideAfterDelivery,
  decideControlOutcome,
  decideRelayOutcome,
  type ClassifiedStep,
  type ControlState,
  type OutcomeDecision,
} from './relayOutcome';
import type { DeliveryEvidence, RelayTestDefinition, RelayTestGroup, RelayTestOutcome } from './relayTypes';
import type { SmtpReply } from '../protocol/reply';
import { commandKindOf } from '../protocol/smtpCommand';

/**
 * The one place a test's outcome is read from its replies, for every face: the runner (CLI, Test Explorer,
 * Run Relay Suite, the terminal's /test and so the walkthrough) and the annotation of a saved transcript.
 * It only picks the steps out of what was exchanged (MAIL, the RCPT after it, DATA and the end of the
 * message when delivery confirmed it) and hands them to the rules in relayOutcome.ts, which it never
 * restates. A live run and the annotation of its saved file therefore give the same answer per test.
 *
 * The runner marks where each test starts with an info event, `test <id>: <title>` (`=== test kb1: …` in a
 * saved file, as on the terminal's screen), and `retrying <id> on the new connection` when a test is run a
 * second time after a dropped connection: only the steps of the last attempt decide.
 */

/** A step of a test, as the decision reads it; `unsolicited` for a reply no command was waiting for. */
export interface TestStep extends ClassifiedStep {
  unsolicited?: boolean;
}

/** The info event that opens a test in a transcript: `test kb1: KB test 1: …`. */
export function testStartNote(test: Pick<RelayTestDefinition, 'id' | 'title'>): string {
  return `test ${test.id}: ${test.title}`;
}

const testStartPattern = /^test ([A-Za-z0-9][A-Za-z0-9-]{0,63}): (.*)$/s;

/** The test an info event opens, or undefined when it opens none. */
export function parseTestStartNote(text: string): { id: string; title: string } | undefined {
  const match = testStartPattern.exec(text);
  return match ? { id: match[1], title: match[2] } : undefined;
}

/** The info event the runner writes before running a test again on a new connection. */
export function testRetryNote(id: string): string {
  return `retrying ${id} on the new connection`;
}

/** The info event the runner writes before trying a greylisted test again. */
export function greylistRetryNote(id: string, firstReply: string, delay: string): string {
  return `${id} greylisted (${firstReply}); retrying with the same sender and recipient in ${delay}`;
}

/** The test an info event says is being tried again (after a dropped connection, or greylisting), or undefined. */
export function parseTestRetryNote(text: string): string | undefined {
  const match =
    /^retrying ([A-Za-z0-9][A-Za-z0-9-]{0,63}) on the new connection$/.exec(text) ??
    /^([A-Za-z0-9][A-Za-z0-9-]{0,63}) greylisted \(.*\); retrying with the same sender and recipient in /s.exec(text);
  return match?.[1];
}

/**
 * The info event that records what a delivery check found for a test's message (the lab outbox), right
 * after the reply to the end of the message: the proof travels with the transcript, so annotating the saved
 * file decides the test as the live run did.
 */
export function deliveryEvidenceNote(id: string, delivered: DeliveryEvidence): string {
  return `delivery ${id}: ${delivered.result} (${delivered.method}): ${delivered.evidence}`;
}

const deliveryEvidencePattern = /^delivery ([A-Za-z0-9][A-Za-z0-9-]{0,63}): (relayed|bounced|none) \((lab-outbox)\): (.*)$/s;

/** The test and the delivery evidence an info event records, or undefined when it records none. */
export function parseDeliveryEvidenceNote(text: string): { id: string; delivered: DeliveryEvidence } | undefined {
  const match = deliveryEvidencePattern.exec(text);
  if (!match) {
    return undefined;
  }
  return {
    id: match[1],
    delivered: { result: match[2] as DeliveryEvidence['result'], method: match[3] as DeliveryEvidence['method'], evidence: match[4] },
  };
}

/** The group of a test id: the catalogue's, else "control" for the control and "extended" for anything else. */
export function groupOfTest(id: string): RelayTestGroup {
  return findRelayTest(id)?.group ?? (id === 'control' ? 'control' : 'extended');
}

export function describeReply(reply: SmtpReply): string {
  return `${reply.code}${reply.enhanced ? ` ${reply.enhanced}` : ''} ${reply.text.split('\n')[0]}`.trim();
}

/**
 * The outcome of one attempt at a test from its steps in the order they were exchanged, or undefined when
 * the steps do not decide it (the server closed the connection, 421, before answering MAIL or RCPT).
 *
 *   MAIL refused                      -> the relay rules on the refusal;
 *   MAIL accepted, RCPT answered      -> the relay rules (the control's rules for the control);
 *   then DATA refused                 -> that outcome, saying delivery could not confirm it;
 *   then the end of the message       -> the rules after delivery;
 *   a reply no command asked for      -> inconclusive: the server answered twice, so which answer holds
 *                                        is unknown (the reply is kept and shown, never dropped).
 */
export function decideTestOutcome(
  group: RelayTestGroup,
  steps: readonly TestStep[],
  control: ControlState,
): OutcomeDecision | undefined {
  return decideTestWithProof(group, steps, control)?.decision;
}

/** The decision and the step it rests on (the reply a face points at: the RCPT, or the refused MAIL...). */
export interface TestDecision {
  decision: OutcomeDecision;
  step: TestStep;
}

/** decideTestOutcome, saying which step decided. */
export function decideTestWithProof(
  group: RelayTestGroup,
  steps: readonly TestStep[],
  control: ControlState,
): TestDecision | undefined {
  const decide = (picked: { mail: ClassifiedStep; rcpt?: ClassifiedStep }): OutcomeDecision =>
    group === 'control' ? decideControlOutcome(picked) : decideRelayOutcome(picked, control);
  const decided = decideFromCommands(steps, decide);
  if (decided !== undefined && isGreylisting(decided.step)) {
    // The runner retries such a test while the server greylists it; what is left greylisted decides nothing.
    return {
      step: decided.step,
      decision: {
        outcome: 'inconclusive',
        reason: `Greylisted: ${describeReply(decided.step.reply)}, a delay that says nothing about relaying.`,
      },
    };
  }
  const unsolicited = steps.find((step) => step.unsolicited === true);
  if (unsolicited !== undefined && decided !== undefined) {
    return {
      step: unsolicited,
      decision: {
        outcome: 'inconclusive',
        reason:
          `The server sent a reply no command asked for (${describeReply(unsolicited.reply)}), so which of its answers ` +
          `holds is unknown. Without it: ${decided.decision.reason}`,
      },
    };
  }
  return decided;
}

function isGreylisting(step: TestStep): boolean {
  const kind = commandKindOf(step.command);
  return (kind === 'mail' || kind === 'rcpt') && judgeGreylisting(step.reply, step.classification.signals).greylisted;
}

/** What a control result means for the tests after it (the runner and annotation alike). */
export function controlStateOfOutcome(outcome: RelayTestOutcome): ControlState {
  if (outcome === 'passed') {
    return 'accepted';
  }
  return outcome === 'inconclusive' ? 'refused' : 'not-run';
}

function decideFromCommands(
  steps: readonly TestStep[],
  decide: (picked: { mail: ClassifiedStep; rcpt?: ClassifiedStep }) => OutcomeDecision,
): TestDecision | undefined {
  const answered = steps.filter((step) => step.unsolicited !== true);
  const mailIndex = answered.findIndex((step) => commandKindOf(step.command) === 'mail');
  if (mailIndex < 0) {
    return undefined;
  }
  const mail = answered[mailIndex];
  if (mail.reply.code === 421) {
    return undefined;
  }
  if (mail.classification.class === 'rejection') {
    const retried = senderRetryAfter(answered, mailIndex);
    if (retried === undefined) {
      return { decision: decide({ mail }), step: mail };
    }
    // The sender form was refused; the recipient was tried with an accepted sender: that part decides.
    const decided = decideFromCommands(answered.slice(retried), decide);
    return decided && { step: decided.step, decision: withRefusedSender(decided.decision, mail, answered[retried], decided.step) };
  }
  const rcptIndex = answered.findIndex((step, index) => index > mailIndex && commandKindOf(step.command) === 'rcpt');
  if (rcptIndex < 0) {
    return undefined;
  }
  const rcpt = answered[rcptIndex];
  if (rcpt.reply.code === 421) {
    return undefined;
  }
  const decision = decide({ mail, rcpt });
  const after = answered.slice(rcptIndex + 1);
  const data = after.find((step) => commandKindOf(step.command) === 'data');
  if (data === undefined) {
    return { decision, step: rcpt };
  }
  if (data.reply.code !== 354) {
    return {
      step: rcpt,
      decision: {
        outcome: decision.outcome,
        reason: `${decision.reason} DATA was refused (${describeReply(data.reply)}), so delivery could not confirm it.`,
        ...(decision.proof === undefined ? {} : { proof: decision.proof }),
      },
    };
  }
  const endOfMessage = after.find((step) => commandKindOf(step.command) === 'end-of-data');
  return endOfMessage === undefined
    ? { decision, step: rcpt }
    : { decision: decideAfterDelivery(rcpt, endOfMessage), step: endOfMessage };
}

/**
 * The runner's sender retry (relayTestAttempt.ts): right after a refused MAIL, a second MAIL with a sender
 * the server accepted earlier in the run. Its index when it was accepted, so that the recipient part is
 * read from there; undefined when there is none (or it was refused too: then the first refusal decides).
 */
function senderRetryAfter(steps: readonly TestStep[], mailIndex: number): number | undefined {
  const next = steps[mailIndex + 1];
  if (next === undefined || commandKindOf(next.command) !== 'mail' || next.reply.code === 421 || next.classification.class === 'rejection') {
    return undefined;
  }
  return mailIndex + 1;
}

/** Why the test's own sender was refused, in the words of the two-part reason. */
function senderRefusalKind(mail: TestStep): string {
  if (mail.classification.signals.includes('syntax') || (mail.reply.code === 553 && /^5\.1\.[37]$/.test(mail.reply.enhanced ?? ''))) {
    return 'syntax';
  }
  return mail.classification.temporary ? 'temporarily' : 'policy';
}

/** The recipient part's decision, its reason telling both parts (issue 7: every recipient form is exercised). */
function withRefusedSender(decision: OutcomeDecision, refused: TestStep, retry: TestStep, decidedBy: TestStep): OutcomeDecision {
  const sender = retry.command.slice(retry.command.indexOf(':') + 1);
  const recipientPart = commandKindOf(decidedBy.command) === 'mail' ? 'not tried' : decidedBy.classification.class === 'rejection' ? 'refused' : 'accepted';
  return {
    outcome: decision.outcome,
    ...(decision.proof === undefined ? {} : { proof: decision.proof }),
    reason:
      `This sender form is refused (${senderRefusalKind(refused)}: ${describeReply(refused.reply)}); with an accepted sender (${sender}), ` +
      `the recipient form is ${recipientPart}. ${decision.reason}`,
  };
}
