import type { Classification, ClassifyReply, ReplyContext, ReplySignal } from './classification';
import { describeEnhancedCode, describeEnhancedDetail } from '../protocol/enhancedCodes';
import { isLocalDomain, parseMailAddress } from '../protocol/mailAddress';
import { confirmByDeliveryAdvice } from './relayAdvice';
import type { SmtpReply } from '../protocol/reply';
import {
  addressesEchoedIn,
  enhancedCodeSentIn,
  textAsksForStartTls,
  textDeniesRelay,
  textSaysUnknownUser,
} from '../protocol/replyText';
import { addressArgumentOf, commandKindOf, type SmtpCommandKind } from '../protocol/smtpCommand';

/**
 * Every reply gets exactly one class, in the terms of KB 304897 and relay-reference.md. The evidence
 * rules (the README's "Evidence rules" says the same):
 *
 *   - A reply is judged only by what the server wrote. `enhanced` is the code it sent; a code inferred
 *     from the basic code is `inferredEnhanced`, and a reason that uses it says "inferred".
 *   - Protocol violations decide nothing: a code outside 2yz-5yz, a 3yz to RCPT, or a multiline reply
 *     whose lines carry different codes gets the signal 'protocol-violation' (class acceptance, so no
 *     face mistakes it for a refusal); a relay test that meets one is inconclusive.
 *   - 4yz/5yz -> rejection, with signals for why. Harvest only for a recipient in a local domain refused
 *     as unknown; 503 to RCPT is 'sequence' (a consequence of the refused MAIL, not a verdict); 500, 501,
 *     555 and 553 with X.1.0/X.1.3/X.1.7 or "syntax" are 'syntax'.
 *   - ANY 2yz to RCPT (250, 251, 252, 299...) is read through the recipient as sent:
 *       * NDR-pending (local handling) ONLY when the reply proves it: the server echoes the recipient with
 *         a local domain appended (to an address that had none) or substituted (same local part, a
 *         local domain in place of the one sent): signal 'local-domain-appended';
 *       * a remote domain, or a routing form (%, quoted "@", "!", double "@", source route) that names
 *         no local domain, without such proof: acceptance + 'relay' (the test fails unless delivery
 *         proves otherwise; KB test 6 exists for the servers that forward R%RD);
 *       * a routing form addressed to a local domain (`R%RD@S`, `"R@RD"@[IP]`, `R@RD@LD`) with a bare
 *         2yz: acceptance + 'ambiguous': it needs confirmation, and the run can never be "closed";
 *       * a plain address in a local domain (or with no domain at all): acceptance + 'local-recipient',
 *         ordinary inbound mail, with no NDR promised (the control is such a recipient).
 *   - 2yz to end-of-data: the same decision over the accepted recipients.
 *   - Any other 2yz/3yz: acceptance.
 *
 * The domain of an address is what follows the LAST "@" outside quotes, so `R%RD@LD`, `"R@RD"@LD` and
 * `RD!R@LD` name LD; which of those a server forwards is exactly what no bare 250 can show.
 */
export const classifyReply: ClassifyReply = (reply, context) => {
  const kind = commandKindOf(context.command);
  const sentEnhanced = enhancedCodeSentIn(reply);
  const inferred = sentEnhanced === undefined ? inferEnhancedCode(reply.code, kind) : undefined;
  const temporary = reply.code >= 400 && reply.code < 500;
  const label = sentEnhanced ? `${reply.code} ${sentEnhanced}` : String(reply.code);

  let verdict: Verdict;
  const violation = protocolViolation(reply, kind);
  if (violation !== undefined) {
    verdict = {
      class: 'acceptance',
      signals: ['protocol-violation'],
      reason: `${label}: protocol violation: ${violation}. It is neither a refusal nor an acceptance, so it proves nothing about relay.`,
    };
  } else if (reply.code >= 400) {
    const signals = rejectionSignals(reply, kind, sentEnhanced, context);
    verdict = { class: 'rejection', signals, reason: rejectionReason(reply, kind, context, label, signals, sentEnhanced, inferred) };
  } else if (kind === 'rcpt' && reply.code >= 200 && reply.code < 300) {
    verdict = classifyAcceptedRecipient(reply, context, label);
  } else if (kind === 'end-of-data' && reply.code >= 200 && reply.code < 300 && context.acceptedRecipients !== undefined) {
    verdict = classifyAcceptedMessage(context, label);
  } else {
    verdict = { class: 'acceptance', signals: [], reason: acceptanceReason(reply, kind, label) };
  }
  return classification(temporary, sentEnhanced, inferred, verdict);
};

