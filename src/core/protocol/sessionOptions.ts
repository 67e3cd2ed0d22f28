/** How to reach a server. Shared by every face: terminal, .smtp files, Test Explorer, CLI. */
export type TlsMode = 'none' | 'starttls' | 'implicit';

export interface SessionTimeouts {
  /** TCP (and, for implicit TLS, handshake) connect. */
  connectMs: number;
  /** From connected to a complete 220 greeting (RFC 5321 §4.5.3.2.1 suggests 5 minutes; admins want less). */
  greetingMs: number;
  /** From a command sent to its complete reply. */
  replyMs: number;
  /** From the final "." of DATA to its reply (RFC 5321 §4.5.3.2.6 gives servers 10 minutes). */
  dataEndMs: number;
}

export const defaultTimeouts: SessionTimeouts = {
  connectMs: 10_000,
  greetingMs: 30_000,
  replyMs: 30_000,
  dataEndMs: 120_000,
};

export interface SessionOptions {
  host: string;
  port: number;
  tls: TlsMode;
  /** Certificate checking is on unless the user turns it off for a lab server. */
  rejectUnauthorized?: boolean;
  /** SNI and certificate name; defaults to host when it is a name. */
  servername?: string;
  timeouts?: Partial<SessionTimeouts>;
  /** Cancels whatever the session is waiting for, and closes it. */
  signal?: AbortSignal;
  /**
   * Test as this client address: after EHLO, XCLIENT ADDR=<ip> (reach/xclient.ts). Like 'starttls', a
   * plan for the caller: the relay runner's connection acts on it, SmtpSession does not.
   */
  asClient?: string;
  /**
   * With 'starttls': a server that does not advertise STARTTLS fails the connection (a TLS failure) instead
   * of the session going on in clear text. Off by default: STARTTLS is offered, as on 25/587, not demanded.
   * Like 'starttls' itself, a plan for the caller (the relay runner's connection acts on it).
   */
  requireStartTls?: boolean;
}

export function describeTarget(options: Pick<SessionOptions, 'host' | 'port'>): string {
  return options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
}
