import type { SmtpReply } from './reply';

/**
 * Phrases servers use in replies, and the addresses they echo. Kept apart from the classifier so the
 * list of known server wordings can grow without touching the decisions.
 */

/** Relay refusals as Postfix, Exim, qmail, Exchange and Sendmail word them (relay-reference.md). */
const relayDenialPatterns: RegExp[] = [
  /relay access denied/i, // Postfix: 554/454 <x>: Relay access denied
  /relay(ing)? not permitted/i, // Exim: 550 relay not permitted
  /not in my list of allowed rcpthosts/i, // qmail: 553 sorry, that domain isn't in my list of allowed rcpthosts
  /unable to relay/i, // Exchange: 550 5.7.1 Unable to relay
  /relaying prohibited/i, // Exchange: 550 5.7.1 Relaying prohibited
  /relaying (temporarily )?denied/i, // Sendmail: Relaying denied / Relaying temporarily denied
  /\b(cannot|can't|will not|won't|do not|don't|does not|not allowed to) relay\b/i,
  /\brelay(ing)? (is )?(denied|refused|disallowed|not allowed|prohibited)\b/i,
  /\bno relaying\b/i,
];

/** "No such user" as servers word it: the reply that lets an attacker harvest addresses. */
const unknownUserPatterns: RegExp[] = [
  /user unknown/i,
  /unknown user/i,
  /no such (user|mailbox|recipient)/i,
  /(recipient|user|mailbox) (not found|does not exist|unknown)/i,
  /unknown (recipient|mailbox)/i,
  /invalid (recipient|mailbox)/i,
];

const startTlsPattern = /starttls/i;

/**
 * The most of a reply's text any pattern here reads. RFC 5321 §4.5.3.1.5 allows 512 octets per reply
 * line; a server that sends a megabyte has nothing more to say in it, and every regular expression then
 * runs on a bounded input whatever the server sent (issue 8: a reply must never stall the event loop).
 */
export const matchedTextLimit = 64 * 1024;

/** The part of a reply's text the patterns read: all of it, or its first matchedTextLimit characters. */
export function boundedText(text: string): string {
  return text.length > matchedTextLimit ? text.slice(0, matchedTextLimit) : text;
}

export function textDeniesRelay(text: string): boolean {
  const bounded = boundedText(text);
  return relayDenialPatterns.some((pattern) => pattern.test(bounded));
}

export function textSaysUnknownUser(text: string): boolean {
  const bounded = boundedText(text);
  return unknownUserPatterns.some((pattern) => pattern.test(bounded));
}

export function textAsksForStartTls(text: string): boolean {
  return startTlsPattern.test(boundedText(text));
}

/**
 * The enhanced code the server sent: the reply parser's, or one written the qmail way at the end of
 * the text ("... rcpthosts (#5.7.1)").
 */
export function enhancedCodeSentIn(reply: SmtpReply): string | undefined {
  if (reply.enhanced) {
    return reply.enhanced;
  }
  const qmailStyle = /\(#([245]\.\d{1,3}\.\d{1,3})\)/.exec(boundedText(reply.text));
  return qmailStyle?.[1];
}

/**
 * The addresses a reply echoes, in order: first those in angle brackets, then bare words with an "@"
 * ("250 2.1.5 R%RD@LD", Exchange's "UserName@DomainName.tld....Sender OK"). Trailing punctuation and
 * runs of dots that glue the address to the following words are cut off.
 */
export function addressesEchoedIn(fullText: string): string[] {
  const text = boundedText(fullText);
  const echoed: string[] = [];
  const bracketedPattern = /<([^<>\s]*)>/g;
  for (let match = bracketedPattern.exec(text); match; match = bracketedPattern.exec(text)) {
    echoed.push(match[1]);
  }
  const withoutBracketed = text.replace(bracketedPattern, ' ');
  for (const word of withoutBracketed.split(/\s+/)) {
    if (!word.includes('@')) {
      continue;
    }
    const cut = withoutTrailingPunctuation(beforeDotRun(word));
    if (cut.includes('@')) {
      echoed.push(cut);
    }
  }
  return echoed;
}

/** The word up to its first run of two or more dots ("user@example.com....Sender" -> "user@example.com"). */
function beforeDotRun(word: string): string {
  const index = word.indexOf('..');
  return index < 0 ? word : word.slice(0, index);
}

/**
 * The word without the dots, commas, semicolons and colons at its end. A scan from the end, not
 * `/[.,;:]+$/`: that pattern retries at every punctuation character of a run that does not reach the end
 * ("a@" and 200,000 commas then a letter), quadratic time on a server's say-so.
 */
function withoutTrailingPunctuation(word: string): string {
  let end = word.length;
  while (end > 0 && isTrailingPunctuation(word.charCodeAt(end - 1))) {
    end -= 1;
  }
  return end === word.length ? word : word.slice(0, end);
}

function isTrailingPunctuation(code: number): boolean {
  return code === 0x2e || code === 0x2c || code === 0x3b || code === 0x3a;
}