/** Why a reply is not a valid answer to its command, or undefined when it is one. */
function protocolViolation(reply: SmtpReply, kind: SmtpCommandKind): string | undefined {
  const mixed = mixedCodesOf(reply);
  if (mixed !== undefined) {
    return `the lines of this reply carry different codes (${mixed.join(', ')}), so it says two things at once`;
  }
  if (!Number.isInteger(reply.code) || reply.code < 200 || reply.code >= 600) {
    return 'not a valid SMTP reply code (RFC 5321 uses 2yz to 5yz)';
  }
  if (kind === 'rcpt' && reply.code < 400 && reply.code >= 300) {
    return 'a 3yz reply to RCPT TO (RFC 5321 allows only 2yz, 4yz and 5yz there)';
  }
  return undefined;
}

const mixedCodesProblem = /^reply lines carry different codes \(([\d, ]+)\)/;

/** The different codes of a multiline reply, from the parser's field or, for older records, its problem text. */
function mixedCodesOf(reply: SmtpReply): number[] | undefined {
  if (reply.mixedCodes !== undefined && reply.mixedCodes.length > 1) {
    return reply.mixedCodes;
  }
  for (const problem of reply.problems ?? []) {
    const match = mixedCodesProblem.exec(problem);
    if (match) {
      return match[1].split(',').map((code) => Number(code.trim()));
    }
  }
  return undefined;
}

type Verdict = Pick<Classification, 'class' | 'signals' | 'reason'>;

