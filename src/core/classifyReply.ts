import type { Classification, ClassifyReply, ReplyContext, ReplySignal } from './classification';
import { describeEnhancedCode, describeEnhancedDetail } from './enhancedCodes';
import { isLocalDomain, parseMailAddress } from './mailAddress';
import type { SmtpReply } from './reply';
import {
  addressesEchoedIn,
  enhancedCodeSentIn,
  textAsksForStartTls,
  textDeniesRelay,
  textSaysUnknownUser,
} from './replyText';
import { addressArgumentOf, commandKindOf, type SmtpCommandKind } from './smtpCommand';

/**
 * Every reply gets exactly one class, in the terms of KB 304897 and relay-reference.md:
 *   4yz/5yz            -> rejection (temporary for 4yz), with signals for why;
 *   250/251 to RCPT    -> acceptance + relay when the effective recipient domain is remote,
 *                         ndr-pending when it is local (the server delivers locally or bounces later);
 *   250 to end-of-data -> the same decision over the accepted recipients;
 *   any other 2yz/3yz  -> acceptance.
 *
 * The effective recipient is the address the server echoes, when it echoes the one we sent (possibly
 * with its local domain appended, as Exchange does for tests 6 and 7), else the address as sent. Its
 * domain is what follows the LAST "@" outside quotes, so `R%RD@LD`, `"R@RD"@LD` and `RD!R@LD` are local.
 * An address with no domain at all is local too: the server appends its own domain to it.
 *
 * Double "@" (`R@RD@LD`): the domain is still taken after the last "@" and decides alone, so an
 * acceptance is 'relay' only when that domain is remote. A server that splits at the first "@" instead
 * would route to RD, which no reply can show; such an acceptance is ndr-pending with a reason that says
 * to confirm by delivery rather than guessed to be a relay.
 */
export const classifyReply: ClassifyReply = (reply, context) => {
  const kind = commandKindOf(context.command);
  const sentEnhanced = enhancedCodeSentIn(reply);
  const enhanced = sentEnhanced ?? inferEnhancedCode(reply.code, kind);
  const temporary = reply.code >= 400 && reply.code < 500;
  const label = sentEnhanced ? `${reply.code} ${sentEnhanced}` : String(reply.code);

  let verdict: Verdict;
  if (reply.code >= 400 || reply.code < 200) {
    const signals = rejectionSignals(reply, kind, sentEnhanced);
    verdict = { class: 'rejection', signals, reason: rejectionReason(reply, kind, context, label, signals, enhanced) };
  } else if (kind === 'rcpt' && (reply.code === 250 || reply.code === 251)) {
    verdict = classifyAcceptedRecipient(reply, context, label);
  } else if (kind === 'end-of-data' && reply.code >= 200 && reply.code < 300 && context.acceptedRecipients !== undefined) {
    verdict = classifyAcceptedMessage(context, label);
  } else {
    verdict = { class: 'acceptance', signals: [], reason: acceptanceReason(reply, kind, label) };
  }
  return classification(temporary, enhanced, verdict);
};

type Verdict = Pick<Classification, 'class' | 'signals' | 'reason'>;

// Built field by field rather than spread: this runs once per reply of a transcript of a million lines.
function classification(temporary: boolean, enhanced: string | undefined, verdict: Verdict): Classification {
  if (enhanced === undefined) {
    return { temporary, class: verdict.class, signals: verdict.signals, reason: verdict.reason };
  }
  return {
    temporary,
    enhanced,
    enhancedMeaning: describeEnhancedCode(enhanced),
    class: verdict.class,
    signals: verdict.signals,
    reason: verdict.reason,
  };
}

// ---- rejections ----

function rejectionSignals(reply: SmtpReply, kind: SmtpCommandKind, sentEnhanced: string | undefined): ReplySignal[] {
  const signals: ReplySignal[] = [];
  const detail = sentEnhanced?.slice(sentEnhanced.indexOf('.') + 1);
  if (reply.code === 421) {
    signals.push('service-closing');
  }
  if (reply.code === 530 || sentEnhanced === '5.7.0') {
    signals.push('auth-required');
  }
  // X.7.1 at MAIL refuses a sender, not a relay; at RCPT (and for the message) it is the relay refusal.
  const x71DeniesRelay = detail === '7.1' && (kind === 'rcpt' || kind === 'end-of-data' || kind === 'data');
  if (x71DeniesRelay || textDeniesRelay(reply.text)) {
    signals.push('relay-denied');
  }
  if (kind === 'rcpt' && reply.code >= 500 && (sentEnhanced === '5.1.1' || (reply.code === 550 && textSaysUnknownUser(reply.text)))) {
    signals.push('harvest');
  }
  if (reply.code === 500 || reply.code === 501 || reply.code === 555) {
    signals.push('syntax');
  }
  // A pushed-to array keeps room for 16 more; every verdict of a long transcript keeps its signals.
  return signals.length === 0 ? signals : signals.slice();
}

