/**
 * The client side of AUTH PLAIN and LOGIN (RFC 4954, RFC 4616, draft-murchison-sasl-login): what is sent,
 * and what the transcript shows instead, so that no form of the secret is ever recorded.
 */
export const redacted = '<redacted>';

/** The mechanisms the engine speaks itself, so that no face asks for a credential blob: declared here only. */
export type AuthMechanism = 'PLAIN' | 'LOGIN';

export interface AuthenticationLine {
  /** The line as sent on the wire. */
  wire: string;
  /** The line as the transcript records it. */
  shown: string;
  /** The engine chose `shown` itself: the session's redaction of AUTH exchanges leaves it as it is. */
  showAsIs?: boolean;
}

export function plainInitialResponse(username: string, secret: string): AuthenticationLine {
  const blob = Buffer.from(`\0${username}\0${secret}`, 'utf8').toString('base64');
  return { wire: `AUTH PLAIN ${blob}`, shown: `AUTH PLAIN ${redacted}` };
}

/** The user name is not secret, and admins want to see which account was tried. */
export function loginUsernameLine(username: string): AuthenticationLine {
  const encoded = Buffer.from(username, 'utf8').toString('base64');
  return { wire: encoded, shown: encoded, showAsIs: true };
}

export function loginPasswordLine(secret: string): AuthenticationLine {
  return { wire: Buffer.from(secret, 'utf8').toString('base64'), shown: redacted };
}
