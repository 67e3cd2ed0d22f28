import type { AnnotatedReply } from '../../core/transcript/annotateTranscript';
import { confirmByDeliveryAdvice } from '../../core/relay/relayOutcome';
import { parseMailAddress } from '../../core/protocol/mailAddress';
import { addressArgumentOf, commandKindOf } from '../../core/protocol/smtpCommand';
import { groupOfTest } from '../../core/relay/testOutcome';
import { diagnosticCodes } from '../ids';
import type { DiagnosticsLevel } from '../settingValues';

/**
 * What one reply of a transcript becomes in the editor: a severity, a stable code and a message for a
 * person. No `vscode` here, so the rules are tested with plain node; the glue maps `severity` onto
 * vscode.DiagnosticSeverity. A reply a relay test's outcome rests on (a saved run, whose `=== test` lines
 * annotation reads) takes that outcome, decided as the live run decided it (testOutcome.ts), so the
 * Problems agree with the Test Explorer, the terminal and the verdict:
 *
 *   test failed: proven relay                    Error        relayed              relevant
 *   test needs confirmation: ambiguous acceptance Warning      ndr-pending          relevant  (says what proves it)
 *   test inconclusive                            Warning      inconclusive         relevant
 *   the control accepted                         none at all
 *   reply no command asked for                   Warning      unsolicited          relevant
 *   remote recipient accepted (signal 'relay')   Error        relayed              relevant
 *   routing form at a local domain, bare 2yz     Warning      ndr-pending          relevant  (says what proves it)
 *     ('ambiguous', or NDR-pending without the echo that proves local handling)
 *   NDR-pending proven by the echo               Information  ndr-pending          relevant
 *   not a valid answer ('protocol-violation')    Warning      protocol-violation   relevant
 *   5.1.1 at RCPT (signal 'harvest')             Warning      harvest              relevant
 *   421 (signal 'service-closing')               Warning      service-closing      relevant
 *   500/501/555 (signal 'syntax')                Warning      syntax               relevant
 *   530 / 5.7.0 (signal 'auth-required')         Information  auth-required        relevant
 *   relay denied (signal 'relay-denied')         Information  relay-denied         relevant
 *   other 4yz                                    Information  temporary-failure    relevant at RCPT, else "all"
 *   other 5yz                                    Information  rejected             relevant at RCPT, else "all"
 *   a local recipient accepted, any other        Hint         accepted             "all" only
 *     acceptance (greeting, EHLO, MAIL, RSET...)
 */
export type FindingSeverity = 'error' | 'warning' | 'information' | 'hint';

export type ReplyDiagnosticCode = (typeof diagnosticCodes)[keyof typeof diagnosticCodes];

export interface ReplyFinding {
  severity: FindingSeverity;
  code: ReplyDiagnosticCode;
  message: string;
}

/** The KB's advice against harvesting, for a harvest reason that does not carry it already. */
const harvestAdvice =
  'KB 304897: do no directory lookups during the SMTP conversation (accept, then send an NDR), or turn on a tarpit that delays each unknown recipient.';

/** What proves an acceptance that no reply can settle (KB 304897: the NDR; or delivery, on a server you own). */
export const proofAdvice =
  `What would prove it: the NDR that reaches the sender if the server keeps it local, or ${confirmByDeliveryAdvice}.`;

/** The finding for one reply at the given level, or undefined when the level does not show it (or it is none). */
export function findingForReply(reply: AnnotatedReply, level: DiagnosticsLevel): ReplyFinding | undefined {
  if (level === 'off') {
    return undefined;
  }
  const byTest = testFinding(reply);
  if (byTest === null) {
    return undefined;
  }
  if (byTest !== undefined) {
    return byTest;
  }
  const kind = classifyFinding(reply);
  if (kind.code === diagnosticCodes.ndrPending && reply.settledByDelivery?.outcome === 'passed') {
    // Delivery proved this acceptance local (the NDR in the outbox): the reply that proves it says so.
    return undefined;
  }
  if (!kind.relevant && level !== 'all') {
    return undefined;
  }
  return { severity: kind.severity, code: kind.code, message: messageFor(reply, kind.code) };
}

/**
 * The finding of the reply a test's outcome rests on: null for none at all (the accepted control),
 * undefined when the reply's own rules apply (a refused relay test: relay denied, syntax...).
 */
function testFinding(reply: AnnotatedReply): ReplyFinding | null | undefined {
  const decided = reply.decides;
  if (reply.unsolicited === true || decided === undefined) {
    return undefined;
  }
  const said = (words: string): string => `${decided.id} ${words}: ${decided.reason}`;
  switch (decided.outcome) {
    case 'failed':
      return { severity: 'error', code: diagnosticCodes.relayed, message: said('failed, the server relays') };
    case 'needs-confirmation':
      return { severity: 'warning', code: diagnosticCodes.ndrPending, message: withProofAdvice(said('needs confirmation')) };
    case 'inconclusive':
      return { severity: 'warning', code: diagnosticCodes.inconclusive, message: said('is inconclusive') };
    case 'passed':
      return decided.id === 'control' || groupOfTest(decided.id) === 'control' ? null : undefined;
    case 'error':
      return undefined;
  }
}

