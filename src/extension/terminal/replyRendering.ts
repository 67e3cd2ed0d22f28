/**
 * How the session terminal shows what crosses the wire: server replies coloured by their KB 304897 class and
 * followed by a tag such as `[rejection 5.7.1: relay denied]` and the reason in words, sent lines as typed,
 * and the tool's own remarks in the swaks manner (`===` info, `***` error).
 */
import type { Classification, ReplySignal } from '../../core/relay/classification';
import { styled, terminalLines, terminalSafe, type AnsiStyle } from './terminalText';

/** The few words a signal adds to the tag, most telling first. */
const signalLabels: ReadonlyArray<[ReplySignal, string]> = [
  ['relay', 'RELAYED to a remote recipient'],
  ['relay-denied', 'relay denied'],
  ['auth-required', 'authentication required'],
  ['harvest', 'unknown user, which tells which addresses exist'],
  ['service-closing', 'the server is closing the connection'],
  ['syntax', 'syntax error'],
  ['local-domain-appended', 'local domain appended'],
];

/**
 * The short label in the tag: the strongest signal, else, for a refusal, what the enhanced code means.
 * A plain acceptance gets none: "success: other address status" after every 250 is noise.
 */
export function classificationLabel(classification: Classification): string | undefined {
  for (const [signal, label] of signalLabels) {
    if (classification.signals.includes(signal)) {
      return label;
    }
  }
  return classification.class === 'rejection' ? classification.enhancedMeaning : undefined;
}

/**
 * The reason without what the reply line and the tag already say: the classifier starts its sentences with
 * the code ("554 5.7.1: relay denied: the server refused..."), which is right in a report but repeats itself
 * under the reply.
 */
export function reasonAfterTag(classification: Classification): string {
  let reason = classification.reason.replace(/^\d{3}(?: [245]\.\d{1,3}\.\d{1,3})?: /, '');
  const label = classificationLabel(classification);
  if (label && reason.toLowerCase().startsWith(`${label.toLowerCase()}: `)) {
    reason = reason.slice(label.length + 2);
  }
  return reason;
}

/** How a reply stands towards relay testing, beyond its classification (see isNeutralReply). */
export interface ReplyStanding {
  /** It decides nothing about relay (greeting, EHLO, RSET, an accepted MAIL, QUIT...): tagged `[ok]`. */
  neutral?: boolean;
  /** No command was waiting for it: tagged `[unsolicited]`, kept and shown, never dropped. */
  unsolicited?: boolean;
}

/** What the terminal says under a reply no command asked for. */
const unsolicitedReason =
  'no command was waiting for this reply (a second answer, or one before its command): it is kept in the transcript, ' +
  'and a relay test it falls in is inconclusive.';

/**
 * `[rejection 5.7.1: relay denied]`, `[rejection 4.7.1 temporary: relay denied]`, `[ndr-pending 2.1.5]`; a reply
 * that decides nothing about relay is `[ok]`, so the relay classes are kept for what they mean (RCPT, and the
 * end of a message when delivery confirms a test).
 */
export function classificationTag(classification: Classification, standing: ReplyStanding = {}): string {
  if (standing.unsolicited) {
    return '[unsolicited]';
  }
  if (standing.neutral) {
    return '[ok]';
  }
  const facts: string[] = [classification.class];
  if (classification.enhanced) {
    facts.push(classification.enhanced);
  }
  if (classification.temporary) {
    facts.push('temporary');
  }
  const label = classificationLabel(classification);
  return `[${facts.join(' ')}${label ? `: ${label}` : ''}]`;
}

/** The colour of a reply: what it means for relay testing, not only its first digit. */
export function replyStyle(code: number, classification?: Classification): AnsiStyle {
  if (classification?.signals.includes('relay')) {
    return 'boldRed';
  }
  if (code >= 300 && code < 400) {
    return 'cyan'; // 354 and 334 ask for more: neither acceptance nor rejection yet
  }
  switch (classification?.class) {
    case 'acceptance':
      return 'green';
    case 'ndr-pending':
      return 'magenta';
    case 'rejection':
      return classification.temporary ? 'yellow' : 'red';
    default:
      return code < 400 ? 'green' : code < 500 ? 'yellow' : 'red';
  }
}

/**
 * The reply lines (as received, escaped), coloured, then one line with the tag and the reason.
 * Output is ready to write: CR LF line ends, no control byte from the server left raw.
 */
export function renderReply(lines: readonly string[], code: number, classification?: Classification, standing: ReplyStanding = {}): string {
  const style = standing.unsolicited ? 'yellow' : replyStyle(code, classification);
  const rendered = lines.map((line) => styled(style, terminalSafe(line)));
  if (classification) {
    const tagStyle: AnsiStyle = classification.signals.includes('relay') && !standing.unsolicited ? 'boldRed' : style;
    const reasonText = standing.unsolicited ? unsolicitedReason : reasonAfterTag(classification);
    const reason = reasonText ? ` ${styled('dim', terminalSafe(reasonText))}` : '';
    rendered.push(`    ${styled(tagStyle, classificationTag(classification, standing))}${reason}`);
  }
  return terminalLines(rendered);
}

/** The lines of a reply the connection cut off before its last line: shown, but with no class. */
export function renderIncompleteReply(lines: readonly string[]): string {
  return terminalLines(lines.map((line) => styled('yellow', terminalSafe(line))));
}

/** A line the terminal sent for the user (a relay test step, /starttls): shown as if it had been typed. */
export function renderSentLine(text: string): string {
  return terminalLines([terminalSafe(text)]);
}

/** A remark of the tool, `=== ` like swaks. */
export function renderInfo(text: string): string {
  return terminalLines([styled('dim', `=== ${terminalSafe(text)}`)]);
}

/** A problem of the tool or the connection, `*** ` like swaks. */
export function renderError(text: string): string {
  return terminalLines([styled('red', `*** ${terminalSafe(text)}`)]);
}
