import { displayText } from '../../core/protocol/displayText';
import type { AnnotatedReply } from '../../core/transcript/annotateTranscript';
import type { ReplyClass } from '../../core/relay/classification';
import { describeEnhancedCode } from '../../core/protocol/enhancedCodes';
import { describeReplyCode } from '../../core/protocol/replyCodeMeanings';

/**
 * The hover text of one reply, as Markdown: what the basic code means (RFC 5321), what the enhanced code
 * means (RFC 3463), the KB 304897 class and why, and which command it answers. No `vscode` here, so the
 * wording is tested with plain node; the hover provider wraps it in a MarkdownString.
 */
export function explainReply(reply: AnnotatedReply, options: { shownAsProblem?: boolean } = {}): string {
  const heading = reply.enhanced !== undefined && !reply.enhancedInferred ? `${reply.code} ${reply.enhanced}` : String(reply.code);
  const lines = [`**${heading}**: ${classHeadline(reply)}`, ''];

  lines.push(`- Reply code ${reply.code}: ${describeReplyCode(reply.code)} (RFC 5321).`);
  if (reply.enhanced !== undefined) {
    const meaning = reply.enhancedMeaning ?? describeEnhancedCode(reply.enhanced) ?? 'not an RFC 3463 code';
    const source = reply.enhancedInferred ? ', not sent by the server: the code RFC 3463 suggests for this reply' : '';
    lines.push(`- Enhanced code ${reply.enhanced}${source}: ${meaning} (RFC 3463).`);
  } else {
    lines.push('- No enhanced status code (RFC 2034 leaves it off the greeting and the EHLO reply).');
  }
  lines.push(`- Class: ${reply.unsolicited === true ? unsolicitedExplanation : reply.neutral ? neutralExplanation : classExplanations[reply.class]}`);
  lines.push(`- Answers: ${answeredCommand(reply)}`);
  if (reply.decides !== undefined) {
    lines.push(`- Test ${codeSpan(reply.decides.id)}: ${reply.decides.outcome}, decided by this reply as the live run decided it.`);
  }
  // VS Code shows a problem's message in the same hover, just above ours: the reason is not said twice.
  if (options.shownAsProblem !== true) {
    lines.push('', escapeMarkdown(reply.reason));
  }
  if (reply.problems !== undefined && reply.problems.length > 0) {
    lines.push('', `Malformed reply: ${escapeMarkdown(reply.problems.join('; '))}.`);
  }
  return lines.join('\n');
}

function classHeadline(reply: AnnotatedReply): string {
  if (reply.unsolicited === true) {
    return 'unsolicited: no command asked for this reply';
  }
  if (reply.neutral) {
    return 'ok';
  }
  if (reply.signals.includes('relay')) {
    return 'accepted for a remote recipient: **this server relays**';
  }
  switch (reply.class) {
    case 'ndr-pending':
      return 'NDR-pending: accepted for local delivery, not relayed';
    case 'rejection':
      return reply.temporary ? 'rejection (temporary)' : 'rejection (permanent)';
    default:
      return 'acceptance';
  }
}

/** For a reply that decides nothing about relay: no relay-class wording. */
const neutralExplanation = 'none. This reply decides nothing about relay (only the answers to RCPT, and to a message, do).';

const unsolicitedExplanation =
  'none. No command was waiting for this reply (a second answer, or one before its command): it is kept here, ' +
  'and a relay test it falls in is inconclusive.';

/** The three outcomes of KB 304897, for a reader who has not read it. */
const classExplanations: Record<ReplyClass, string> = {
  acceptance: 'acceptance. The server said yes; only an accepted remote recipient means it relays.',
  'ndr-pending':
    'NDR-pending. The server accepted the address as local (often after appending its own domain, as in KB 304897 tests 6 and 7): ' +
    'nothing is relayed, and a non-delivery report follows if the recipient does not resolve.',
  rejection: 'rejection. The server refused: for a remote recipient this is what a closed server answers.',
};

function answeredCommand(reply: AnnotatedReply): string {
  if (reply.command === undefined) {
    return 'no command (an unsolicited reply).';
  }
  if (reply.command === '') {
    return 'the connection (this is the greeting).';
  }
  const where = reply.commandLine === undefined ? '' : ` on line ${reply.commandLine}`;
  return `${codeSpan(reply.command)}${where}.`;
}

/** A Markdown code span that survives backticks inside the text (CommonMark §6.1). */
export function codeSpan(serverText: string): string {
  // Server text: shown escaped (core/displayText.ts); a reduce, not Math.max(...runs), which overflows the stack on many runs.
  const text = displayText(serverText);
  const longestRun = (text.match(/`+/g) ?? []).reduce((longest, run) => Math.max(longest, run.length), 0);
  const fence = '`'.repeat(longestRun + 1);
  const padding = text.startsWith('`') || text.endsWith('`') || text === '' ? ' ' : '';
  return `${fence}${padding}${text}${padding}${fence}`;
}

/** Server text is untrusted: a reply must not be able to inject links, images or HTML into the hover. */
export function escapeMarkdown(text: string): string {
  return displayText(text).replace(/[\\`*_{}[\]()#+\-.!|<>~&]/g, (character) => `\\${character}`);
}
