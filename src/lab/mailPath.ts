/**
 * Reads the argument of MAIL FROM / RCPT TO the way a permissive MTA does: with or without the
 * RFC 5321 angle brackets (the KB types them without), quoted local parts that contain "@" or
 * spaces, and source routes ("@relay:user@domain", which RFC 5321 §4.1.2 says to accept and ignore).
 * smtp-server's own parser refuses several of these forms, and the relay tests are about exactly
 * them, so the practice server parses them here.
 */
import { closingBracketIndex, scanOutsideQuotes } from '../core/protocol/quotedScan';

export interface MailPath {
  /** The path as the client wrote it, without angle brackets and parameters. */
  text: string;
  bracketed: boolean;
  /** The null path `<>` (MAIL FROM of bounces). */
  isNull: boolean;
  /** A source route such as "@[10.0.0.1]" or "@a.example,@b.example", without the colon. */
  sourceRoute?: string;
  /** Everything before the last "@" that is not inside quotes; the whole mailbox when there is none. */
  localPart: string;
  /** After the last unquoted "@"; absent for a bare name such as "UserName" or "R%RD". */
  domain?: string;
  /** ESMTP parameters after the path (SIZE=100, BODY=8BITMIME), as written. */
  parameters: string[];
}

const commandPrefixes = { MAIL: /^MAIL\s+FROM\s*:/i, RCPT: /^RCPT\s+TO\s*:/i };

/** The text after "MAIL FROM:" or "RCPT TO:", or undefined when the line does not have that shape. */
export function commandArgument(line: string, verb: keyof typeof commandPrefixes): string | undefined {
  const prefix = commandPrefixes[verb].exec(line);
  return prefix ? line.slice(prefix[0].length) : undefined;
}

/** Parses a MAIL FROM / RCPT TO argument; undefined means a syntax error the server answers with 501. */
export function parseMailPath(argument: string): MailPath | undefined {
  const input = argument.replace(/^[ \t]+/, '');
  const bracketed = input.startsWith('<');
  const end = bracketed ? closingBracketIndex(input) : findUnquotedWhitespace(input);
  if (end < 0) {
    return undefined;
  }
  const text = bracketed ? input.slice(1, end) : input.slice(0, end);
  const parameters = input
    .slice(bracketed ? end + 1 : end)
    .trim()
    .split(/\s+/)
    .filter((parameter) => parameter.length > 0);
  if (/[\x00-\x1f\x7f]/.test(text)) {
    return undefined;
  }
  if (text === '') {
    return bracketed ? { text, bracketed, isNull: true, localPart: '', parameters } : undefined;
  }
  let mailbox = text;
  let sourceRoute: string | undefined;
  if (text.startsWith('@')) {
    const colon = indexOutsideQuotes(text, ':', 'first');
    if (colon < 0) {
      return undefined;
    }
    sourceRoute = text.slice(0, colon);
    mailbox = text.slice(colon + 1);
  }
  if (!quotesAreBalanced(mailbox)) {
    return undefined;
  }
  const at = indexOutsideQuotes(mailbox, '@', 'last');
  if (at < 0) {
    return mailbox === '' ? undefined : { text, bracketed, isNull: false, sourceRoute, localPart: mailbox, parameters };
  }
  const localPart = mailbox.slice(0, at);
  const domain = mailbox.slice(at + 1);
  if (localPart === '' || domain === '') {
    return undefined;
  }
  return { text, bracketed, isNull: false, sourceRoute, localPart, domain, parameters };
}

/** The mailbox without its source route, as it would be written on the wire. */
export function mailboxOf(path: MailPath): string {
  return path.domain === undefined ? path.localPart : `${path.localPart}@${path.domain}`;
}

/** The mailbox, with `defaultDomain` appended when it has none (what MTAs do with a bare user name). */
export function mailboxWithDomain(path: MailPath, defaultDomain: string): string {
  return path.domain === undefined ? `${path.localPart}@${defaultDomain}` : mailboxOf(path);
}

function findUnquotedWhitespace(input: string): number {
  const { index, openQuote } = scanOutsideQuotes(input, 0, (character) => character === ' ' || character === '\t');
  return index >= 0 ? index : openQuote ? -1 : input.length;
}

function indexOutsideQuotes(text: string, wanted: string, which: 'first' | 'last'): number {
  let found = -1;
  // A character found outside quotes ends no quote: the scan goes on from the next one as from the start.
  for (let next = scanOutsideQuotes(text, 0, (character) => character === wanted); next.index >= 0; ) {
    found = next.index;
    if (which === 'first') {
      break;
    }
    next = scanOutsideQuotes(text, found + 1, (character) => character === wanted);
  }
  return found;
}

function quotesAreBalanced(text: string): boolean {
  return !scanOutsideQuotes(text, 0, () => false).openQuote;
}