function hasSignal(reply: AnnotatedReply, signal: string): boolean {
  return (reply.signals as readonly string[]).includes(signal);
}

/** RCPT to an address with no routing in it (no %, !, source route, second or quoted @). */
function isPlainRecipient(command: string | undefined): boolean {
  const argument = command === undefined || commandKindOf(command) !== 'rcpt' ? undefined : addressArgumentOf(command);
  if (argument === undefined) {
    return false;
  }
  const address = parseMailAddress(argument);
  return (
    address.domain !== undefined &&
    address.atSignsOutsideQuotes === 1 &&
    !address.quotedLocalPart &&
    address.percentHack === undefined &&
    address.bangPath === undefined &&
    address.sourceRoute.length === 0
  );
}

function withProofAdvice(message: string): string {
  return /confirm|NDR that/i.test(message) ? message : `${message} ${proofAdvice}`;
}

interface FindingKind {
  severity: FindingSeverity;
  code: ReplyDiagnosticCode;
  /** Shown at level "relevant" (and "all"); otherwise only at "all". */
  relevant: boolean;
}

function classifyFinding(reply: AnnotatedReply): FindingKind {
  const has = (signal: string): boolean => hasSignal(reply, signal);
  if (reply.unsolicited === true) {
    return { severity: 'warning', code: diagnosticCodes.unsolicited, relevant: true };
  }
  if (has('relay')) {
    return { severity: 'error', code: diagnosticCodes.relayed, relevant: true };
  }
  if (has('protocol-violation')) {
    return { severity: 'warning', code: diagnosticCodes.protocolViolation, relevant: true };
  }
  if (has('local-recipient') || (reply.class === 'ndr-pending' && isPlainRecipient(reply.command))) {
    // A plain local recipient accepted (the control): ordinary inbound mail, no finding and no NDR promised.
    return { severity: 'hint', code: diagnosticCodes.accepted, relevant: false };
  }
  if (has('ambiguous') || (reply.class === 'ndr-pending' && !has('local-domain-appended'))) {
    // Accepted, but nothing in the reply shows where it goes: a Warning that says what would prove it.
    return { severity: 'warning', code: diagnosticCodes.ndrPending, relevant: true };
  }
  if (reply.class === 'ndr-pending') {
    // The echo proves local handling (KB 304897 tests 6 and 7 on Exchange): what a closed server does.
    return { severity: 'information', code: diagnosticCodes.ndrPending, relevant: true };
  }
  if (reply.class === 'acceptance') {
    // A local recipient accepted (the control), the greeting, EHLO, MAIL...: ordinary mail, no finding.
    return { severity: 'hint', code: diagnosticCodes.accepted, relevant: false };
  }
  // Rejections from here on. The order follows the classifier's reasons, so code and message agree.
  if (has('service-closing')) {
    // The connection ends here: whatever was still to be tested was not.
    return { severity: 'warning', code: diagnosticCodes.serviceClosing, relevant: true };
  }
  if (has('auth-required')) {
    return { severity: 'information', code: diagnosticCodes.authRequired, relevant: true };
  }
  if (has('relay-denied')) {
    return { severity: 'information', code: diagnosticCodes.relayDenied, relevant: true };
  }
  if (has('harvest')) {
    return { severity: 'warning', code: diagnosticCodes.harvest, relevant: true };
  }
  if (has('syntax')) {
    // A syntax refusal is not a relay refusal: the test did not test what it meant to (often the bare
    // address form of the KB), so it deserves more attention than a plain rejection.
    return { severity: 'warning', code: diagnosticCodes.syntax, relevant: true };
  }
  const atRecipient = reply.command !== undefined && commandKindOf(reply.command) === 'rcpt';
  return {
    severity: 'information',
    code: reply.temporary ? diagnosticCodes.temporaryFailure : diagnosticCodes.rejected,
    relevant: atRecipient,
  };
}

function messageFor(reply: AnnotatedReply, code: ReplyDiagnosticCode): string {
  let message = reply.reason;
  if (code === diagnosticCodes.unsolicited) {
    message = `No command asked for this reply (${reply.code}): the server answered twice, or before it was asked. It is kept here; a relay test it falls in is inconclusive.`;
  } else if (code === diagnosticCodes.ndrPending && reply.signals.includes('local-domain-appended')) {
    message = reply.reason;
  } else if (code === diagnosticCodes.ndrPending) {
    message = withProofAdvice(message);
  } else if (code === diagnosticCodes.accepted && reply.class === 'ndr-pending') {
    message = `${reply.code}${reply.enhanced !== undefined && !reply.enhancedInferred ? ` ${reply.enhanced}` : ''}: a local recipient accepted: ordinary inbound mail, which says nothing about relay.`;
  }
  if (code === diagnosticCodes.harvest && !/tarpit/i.test(message)) {
    message = `${message} ${harvestAdvice}`;
  }
  if (reply.problems !== undefined && reply.problems.length > 0) {
    message = `${message} Malformed reply: ${reply.problems.join('; ')}.`;
  }
  return message;
}
