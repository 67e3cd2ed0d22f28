/**
 * What a basic SMTP reply code means, in the words of RFC 5321 §4.2.2-4.2.3 and of the extensions whose
 * codes turn up in relay tests (RFC 3207 STARTTLS, RFC 4954 AUTH). Used where a reply is explained to a
 * person, next to the RFC 3463 meaning of its enhanced code (enhancedCodes.ts).
 */

const codeMeanings: Record<number, string> = {
  211: 'system status, or system help reply',
  214: 'help message',
  220: 'service ready',
  221: 'service closing transmission channel',
  235: 'authentication succeeded (RFC 4954)',
  250: 'requested mail action okay, completed',
  251: 'user not local; will forward',
  252: 'cannot verify the user, but will accept the message and attempt delivery',
  334: 'authentication challenge: send the next part (RFC 4954)',
  354: 'start mail input; end with <CRLF>.<CRLF>',
  421: 'service not available, closing transmission channel',
  432: 'a password transition is needed (RFC 4954)',
  450: 'requested mail action not taken: mailbox unavailable (busy, or blocked for policy reasons for now)',
  451: 'requested action aborted: local error in processing',
  452: 'requested action not taken: insufficient system storage (at RCPT: too many recipients)',
  454: 'temporary failure: TLS or authentication not available for now (RFC 3207, RFC 4954); Postfix also uses it to defer relay',
  455: 'server unable to accommodate parameters',
  500: 'syntax error, command unrecognized',
  501: 'syntax error in parameters or arguments',
  502: 'command not implemented',
  503: 'bad sequence of commands',
  504: 'command parameter not implemented',
  530: 'authentication required, or STARTTLS required first (RFC 4954, RFC 3207)',
  534: 'authentication mechanism is too weak (RFC 4954)',
  535: 'authentication credentials invalid (RFC 4954)',
  538: 'encryption required for the requested authentication mechanism (RFC 4954)',
  550: 'requested action not taken: mailbox unavailable (not found, no access, or refused for policy reasons)',
  551: 'user not local; try another path',
  552: 'requested mail action aborted: exceeded storage allocation',
  553: 'requested action not taken: mailbox name not allowed (e.g. bad mailbox syntax)',
  554: 'transaction failed (as a greeting: no SMTP service here)',
  555: 'MAIL FROM/RCPT TO parameters not recognized or not implemented',
};

const firstDigitMeanings: Record<number, string> = {
  2: 'positive completion',
  3: 'positive intermediate: the server waits for more',
  4: 'transient negative completion: the command may succeed later',
  5: 'permanent negative completion: repeating the command will not help',
};

/**
 * "550" -> "requested action not taken: mailbox unavailable (...)". A code outside the table is described
 * by its first digit; anything outside 2xx-5xx says it is not a valid reply code.
 */
export function describeReplyCode(code: number): string {
  const known = codeMeanings[code];
  if (known !== undefined) {
    return known;
  }
  const firstDigit = Math.floor(code / 100);
  const general = Number.isInteger(code) && code >= 200 && code < 600 ? firstDigitMeanings[firstDigit] : undefined;
  return general ?? 'not a valid SMTP reply code (RFC 5321 uses 2xx to 5xx)';
}
