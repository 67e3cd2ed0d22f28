import { TlsError } from './errors';

/** Node socket error codes in words an admin recognises. */
const socketErrorWords: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EADDRNOTAVAIL: 'address not available',
  EPIPE: 'connection closed while sending',
};

/**
 * "connection refused (ECONNREFUSED)", or the error's own message for anything else, on one line:
 * OpenSSL ends its messages with a line break, which would split a report or a transcript remark.
 */
export function describeSocketError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code && socketErrorWords[code]) {
    return `${socketErrorWords[code]} (${code})`;
  }
  const message = oneLine(error.message);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/** The lines of a message joined with spaces (a split: a replace with \s* around the breaks is quadratic on spaces). */
export function oneLine(text: string): string {
  return text
    .split(/[\r\n]+/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}

/** OpenSSL/Node codes that mean "the certificate was not accepted", as opposed to a broken handshake. */
const certificateErrorCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function isCertificateError(error: Error): boolean {
  return certificateErrorCodes.has((error as NodeJS.ErrnoException).code ?? '');
}

/** A TLS failure with the target named and, for certificate problems, what the user can do about it. */
export function tlsFailure(target: string, error: Error): TlsError {
  if (isCertificateError(error)) {
    const code = (error as NodeJS.ErrnoException).code;
    return new TlsError(
      `certificate of ${target} not accepted: ${oneLine(error.message)} (${code}); ` +
        'turn certificate checking off only for a lab server you trust',
      { cause: error },
    );
  }
  return new TlsError(`TLS handshake with ${target} failed: ${describeSocketError(error)}`, { cause: error });
}

/** "30 s", "250 ms": how long we waited, for messages. */
export function describeDuration(milliseconds: number): string {
  return milliseconds < 1000 ? `${milliseconds} ms` : `${Number((milliseconds / 1000).toFixed(1))} s`;
}