function rejectionReason(
  reply: SmtpReply,
  kind: SmtpCommandKind,
  context: ReplyContext,
  label: string,
  signals: ReplySignal[],
  enhanced: string | undefined,
): string {
  const temporary = reply.code >= 400 && reply.code < 500;
  if (reply.code < 200 || reply.code >= 600) {
    return `${label}: not a valid SMTP reply code (RFC 5321 uses 2xx to 5xx), so it counts as a rejection.`;
  }
  if (signals.includes('service-closing')) {
    return `${label}: service closing: the server is dropping the connection, so its answer to this command is unknown.`;
  }
  if (signals.includes('auth-required')) {
    return textAsksForStartTls(reply.text)
      ? `${label}: the server wants STARTTLS (and perhaps authentication) before it accepts this command.`
      : `${label}: authentication required: the server accepts this only from clients that log in (RFC 4954).`;
  }
  if (signals.includes('relay-denied')) {
    return temporary
      ? `${label}: relay denied for now (a temporary rejection): the server refused to forward to a domain it does not host.`
      : `${label}: relay denied: the server refused to forward to a domain it does not host.`;
  }
  if (signals.includes('harvest')) {
    return (
      `${label}: unknown user: rejecting unknown recipients at RCPT lets an attacker harvest valid addresses; ` +
      'KB 304897 recommends a tarpit, or accepting and sending NDRs instead.'
    );
  }
  if (signals.includes('syntax')) {
    return syntaxReason(label, kind, context);
  }
  const meaning = enhanced === undefined ? undefined : describeEnhancedDetail(enhanced);
  const what = temporary ? 'temporary rejection' : 'rejected';
  const refused = refusedObject(kind);
  return `${label}: ${what}${meaning ? ` (${meaning})` : ''}: the server refused ${refused}${temporary ? ' for now and may accept it later' : ''}.`;
}

function syntaxReason(label: string, kind: SmtpCommandKind, context: ReplyContext): string {
  if (kind !== 'mail' && kind !== 'rcpt') {
    return `${label}: syntax error: the server did not understand the command or its parameters.`;
  }
  const argument = addressArgumentOf(context.command) ?? '';
  if (argument.startsWith('<')) {
    return (
      `${label}: syntax error: the server refused the address ${argument} as written ` +
      '(quoted, "%", "!" and source-route forms are often refused this way, which keeps them from relaying).'
    );
  }
  return (
    `${label}: syntax error: the server refused the bare address form KB 304897 types over telnet ` +
    `(${kind === 'mail' ? 'MAIL FROM' : 'RCPT TO'}:${argument}); RFC 5321 wants it in angle brackets (<${argument}>).`
  );
}

function refusedObject(kind: SmtpCommandKind): string {
  switch (kind) {
    case 'greeting':
      return 'the connection';
    case 'mail':
      return 'this sender';
    case 'rcpt':
      return 'this recipient';
    case 'data':
    case 'end-of-data':
      return 'the message';
    default:
      return 'the command';
  }
}

// ---- acceptances ----

interface EffectiveRecipient {
  address: string;
  /** The server echoed the address with a domain appended to one that had none. */
  appendedDomain?: string;
}

/** Angle brackets off, compared case-insensitively: local parts are case-sensitive in theory only. */
function comparable(address: string): string {
  return address.trim().replace(/^<|>$/g, '').toLowerCase();
}

function effectiveRecipient(sent: string, replyText: string): EffectiveRecipient {
  const sentKey = comparable(sent);
  const sentHasDomain = parseMailAddress(sent).domain !== undefined;
  for (const echo of addressesEchoedIn(replyText)) {
    const echoKey = comparable(echo);
    if (echoKey === sentKey) {
      return { address: sent };
    }
    if (!sentHasDomain && echoKey.startsWith(sentKey + '@')) {
      return { address: echo, appendedDomain: parseMailAddress(echo).domain };
    }
  }
  return { address: sent };
}

/**
 * A server that resolved a routing form (T%D@LD into T@D) and echoes only the result, in brackets. It
 * is believed only when it reveals a remote recipient: an unrelated echo must never hide a relay.
 */
function rewrittenRemoteRecipient(replyText: string, localDomains: readonly string[]): string | undefined {
  const bracketed = [...replyText.matchAll(/<([^<>\s]+)>/g)].map((match) => match[1]);
  if (bracketed.length !== 1) {
    return undefined;
  }
  return recipientIsLocal(bracketed[0], localDomains) ? undefined : bracketed[0];
}

function recipientSent(context: ReplyContext): string {
  if (context.recipient !== undefined) {
    return context.recipient;
  }
  const argument = addressArgumentOf(context.command) ?? '';
  return argument.replace(/^<|>$/g, '');
}

function recipientIsLocal(address: string, localDomains: readonly string[]): boolean {
  const domain = parseMailAddress(address).domain;
  return domain === undefined || isLocalDomain(domain, localDomains);
}

