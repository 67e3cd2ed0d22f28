import type { AnnotatedReply } from '../../core/annotateTranscript';
import { commandKindOf } from '../../core/smtpCommand';
import { diagnosticCodes } from '../ids';
import type { DiagnosticsLevel } from '../settingValues';

/**
 * What one reply of a transcript becomes in the editor: a severity, a stable code and a message for a
 * person. No `vscode` here, so the rules are tested with plain node; the glue maps `severity` onto
 * vscode.DiagnosticSeverity.
 *
 *   relay accepted (signal 'relay')        Error        relayed            relevant
 *   NDR-pending acceptance                 Warning      ndr-pending        relevant
 *   5.1.1 at RCPT (signal 'harvest')       Warning      harvest            relevant
 *   421 (signal 'service-closing')         Warning      service-closing    relevant
 *   500/501/555 (signal 'syntax')          Warning      syntax             relevant
 *   530 / 5.7.0 (signal 'auth-required')   Information  auth-required      relevant
 *   relay denied (signal 'relay-denied')   Information  relay-denied       relevant
 *   other 4yz                              Information  temporary-failure  relevant at RCPT, else "all"
 *   other 5yz                              Information  rejected           relevant at RCPT, else "all"
 *   any other acceptance                   Hint         accepted           "all" only
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

/** The finding for one reply at the given level, or undefined when the level does not show it. */
export function findingForReply(reply: AnnotatedReply, level: DiagnosticsLevel): ReplyFinding | undefined {
  if (level === 'off') {
    return undefined;
  }
  const kind = classifyFinding(reply);
  if (!kind.relevant && level !== 'all') {
    return undefined;
  }
  return { severity: kind.severity, code: kind.code, message: messageFor(reply, kind.code) };
}

interface FindingKind {
  severity: FindingSeverity;
  code: ReplyDiagnosticCode;
  /** Shown at level "relevant" (and "all"); otherwise only at "all". */
  relevant: boolean;
}

function classifyFinding(reply: AnnotatedReply): FindingKind {
  const has = (signal: AnnotatedReply['signals'][number]): boolean => reply.signals.includes(signal);
  if (has('relay')) {
    return { severity: 'error', code: diagnosticCodes.relayed, relevant: true };
  }
  if (reply.class === 'ndr-pending') {
    return { severity: 'warning', code: diagnosticCodes.ndrPending, relevant: true };
  }
  if (reply.class === 'acceptance') {
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
  if (code === diagnosticCodes.harvest && !/tarpit/i.test(message)) {
    message = `${message} ${harvestAdvice}`;
  }
  if (reply.problems !== undefined && reply.problems.length > 0) {
    message = `${message} Malformed reply: ${reply.problems.join('; ')}.`;
  }
  return message;
}