// Built field by field rather than spread: this runs once per reply of a transcript of a million lines.
function classification(temporary: boolean, enhanced: string | undefined, inferred: string | undefined, verdict: Verdict): Classification {
  if (enhanced === undefined) {
    if (inferred === undefined) {
      return { temporary, class: verdict.class, signals: verdict.signals, reason: verdict.reason };
    }
    return { temporary, inferredEnhanced: inferred, class: verdict.class, signals: verdict.signals, reason: verdict.reason };
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

/** Exim's "Unrouteable address" and the unknown-user wordings of replyText.ts. */
function textSaysUnknownRecipient(text: string): boolean {
  return textSaysUnknownUser(text) || /unrouteable address/i.test(text);
}

/** The recipient of an RCPT is in a local domain, or has none (the server appends its own). */
function rcptIsLocal(context: ReplyContext): boolean {
  return recipientIsLocal(recipientSent(context), context.localDomains);
}

function rejectionSignals(reply: SmtpReply, kind: SmtpCommandKind, sentEnhanced: string | undefined, context: ReplyContext): ReplySignal[] {
  const signals: ReplySignal[] = [];
  const detail = sentEnhanced?.slice(sentEnhanced.indexOf('.') + 1);
  if (reply.code === 421) {
    signals.push('service-closing');
  }
  if (kind === 'rcpt' && (reply.code === 503 || context.mailRefused === true)) {
    // "503 sender not yet given": the answer to the refused MAIL, repeated; nothing about this recipient.
    signals.push('sequence');
    return signals.slice();
  }
  if (reply.code === 530 || sentEnhanced === '5.7.0') {
    signals.push('auth-required');
  }
  const unknownRecipient = kind === 'rcpt' && reply.code >= 500 && (sentEnhanced === '5.1.1' || textSaysUnknownRecipient(reply.text));
  const local = kind === 'rcpt' && rcptIsLocal(context);
  // X.7.1 at MAIL refuses a sender, not a relay; at RCPT (and for the message) it is the relay refusal.
  const x71DeniesRelay = detail === '7.1' && (kind === 'rcpt' || kind === 'end-of-data' || kind === 'data');
  // OpenSMTPD's "550 Invalid recipient: <r@remote>" refuses a domain it does not serve: a relay refusal.
  if (x71DeniesRelay || textDeniesRelay(reply.text) || (unknownRecipient && !local)) {
    signals.push('relay-denied');
  }
  // Harvest: only an unknown recipient in a domain the server hosts tells which mailboxes exist.
  if (unknownRecipient && local && !signals.includes('relay-denied')) {
    signals.push('harvest');
  }
  const syntaxDetail = detail === '1.0' || detail === '1.3' || detail === '1.7' || detail === '5.2' || detail === '5.4';
  if (reply.code === 500 || reply.code === 501 || reply.code === 555 || (reply.code === 553 && (syntaxDetail || /syntax/i.test(reply.text)))) {
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
  sentEnhanced: string | undefined,
  inferred: string | undefined,
): string {
  const temporary = reply.code >= 400 && reply.code < 500;
  if (signals.includes('sequence')) {
    return (
      `${label}: bad sequence: no sender is accepted in this transaction (the MAIL FROM before it was refused or missing), ` +
      'so this is a consequence of that refusal, not a verdict on the recipient.'
    );
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
    const how = textDeniesRelay(reply.text) || sentEnhanced?.endsWith('.7.1') ? 'relay denied' : 'remote recipient refused';
    return temporary
      ? `${label}: ${how} for now (a temporary rejection): the server refused to forward to a domain it does not host.`
      : `${label}: ${how}: the server refused to forward to a domain it does not host.`;
  }
  if (signals.includes('harvest')) {
    return (
      `${label}: unknown user in a local domain: rejecting unknown recipients at RCPT lets an attacker harvest valid addresses; ` +
      'KB 304897 recommends a tarpit, or accepting and sending NDRs instead.'
    );
  }
  if (signals.includes('syntax')) {
    return syntaxReason(label, kind, context);
  }
  const code = sentEnhanced ?? inferred;
  const meaning = code === undefined ? undefined : describeEnhancedDetail(code);
  const described = meaning === undefined ? '' : sentEnhanced !== undefined ? ` (${meaning})` : ` (inferred from ${reply.code}: ${meaning})`;
  const what = temporary ? 'temporary rejection' : 'rejected';
  const refused = refusedObject(kind);
  return `${label}: ${what}${described}: the server refused ${refused}${temporary ? ' for now and may accept it later' : ''}.`;
}

function syntaxReason(label: string, kind: SmtpCommandKind, context: ReplyContext): string {
  if (kind !== 'mail' && kind !== 'rcpt') {
    return `${label}: syntax error: the server did not understand the command or its parameters.`;
  }
  const argument = addressArgumentOf(context.command) ?? '';
  const what = kind === 'mail' ? 'sender' : 'recipient';
  if (argument.startsWith('<')) {
    return (
      `${label}: syntax error: the server refused the ${what} ${argument} as written ` +
      '(quoted, "%", "!", source-route, domain-less and IP-literal forms are often refused this way). ' +
      (kind === 'mail' ? 'A refused sender form says nothing about the recipient form, which was not exercised.' : 'This recipient form is not relayed.')
    );
  }
  // Not blamed on the missing brackets: the address itself may be what the server refuses.
  return (
    `${label}: syntax error: the server refused the ${what} as written (${kind === 'mail' ? 'MAIL FROM' : 'RCPT TO'}:${argument}, ` +
    `the bare form KB 304897 types; RFC 5321 wants angle brackets, <${argument}>, though the address itself may be what it refuses).`
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

/** Angle brackets off, compared case-insensitively: local parts are case-sensitive in theory only. */
function comparable(address: string): string {
  return address.trim().replace(/^<|>$/g, '').toLowerCase();
}

/**
 * The proof of local handling a reply may hold: the recipient echoed with a local domain appended (the
 * sent address had none: Exchange's `250 2.1.5 R%RD@LD` for `R%RD`) or substituted (the same local part
 * at a local domain other than the one sent). An echo of the address exactly as sent proves nothing.
 */
function localHandlingEcho(sent: string, replyText: string, localDomains: readonly string[]): string | undefined {
  const sentParsed = parseMailAddress(sent);
  const sentLocalPart = sentParsed.localPart.toLowerCase();
  for (const echo of addressesEchoedIn(replyText)) {
    const echoed = parseMailAddress(echo);
    if (echoed.domain === undefined || !isLocalDomain(echoed.domain, localDomains)) {
      continue;
    }
    if (sentParsed.domain === undefined && comparable(echo).startsWith(comparable(sent) + '@')) {
      return echo;
    }
    const substituted =
      sentParsed.domain !== undefined &&
      sentParsed.sourceRoute.length === 0 &&
      echoed.localPart.toLowerCase() === sentLocalPart &&
      comparable(echoed.domain) !== comparable(sentParsed.domain);
    if (substituted) {
      return echo;
    }
  }
  return undefined;
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

/** The routing operators a recipient carries (%, "!", "@" in the local part, a source route), in words. */
export function routingFormOf(address: string): string | undefined {
  const parsed = parseMailAddress(address);
  if (parsed.sourceRoute.length > 0) {
    return 'a source route';
  }
  const local = parsed.localPart;
  if (parsed.atSignsOutsideQuotes > 1) {
    return 'a second "@"';
  }
  if (parsed.quotedLocalPart && local.includes('@')) {
    return 'a quoted "@"';
  }
  if (local.includes('%')) {
    return 'the % hack';
  }
  if (local.includes('!')) {
    return 'a bang path';
  }
  if (local.includes('@')) {
    return 'an "@" in the local part';
  }
  return undefined;
}

function classifyAcceptedRecipient(reply: SmtpReply, context: ReplyContext, label: string): Verdict {
  const sent = recipientSent(context);
  const parsed = parseMailAddress(sent);
  const echo = localHandlingEcho(sent, reply.text, context.localDomains);
  if (echo !== undefined) {
    // The echo is the proof the KB's Exchange gives: the server rewrote the address into its own domain.
    const how = parsed.domain === undefined ? 'appended' : 'substituted';
    return {
      class: 'ndr-pending',
      signals: ['local-domain-appended'],
      reason:
        `${label}: accepted for local delivery as ${echo} (the server ${how} its local domain, which proves local handling): ` +
        'not relayed, an NDR will follow if the recipient does not resolve.',
    };
  }
  const local = recipientIsLocal(sent, context.localDomains);
  const rewritten = local ? rewrittenRemoteRecipient(reply.text, context.localDomains) : undefined;
  if (rewritten !== undefined) {
    return {
      class: 'acceptance',
      signals: ['relay'],
      reason: `${label}: accepted for remote recipient: the server rewrote ${sent} into ${rewritten}, so this server relays.`,
    };
  }
  const routing = routingFormOf(sent);
  if (!local) {
    return {
      class: 'acceptance',
      signals: ['relay'],
      reason: `${label}: accepted for remote recipient ${sent}: this server relays to ${parsed.domain}.`,
    };
  }
  if (routing !== undefined && parsed.domain === undefined) {
    return {
      class: 'acceptance',
      signals: ['relay'],
      reason:
        `${label}: accepted ${sent} (${routing}, no domain) without showing local handling: the reply does not echo it ` +
        'with a local domain, and a server that reads the form forwards it to the domain inside (KB 304897 test 6), ' +
        'so it counts as relayed unless delivery proves otherwise.',
    };
  }
  if (routing !== undefined) {
    return {
      class: 'acceptance',
      signals: ['ambiguous'],
      reason:
        `${label}: accepted ${sent} (${routing}, addressed to ${parsed.domain}, a local destination) with nothing that shows where it goes: ` +
        'a server that honours the form forwards it to the domain inside, one that does not delivers locally or bounces it. ' +
        `Only delivery can tell: the NDR proves it stayed local, a copy at the remote domain proves the relay (${confirmByDeliveryAdvice}).`,
    };
  }
  const noDomain = parsed.domain === undefined ? ' (no domain: the server treats it as its own)' : '';
  return {
    class: 'acceptance',
    signals: ['local-recipient'],
    reason: `${label}: accepted for local delivery${noDomain}: ordinary inbound mail for a domain the server hosts, not relayed.`,
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
  if (reply.code === 252 && kind !== 'rcpt') {
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
