/**
 * Every failure the engine reports is one of these, with a stable `code` and a message that names
 * what happened in one line ("no greeting from 127.0.0.1:2525 within 30 s"), never a stack trace.
 */
export type SmtpErrorCode =
  | 'connect-failed'
  | 'timeout'
  | 'connection-closed'
  | 'protocol'
  | 'tls'
  | 'command-injection'
  | 'cancelled'
  | 'invalid-state';

export class SmtpError extends Error {
  constructor(
    readonly code: SmtpErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SmtpError';
  }
}

export class ConnectError extends SmtpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('connect-failed', message, options);
    this.name = 'ConnectError';
  }
}

export class TimeoutError extends SmtpError {
  constructor(message: string) {
    super('timeout', message);
    this.name = 'TimeoutError';
  }
}

export class ConnectionClosedError extends SmtpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('connection-closed', message, options);
    this.name = 'ConnectionClosedError';
  }
}

export class ProtocolError extends SmtpError {
  constructor(message: string) {
    super('protocol', message);
    this.name = 'ProtocolError';
  }
}

export class TlsError extends SmtpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('tls', message, options);
    this.name = 'TlsError';
  }
}

/** A command with CR or LF would be two commands on the wire: it is refused, never sent. */
export class CommandInjectionError extends SmtpError {
  constructor(message: string) {
    super('command-injection', message);
    this.name = 'CommandInjectionError';
  }
}

export class CancelledError extends SmtpError {
  constructor(message = 'cancelled') {
    super('cancelled', message);
    this.name = 'CancelledError';
  }
}

export class InvalidStateError extends SmtpError {
  constructor(message: string) {
    super('invalid-state', message);
    this.name = 'InvalidStateError';
  }
}

/** One line for a person: our own errors as they are, anything else with its message only. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}
