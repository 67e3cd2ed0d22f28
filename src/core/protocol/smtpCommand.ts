/**
 * What kind of command a reply answers, read from the command line as sent. The classifier and the
 * relay runner both need it, and a reply means different things after RCPT than after MAIL.
 */
import { scanOutsideQuotes } from './quotedScan';

export type SmtpCommandKind =
  | 'greeting'
  | 'ehlo'
  | 'helo'
  | 'mail'
  | 'rcpt'
  | 'data'
  | 'end-of-data'
  | 'rset'
  | 'vrfy'
  | 'expn'
  | 'noop'
  | 'quit'
  | 'starttls'
  | 'auth'
  | 'other';

/** The command recorded for the reply to the end of a message: the lone "." that ends DATA (RFC 5321 §4.1.1.4). */
export const endOfDataCommand = '.';

export function commandKindOf(command: string): SmtpCommandKind {
  const trimmed = command.trim();
  if (trimmed === '') {
    return 'greeting';
  }
  if (trimmed === endOfDataCommand) {
    return 'end-of-data';
  }
  const upper = trimmed.toUpperCase();
  if (/^MAIL\s+FROM\s*:/.test(upper)) {
    return 'mail';
  }
  if (/^RCPT\s+TO\s*:/.test(upper)) {
    return 'rcpt';
  }
  const verb = upper.split(/\s+/)[0];
  switch (verb) {
    case 'EHLO':
      return 'ehlo';
    case 'HELO':
      return 'helo';
    case 'DATA':
      return 'data';
    case 'RSET':
      return 'rset';
    case 'VRFY':
      return 'vrfy';
    case 'EXPN':
      return 'expn';
    case 'NOOP':
      return 'noop';
    case 'QUIT':
      return 'quit';
    case 'STARTTLS':
      return 'starttls';
    case 'AUTH':
      return 'auth';
    default:
      return 'other';
  }
}

/**
 * The address argument of MAIL FROM / RCPT TO as written, with its brackets when it had them, without
 * ESMTP parameters: `RCPT TO:<a@b> NOTIFY=NEVER` -> `<a@b>`, `RCPT TO:a@b` -> `a@b`.
 */
export function addressArgumentOf(command: string): string | undefined {
  const match = /^\s*(?:MAIL\s+FROM|RCPT\s+TO)\s*:\s*(.*)$/i.exec(command);
  if (!match) {
    return undefined;
  }
  const rest = match[1];
  if (rest.startsWith('<')) {
    const { index } = scanOutsideQuotes(rest, 1, (character) => character === '>');
    return index >= 0 ? rest.slice(0, index + 1) : rest;
  }
  return rest.split(/\s+/)[0] ?? '';
}
