/**
 * Reads the argument of MAIL FROM / RCPT TO the way a permissive MTA does: with or without the
 * RFC 5321 angle brackets (the KB types them without), quoted local parts that contain "@" or
 * spaces, and source routes ("@relay:user@domain", which RFC 5321 §4.1.2 says to accept and ignore).
 * smtp-server's own parser refuses several of these forms, and the relay tests are about exactly
 * them, so the practice server parses them here.
 */
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
  const end = bracketed ? findClosingBracket(input) : findUnquotedWhitespace(input);
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

function findClosingBracket(input: string): number {
  let quoted = false;
  for (let index = 1; index < input.length; index++) {
    const character = input[index];
    if (quoted && character === '\\') {
      index++;
    } else if (character === '"') {
      quoted = !quoted;
    } else if (!quoted && character === '>') {
      return index;
    } else if (!quoted && character === '<') {
      return -1;
    }
  }
  return -1;
}

function findUnquotedWhitespace(input: string): number {
  let quoted = false;
  for (let index = 0; index < input.length; index++) {
    const character = input[index];
    if (quoted && character === '\\') {
      index++;
    } else if (character === '"') {
      quoted = !quoted;
    } else if (!quoted && (character === ' ' || character === '\t')) {
      return index;
    }
  }
  return quoted ? -1 : input.length;
}

function indexOutsideQuotes(text: string, wanted: string, which: 'first' | 'last'): number {
  let quoted = false;
  let found = -1;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (quoted && character === '\\') {
      index++;
    } else if (character === '"') {
      quoted = !quoted;
    } else if (!quoted && character === wanted) {
      if (which === 'first') {
        return index;
      }
      found = index;
    }
  }
  return found;
}

function quotesAreBalanced(text: string): boolean {
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    if (quoted && text[index] === '\\') {
      index++;
    } else if (text[index] === '"') {
      quoted = !quoted;
    }
  }
  return !quoted;
}
