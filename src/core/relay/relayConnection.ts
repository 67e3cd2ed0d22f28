import { performance } from 'node:perf_hooks';
import { becomeClient, xclientAddress } from '../reach/xclient';
import type { RelayConnectionRecord } from './relayTypes';
import { SmtpSession } from '../protocol/session';
import type { SmtpReply } from '../protocol/reply';
import { TlsError } from '../protocol/errors';
import { describeTarget, type SessionOptions } from '../protocol/sessionOptions';
import type { TranscriptEvent } from '../transcript/transcriptEvent';

/**
 * The connection a relay run works over, as the KB does it: connect, EHLO (and STARTTLS plus a second
 * EHLO when asked), then one test after another. It can be opened again after the server drops it or
 * answers 421, and every event of every connection goes to one transcript.
 */

/** The server answered, but refused to talk: a 4xx/5xx greeting, EHLO/HELO refused, STARTTLS refused. */
export class SessionRefusedError extends Error {
  constructor(
    readonly stage: 'greeting' | 'EHLO' | 'STARTTLS',
    readonly reply: SmtpReply,
  ) {
    const code = reply.enhanced ? `${reply.code} ${reply.enhanced}` : String(reply.code);
    super(`the server refused the session at ${stage === 'greeting' ? 'its greeting' : stage}: ${code} ${reply.text.split('\n')[0]}`);
    this.name = 'SessionRefusedError';
  }

  /** 4xx: it may talk later; 5xx: it will not talk to this client. */
  get temporary(): boolean {
    return this.reply.code >= 400 && this.reply.code < 500;
  }
}

export interface OpenedSession {
  session: SmtpSession;
  greeting: SmtpReply;
  ehloReply: SmtpReply;
  /** Where the connection came from and how fast the server greeted. */
  record: RelayConnectionRecord;
}

export class RelayConnection {
  private session: SmtpSession | undefined;
  private stopForwarding: (() => void) | undefined;

  /**
   * `asClient`: after EHLO (and STARTTLS), XCLIENT makes the server judge the session as this client
   * address (reach/xclient.ts); a server that does not offer or refuses it fails open() with XclientError.
   */
  constructor(
    private readonly sessionOptions: SessionOptions,
    private readonly heloName: string,
    private readonly recordEvent: (event: TranscriptEvent) => void,
    private readonly asClient?: string,
  ) {}

  /** The open session; undefined before open() and after a failed one. */
  get current(): SmtpSession | undefined {
    return this.session;
  }

  get isOpen(): boolean {
    return this.session?.state === 'ready';
  }

  /** Opens a new connection (closing any previous one). Rejects with SmtpError or SessionRefusedError. */
  async open(): Promise<OpenedSession> {
    this.close();
    if (this.asClient !== undefined) {
      // Not an IP: XclientError before any connection, rather than tests run from here under that name.
      xclientAddress(this.asClient);
    }
    const session = new SmtpSession(this.sessionOptions);
    this.session = session;
    this.stopForwarding = session.onEvent((event) => this.recordEvent(event));
    try {
      const connectStarted = performance.now();
      let greeting = await session.connect();
      const greetingLatencyMs = performance.now() - connectStarted;
      if (greeting.code >= 400) {
        throw new SessionRefusedError('greeting', greeting);
      }
      const ehloStarted = performance.now();
      let ehloReply = await this.greet(session);
      const ehloLatencyMs = performance.now() - ehloStarted;
      let tls: RelayConnectionRecord['tls'] = this.sessionOptions.tls === 'implicit' ? 'implicit' : 'none';
      if (this.sessionOptions.tls === 'starttls' && session.capabilities && !session.capabilities.starttls) {
        if (this.sessionOptions.requireStartTls) {
          // Asked for explicitly (the CLI's --tls starttls): no test runs in clear text in its place.
          throw new TlsError(`TLS failed: ${describeTarget(this.sessionOptions)} did not advertise STARTTLS, which was required; no test was sent`);
        }
        // STARTTLS is offered on 25/587, not demanded: a server that does not advertise it is tested in clear
        // text, as telnet would, and the transcript says so. One that advertises it and refuses still fails.
        this.note('The server did not advertise STARTTLS: this connection continues in clear text.');
      } else if (this.sessionOptions.tls === 'starttls') {
        const started = await session.starttls();
        if (started.code !== 220) {
          // 454 (not now) and 502 (not implemented) alike: TLS was asked for and cannot be had, a TLS
          // failure like a failed handshake. No test runs in clear text in its place.
          throw new TlsError(
            `TLS failed: ${describeTarget(this.sessionOptions)} refused STARTTLS with ${started.code}${started.enhanced ? ` ${started.enhanced}` : ''} ${started.text.split('\n')[0]}; no test was sent`,
          );
        }
        // RFC 3207 §4.2: what the server said before TLS is forgotten; ask again.
        ehloReply = await this.greet(session);
        tls = 'starttls';
      }
      if (this.asClient !== undefined) {
        const became = await becomeClient(session, this.asClient, this.heloName);
        greeting = became.greeting;
        if (became.ehloReply.code >= 400) {
          throw new SessionRefusedError('EHLO', became.ehloReply);
        }
        ehloReply = became.ehloReply;
      }
      const record: RelayConnectionRecord = {
        ...(session.localAddress === undefined ? {} : { localAddress: session.localAddress }),
        ...(session.localPort === undefined ? {} : { localPort: session.localPort }),
        ...(session.remoteAddress === undefined ? {} : { remoteAddress: session.remoteAddress }),
        ...(this.asClient === undefined ? {} : { asClient: this.asClient }),
        tls,
        greetingLatencyMs: Math.round(greetingLatencyMs),
        ehloLatencyMs: Math.round(ehloLatencyMs),
      };
      return { session, greeting, ehloReply, record };
    } catch (error) {
      await session.quit();
      throw error;
    }
  }

  /** A remark of the runner in the transcript ("reconnecting after ..."). */
  note(text: string): void {
    this.recordEvent({ kind: 'info', at: Date.now(), tls: false, text });
  }

  /** QUIT politely, then close. Never rejects. */
  async quit(): Promise<void> {
    const session = this.session;
    if (session) {
      await session.quit();
    }
    this.detach();
  }

  close(): void {
    this.session?.close();
    this.detach();
  }

  private async greet(session: SmtpSession): Promise<SmtpReply> {
    const reply = await session.ehlo(this.heloName);
    if (reply.code >= 400) {
      throw new SessionRefusedError('EHLO', reply);
    }
    return reply;
  }

  private detach(): void {
    this.stopForwarding?.();
    this.stopForwarding = undefined;
  }
}