function classifyAcceptedRecipient(
  reply: SmtpReply,
  context: ReplyContext,
  label: string,
): Verdict {
  const sent = recipientSent(context);
  const effective = effectiveRecipient(sent, reply.text);
  const parsed = parseMailAddress(effective.address);
  if (effective.appendedDomain !== undefined) {
    // A domain the server appends on its own is by definition the one it treats as local (KB 304897).
    return {
      class: 'ndr-pending',
      signals: ['local-domain-appended'],
      reason:
        `${label}: accepted for local delivery as ${effective.address} (the server appended its local domain): ` +
        'not relayed, an NDR will follow if the recipient does not resolve.',
    };
  }
  const rewritten = recipientIsLocal(effective.address, context.localDomains)
    ? rewrittenRemoteRecipient(reply.text, context.localDomains)
    : undefined;
  if (rewritten !== undefined) {
    return {
      class: 'acceptance',
      signals: ['relay'],
      reason: `${label}: accepted for remote recipient: the server rewrote ${sent} into ${rewritten}, so this server relays.`,
    };
  }
  if (recipientIsLocal(effective.address, context.localDomains)) {
    const doubleAt =
      parsed.atSignsOutsideQuotes > 1
        ? ` (the local part holds another "@": a server that split at the first "@" would route elsewhere, so confirm by delivery)`
        : '';
    const noDomain = parsed.domain === undefined ? ' (no domain: the server treats it as its own)' : '';
    return {
      class: 'ndr-pending',
      signals: [],
      reason: `${label}: accepted for local delivery${noDomain}: not relayed, an NDR will follow if the recipient does not resolve${doubleAt}.`,
    };
  }
  return {
    class: 'acceptance',
    signals: ['relay'],
    reason: `${label}: accepted for remote recipient ${effective.address}: this server relays to ${parsed.domain}.`,
  };
}

function classifyAcceptedMessage(context: ReplyContext, label: string): Verdict {
  const recipients = context.acceptedRecipients ?? [];
  const remote = recipients.filter((recipient) => !recipientIsLocal(recipient, context.localDomains));
  if (remote.length > 0) {
    return {
      class: 'acceptance',
      signals: ['relay'],
      reason:
        `${label}: message accepted for remote recipient ${remote.join(', ')}: this server relays ` +
        '(RFC 5321 §4.2.5: it took responsibility for delivering it).',
    };
  }
  return {
    class: 'ndr-pending',
    signals: [],
    reason:
      `${label}: message accepted for local delivery: the server took responsibility for delivering it ` +
      'or for sending an NDR (RFC 5321 §4.2.5).',
  };
}

function acceptanceReason(reply: SmtpReply, kind: SmtpCommandKind, label: string): string {
  if (reply.code === 252) {
    return `${label}: cannot verify the user, but the server will accept the message and attempt delivery.`;
  }
  switch (kind) {
    case 'greeting':
      return `${label}: greeting: the server is ready.`;
    case 'ehlo':
    case 'helo':
      return `${label}: the server accepted the greeting and listed what it supports.`;
    case 'mail':
      return `${label}: sender accepted: the server opened a transaction (the sender alone decides nothing about relay).`;
    case 'rcpt':
      return `${label}: recipient accepted.`;
    case 'data':
      return reply.code === 354 ? `${label}: the server is ready for the message.` : `${label}: DATA accepted.`;
    case 'end-of-data':
      return `${label}: message accepted: the server took responsibility for it (RFC 5321 §4.2.5).`;
    case 'rset':
      return `${label}: transaction reset.`;
    case 'quit':
      return `${label}: the server is closing the connection as asked.`;
    default:
      return `${label}: accepted.`;
  }
}

// ---- enhanced code inference ----

/**
 * The enhanced code RFC 3463 suggests for a basic code when the server sent none. Codes whose meaning
 * depends on the server's reasons (450, 550, 552, 554) stay undefined rather than guessed, and the
 * greeting and EHLO replies carry none (RFC 2034).
 */
export function inferEnhancedCode(code: number, kind: SmtpCommandKind): string | undefined {
  if (kind === 'greeting' || kind === 'ehlo' || kind === 'helo') {
    return undefined;
  }
  switch (code) {
    case 250:
      return kind === 'mail' ? '2.1.0' : kind === 'rcpt' ? '2.1.5' : '2.0.0';
    case 251:
      return '2.1.5';
    case 221:
    case 252:
      return '2.0.0';
    case 421:
      return '4.3.2';
    case 451:
      return '4.3.0';
    case 452:
      // RFC 5321 §4.5.3.1.10: at RCPT, 452 is "too many recipients".
      return kind === 'rcpt' ? '4.5.3' : '4.3.1';
    case 454:
      return '4.7.0';
    case 500:
      return '5.5.2';
    case 501:
      return kind === 'mail' ? '5.1.7' : kind === 'rcpt' ? '5.1.3' : '5.5.4';
    case 502:
    case 503:
      return '5.5.1';
    case 504:
    case 555:
      return '5.5.4';
    case 530:
      return '5.7.0';
    case 534:
      return '5.7.9';
    case 535:
      return '5.7.8';
    case 538:
      return '5.7.11';
    case 551:
      return '5.1.6';
    case 553:
      return kind === 'mail' ? '5.1.7' : '5.1.3';
    default:
      return undefined;
  }
}
