/**
 * What a transcript may show of the lines sent in an AUTH exchange (RFC 4954 §4), whoever wrote them:
 * the engine's authenticate(), a line typed by hand, a line of a .smtp file. The initial response of
 * `AUTH <mechanism> <initial-response>` and every line that answers a 334 carry the credentials in some
 * encoding (a PLAIN blob, LOGIN base64, a CRAM-MD5 digest, an XOAUTH2 token), so they are recorded as
 * `<redacted>`; only what goes on the wire is real. No mechanism is special: an unknown one is redacted too.
 */
import { redacted } from './authentication';

/** What to record for one line about to be sent. */
export interface LineToRecord {
  shown: string;
  /** True when the reply to this line decides whether the AUTH exchange goes on (334) or is over. */
  answersAuthExchange: boolean;
}

// RFC 4422 §3.1: a SASL mechanism name is 1 to 20 upper-case letters, digits, "-" and "_".
const mechanismNamePattern = /^[A-Z0-9_-]{1,20}$/;
const wellKnownMechanisms = new Set([
  'PLAIN',
  'LOGIN',
  'CRAM-MD5',
  'DIGEST-MD5',
  'XOAUTH2',
  'OAUTHBEARER',
  'GSSAPI',
  'NTLM',
  'EXTERNAL',
  'ANONYMOUS',
  'SCRAM-SHA-1',
  'SCRAM-SHA-256',
  'SCRAM-SHA-1-PLUS',
  'SCRAM-SHA-256-PLUS',
]);
const authCommandPattern = /^(\s*AUTH)(?=\s|$)(?:(\s+)(\S+))?(.*)$/i;

/**
 * Follows one connection's AUTH exchange across the lines it sends and the replies it gets. The exchange
 * opens with an AUTH command and lasts until a reply to it, or to a line sent within it, is not 334.
 * While it is open every line sent is an answer to a challenge, whatever it looks like (a server reads
 * "NOOP" sent after a 334 as base64), so every one is redacted except a lone "*", the client's cancel.
 */
export class AuthExchangeRedaction {
  private exchangeOpen = false;

  /** True between an AUTH command and the reply that ends its exchange. */
  get inExchange(): boolean {
    return this.exchangeOpen;
  }

  /**
   * What the transcript records for `line`, which is about to be sent. `showAsIs` is for the engine's own
   * choices (the user name of AUTH LOGIN, which admins want to see); the exchange is followed all the same.
   */
  lineToSend(line: string, options: { showAsIs?: boolean } = {}): LineToRecord {
    if (this.exchangeOpen) {
      const cancel = line.trim() === '*';
      return { shown: options.showAsIs || cancel ? line : redacted, answersAuthExchange: true };
    }
    const auth = authCommandPattern.exec(line);
    if (!auth) {
      return { shown: line, answersAuthExchange: false };
    }
    this.exchangeOpen = true;
    if (options.showAsIs) {
      return { shown: line, answersAuthExchange: true };
    }
    const [, verb, space = '', mechanism = '', rest] = auth;
    const shownMechanism = mechanism === '' || looksLikeMechanismName(mechanism) ? mechanism : redacted;
    const initialResponse = rest.trim() === '' ? rest : ` ${redacted}`;
    return { shown: `${verb}${space}${shownMechanism}${initialResponse}`, answersAuthExchange: true };
  }

  /** A reply arrived; `answersAuthExchange` is what lineToSend said of the line it answers. */
  replyArrived(code: number, answersAuthExchange: boolean): void {
    if (answersAuthExchange && code !== 334) {
      this.exchangeOpen = false;
    }
  }
}

/**
 * A mechanism is shown when it reads as one: "PLAIN", "cram-md5", "Login". A token in mixed case that is
 * not a known mechanism may be a credential typed without one ("AUTH dGVzdA=="), and is redacted.
 */
function looksLikeMechanismName(token: string): boolean {
  const upper = token.toUpperCase();
  if (!mechanismNamePattern.test(upper)) {
    return false;
  }
  return wellKnownMechanisms.has(upper) || token === upper || token === token.toLowerCase();
}
