import net from 'node:net';
import tls from 'node:tls';
import { AuthExchangeRedaction } from './authExchangeRedaction';
import { loginPasswordLine, loginUsernameLine, plainInitialResponse, type AuthenticationLine, type AuthMechanism } from './authentication';
import { capabilitiesOfHeloReply, parseEhloReply, type EhloCapabilities } from './capabilities';
import { assertSingleLine, encodeMessageBody } from './commandLine';
import {
  CancelledError,
  ConnectError,
  ConnectionClosedError,
  InvalidStateError,
  ProtocolError,
  SmtpError,
  TimeoutError,
  TlsError,
} from './errors';
import type { SmtpReply } from './reply';
import { ReplyParser, type ParserOverflow, type ReceivedLine } from './replyParser';
import { defaultTimeouts, describeTarget, type SessionOptions, type SessionTimeouts } from './sessionOptions';
import { describeDuration, describeSocketError, tlsFailure } from './socketFailure';
import type { TranscriptEvent, TranscriptEventKind } from '../transcript/transcriptEvent';
import { escapeWireBytes } from './wireText';

export type SessionState = 'new' | 'connecting' | 'ready' | 'closed';

/** One reply the session waits for, in the order the commands were sent. */
interface AwaitedReply extends ReplyHooks {
  /** For messages: 'the greeting', 'the reply to "EHLO x"'. */
  what: string;
  /** Whether this reply tells if an AUTH exchange goes on (334) or is over; see AuthExchangeRedaction. */
  answersAuthExchange?: boolean;
  timer: NodeJS.Timeout;
  resolve(reply: SmtpReply): void;
  reject(error: SmtpError): void;
}

interface ReplyHooks {
  /** Runs synchronously when the reply arrives, before any further byte is parsed. */
  onArrival?(reply: SmtpReply): void;
  /** What a timeout does; by default the session fails, since a late reply would answer the wrong command. */
  onTimeout?(): void;
  /** The TimeoutError message, when "no <what> from <target> within <time>" does not read well. */
  timeoutMessage?: string;
}

/** The pending connect, before the TCP (or implicit TLS) connection exists. */
interface PendingConnect {
  resolve(greeting: SmtpReply): void;
  reject(error: SmtpError): void;
  timer: NodeJS.Timeout;
}

interface PendingHandshake {
  reject(error: SmtpError): void;
  timer: NodeJS.Timeout;
}

/** Most servers answer QUIT at once; we do not keep the user waiting for one that does not. */
const quitWaitMs = 2000;

/**
 * One SMTP client connection. A 4xx/5xx reply is a normal return value; methods reject only with
 * SmtpError subclasses. Every line sent or received, and every remark, is recorded as a TranscriptEvent.
 *
 * `options.tls` 'implicit' is acted on by connect(). 'starttls' is the caller's plan: it runs
 * ehlo(), starttls() and ehlo() again, and decides what a refusal (454) means for it.
 * A timeout closes the session: a reply that came later would be taken as the answer to the next command.
 */
export class SmtpSession {
  readonly options: SessionOptions;
  private readonly timeouts: SessionTimeouts;
  private readonly target: string;
  private stateValue: SessionState = 'new';
  private tlsActiveValue = false;
  private greetingValue: SmtpReply | undefined;
  private capabilitiesValue: EhloCapabilities | undefined;
  private remoteAddressValue: string | undefined;
  private localAddressValue: string | undefined;
  private localPortValue: number | undefined;
  private readonly events: TranscriptEvent[] = [];
  private readonly eventListeners = new Set<(event: TranscriptEvent) => void>();
  private readonly closeListeners = new Set<(error?: SmtpError) => void>();
  private readonly unsolicitedListeners = new Set<(reply: SmtpReply) => void>();
  private readonly awaited: AwaitedReply[] = [];
  /** AUTH credentials are redacted as sent lines are recorded, whichever method sends them. */
  private readonly authRedaction = new AuthExchangeRedaction();
  private readonly parser: ReplyParser;
  private socket: net.Socket | undefined;
  /** The TCP socket under a STARTTLS upgrade, destroyed with the TLS socket. */
  private plainSocket: net.Socket | undefined;
  private tcpConnected = false;
  private socketError: Error | undefined;
  private pendingConnect: PendingConnect | undefined;
  private pendingHandshake: PendingHandshake | undefined;
  private readonly onAbort = () => this.cancel();

  constructor(options: SessionOptions) {
    this.options = options;
    this.timeouts = { ...defaultTimeouts, ...options.timeouts };
    this.target = describeTarget(options);
    this.parser = new ReplyParser({
      onLine: (line) => this.recordReceivedLine(line),
      onReplyProblem: (problem) => this.record('error', `protocol: ${problem}`),
      onReply: (reply) => this.dispatchReply(reply),
      onOverflow: (overflow) => this.handleOverflow(overflow),
    });
  }

  get state(): SessionState {
    return this.stateValue;
  }

  get tlsActive(): boolean {
    return this.tlsActiveValue;
  }

  get greeting(): SmtpReply | undefined {
    return this.greetingValue;
  }

  get capabilities(): EhloCapabilities | undefined {
    return this.capabilitiesValue;
  }

  get transcript(): readonly TranscriptEvent[] {
    return this.events;
  }

  get remoteAddress(): string | undefined {
    return this.remoteAddressValue;
  }

  /** The address this side of the connection used: where the tester stands, as the server sees it (NAT aside). */
  get localAddress(): string | undefined {
    return this.localAddressValue;
  }

  get localPort(): number | undefined {
    return this.localPortValue;
  }

  onEvent(listener: (event: TranscriptEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onClose(listener: (error?: SmtpError) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  onUnsolicitedReply(listener: (reply: SmtpReply) => void): () => void {
    this.unsolicitedListeners.add(listener);
    return () => this.unsolicitedListeners.delete(listener);
  }

  /** Connects (with TLS first on an implicit-TLS port) and resolves with the greeting, whatever its code. */
  connect(): Promise<SmtpReply> {
    if (this.stateValue !== 'new') {
      return Promise.reject(new InvalidStateError(`cannot connect: the session is already ${this.stateValue}`));
    }
    const signal = this.options.signal;
    if (signal?.aborted) {
      this.stateValue = 'closed';
      return Promise.reject(new CancelledError(`cancelled before connecting to ${this.target}`));
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.stateValue = 'connecting';
    return new Promise<SmtpReply>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new TimeoutError(`could not connect to ${this.target} within ${describeDuration(this.timeouts.connectMs)}`)),
        this.timeouts.connectMs,
      );
      this.pendingConnect = { resolve, reject, timer };
      const implicitTls = this.options.tls === 'implicit';
      const socket = implicitTls
        ? tls.connect({ host: this.options.host, port: this.options.port, ...this.tlsOptions() })
        : net.connect({ host: this.options.host, port: this.options.port });
      this.socket = socket;
      socket.once('connect', () => {
        this.tcpConnected = true;
      });
      socket.once(implicitTls ? 'secureConnect' : 'connect', () => this.handleConnected(socket));
      this.listenTo(socket);
    });
  }

  /** EHLO; on 500/502 (a server that only knows RFC 821) falls back to HELO. Parses the capabilities. */
  async ehlo(name: string): Promise<SmtpReply> {
    assertSingleLine(name, 'the EHLO name');
    const reply = await this.command(`EHLO ${name}`);
    if (reply.code === 250) {
      this.capabilitiesValue = parseEhloReply(reply);
      return reply;
    }
    if (reply.code !== 500 && reply.code !== 502) {
      return reply;
    }
    this.note(`EHLO not understood (${reply.code}); trying HELO`);
    const heloReply = await this.command(`HELO ${name}`);
    if (heloReply.code === 250) {
      this.capabilitiesValue = capabilitiesOfHeloReply(heloReply);
    }
    return heloReply;
  }

  command(line: string, options: { timeoutMs?: number } = {}): Promise<SmtpReply> {
    try {
      assertSingleLine(line);
      this.assertReady('send a command');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.send({ wire: line, shown: line }, options.timeoutMs ?? this.timeouts.replyMs);
  }

  /** Sends the commands in one write when PIPELINING (RFC 2920) is advertised, else one after another. */
  async pipeline(lines: string[]): Promise<SmtpReply[]> {
    for (const line of lines) {
      assertSingleLine(line);
    }
    this.assertReady('send commands');
    if (!this.capabilitiesValue?.pipelining) {
      const replies: SmtpReply[] = [];
      for (const line of lines) {
        replies.push(await this.command(line));
      }
      return replies;
    }
    const replies = lines.map((line) => this.recordSentLine({ wire: line, shown: line }, this.timeouts.replyMs));
    this.write(lines.map((line) => `${line}\r\n`).join(''));
    return Promise.all(replies);
  }

  /** STARTTLS (RFC 3207). On 220 the socket is upgraded in place; other replies are returned as they are. */
  async starttls(): Promise<SmtpReply> {
    this.assertReady('start TLS');
    if (this.tlsActiveValue) {
      throw new InvalidStateError('cannot start TLS: TLS is already active');
    }
    const reply = await this.send({ wire: 'STARTTLS', shown: 'STARTTLS', showAsIs: true }, this.timeouts.replyMs, {
      onArrival: (arrived) => {
        if (arrived.code === 220) {
          this.parser.halt();
        }
      },
    });
    if (reply.code !== 220) {
      return reply;
    }
    const injected = this.parser.takeLeftoverAndResume();
    if (injected.received > 0) {
      this.record('received', escapeWireBytes(injected.bytes), 'none');
      const dropped = injected.received - injected.bytes.length;
      this.record(
        'error',
        `protocol: the server sent ${injected.received} bytes after its 220 to STARTTLS, before the TLS handshake; ` +
          'they were ignored, since nothing outside TLS may answer a command sent inside it (a broken server, or injection)' +
          (dropped > 0 ? `; the transcript keeps the first ${injected.bytes.length}, the other ${dropped} were dropped` : ''),
      );
    }
    await this.upgradeToTls();
    // RFC 3207 §4.2: everything learnt before TLS is forgotten; the caller sends EHLO again.
    this.capabilitiesValue = undefined;
    return reply;
  }

  /**
   * AUTH PLAIN or LOGIN. The secret, in any encoding, never reaches the transcript; the LOGIN user name
   * does. (An AUTH exchange sent with command() or pipeline() is redacted too, user name included.)
   */
  async authenticate(mechanism: AuthMechanism, username: string, secret: string): Promise<SmtpReply> {
    this.assertReady('authenticate');
    if (mechanism === 'PLAIN') {
      return this.send(plainInitialResponse(username, secret), this.timeouts.replyMs);
    }
    const challenge = await this.command('AUTH LOGIN');
    if (challenge.code !== 334) {
      return challenge;
    }
    const passwordChallenge = await this.send(loginUsernameLine(username), this.timeouts.replyMs);
    if (passwordChallenge.code !== 334) {
      return passwordChallenge;
    }
    return this.send(loginPasswordLine(secret), this.timeouts.replyMs);
  }

  /** After a 354: the message, CRLF-normalised and dot-stuffed, then "." and the reply to it. */
  sendMessageBody(message: string): Promise<SmtpReply> {
    try {
      this.assertReady('send a message');
    } catch (error) {
      return Promise.reject(error);
    }
    const encoded = encodeMessageBody(message);
    for (const line of encoded.split('\r\n').slice(0, -1)) {
      this.record('sent', escapeWireBytes(Buffer.from(line, 'utf8')));
    }
    const reply = this.awaitReply('the reply to the end of the message (".")', this.timeouts.dataEndMs);
    this.write(encoded);
    return reply;
  }

  async data(message: string): Promise<SmtpReply> {
    const reply = await this.command('DATA');
    if (reply.code !== 354) {
      return reply;
    }
    return this.sendMessageBody(message);
  }

  /** QUIT, a short wait for the 221, then close. Never rejects. */
  async quit(): Promise<void> {
    if (this.stateValue === 'ready' && !this.pendingHandshake) {
      // Shown as QUIT even when it answers an AUTH challenge left open: the engine's own words hold no secret.
      const line = { wire: 'QUIT', shown: 'QUIT', showAsIs: true };
      const waitMs = Math.min(this.timeouts.replyMs, quitWaitMs);
      await this.send(line, waitMs, { onTimeout: () => this.close() }).catch(() => undefined);
    }
    this.close();
  }

  /** Destroys the socket and clears every timer. Whatever is pending rejects. Safe to call twice. */
  close(): void {
    if (this.stateValue === 'closed') {
      return;
    }
    this.flushReceived();
    if (this.stateValue !== 'new') {
      this.record('info', 'connection closed');
    }
    this.finish(undefined, new ConnectionClosedError(`session with ${this.target} closed while waiting for ${this.describeWaiting()}`));
  }

  note(text: string): void {
    this.record('info', text);
  }

  private tlsOptions(): tls.ConnectionOptions {
    const servername = this.options.servername ?? (net.isIP(this.options.host) === 0 ? this.options.host : undefined);
    return {
      host: this.options.host,
      rejectUnauthorized: this.options.rejectUnauthorized ?? true,
      ...(servername !== undefined ? { servername } : {}),
    };
  }

  private listenTo(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onSocketClose);
  }

  private readonly onData = (chunk: Buffer) => this.parser.feed(chunk);
  private readonly onSocketError = (error: Error) => {
    this.socketError ??= error;
  };
  private readonly onSocketClose = () => this.handleSocketClose();

  private handleConnected(socket: net.Socket): void {
    const pending = this.pendingConnect;
    if (!pending || this.stateValue !== 'connecting') {
      return;
    }
    clearTimeout(pending.timer);
    this.pendingConnect = undefined;
    this.remoteAddressValue = socket.remoteAddress;
    this.localAddressValue = socket.localAddress;
    this.localPortValue = socket.localPort;
    const where = describeTarget({ host: socket.remoteAddress ?? this.options.host, port: socket.remotePort ?? this.options.port });
    this.record('info', socket.remoteAddress === this.options.host ? `connected to ${where}` : `connected to ${this.target} (${where})`);
    if (socket instanceof tls.TLSSocket) {
      this.tlsEstablished(socket);
    }
    const greeting = this.awaitReply('the greeting', this.timeouts.greetingMs);
    greeting.then(
      (reply) => {
        this.greetingValue = reply;
        if (this.stateValue === 'connecting') {
          this.stateValue = 'ready';
        }
        pending.resolve(reply);
      },
      (error: SmtpError) => pending.reject(error),
    );
  }

  private tlsEstablished(socket: tls.TLSSocket): void {
    this.tlsActiveValue = true;
    const cipher = socket.getCipher();
    const checking = this.options.rejectUnauthorized === false ? '; certificate not checked' : '';
    this.record('info', `TLS established (${socket.getProtocol() ?? 'unknown protocol'}, ${cipher.name}${checking})`);
  }

  private upgradeToTls(): Promise<void> {
    const plain = this.socket;
    if (!plain) {
      return Promise.reject(new InvalidStateError('cannot start TLS: no connection'));
    }
    plain.off('data', this.onData);
    plain.off('close', this.onSocketClose);
    this.plainSocket = plain;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new TimeoutError(`TLS handshake with ${this.target} did not finish within ${describeDuration(this.timeouts.replyMs)}`)),
        this.timeouts.replyMs,
      );
      this.pendingHandshake = { reject, timer };
      const secure = tls.connect({ socket: plain, ...this.tlsOptions() });
      this.socket = secure;
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        this.pendingHandshake = undefined;
        this.tlsEstablished(secure);
        resolve();
      });
      secure.once('error', (error) => {
        if (this.pendingHandshake) {
          this.fail(tlsFailure(this.target, error));
        }
      });
      this.listenTo(secure);
    });
  }

  private assertReady(action: string): void {
    if (this.stateValue !== 'ready') {
      throw new InvalidStateError(`cannot ${action}: the session is ${this.stateValue}`);
    }
    if (this.pendingHandshake) {
      throw new InvalidStateError(`cannot ${action}: the TLS handshake is still running`);
    }
  }

  private send(line: AuthenticationLine, timeoutMs: number, hooks: ReplyHooks = {}): Promise<SmtpReply> {
    const reply = this.recordSentLine(line, timeoutMs, hooks);
    this.write(`${line.wire}\r\n`);
    return reply;
  }

  /**
   * Records a line about to be sent, with AUTH credentials redacted, and waits for its reply. The redacted
   * form is also the one named in timeout and close messages, which are recorded too.
   */
  private recordSentLine(line: AuthenticationLine, timeoutMs: number, hooks: ReplyHooks = {}): Promise<SmtpReply> {
    const { shown, answersAuthExchange } = this.authRedaction.lineToSend(line.shown, { showAsIs: line.showAsIs === true });
    this.record('sent', escapeWireBytes(Buffer.from(shown, 'utf8')));
    return this.awaitReply(`the reply to "${shown}"`, timeoutMs, hooks, answersAuthExchange);
  }

  private write(text: string): void {
    this.socket?.write(text, 'utf8');
  }

  private awaitReply(what: string, timeoutMs: number, hooks: ReplyHooks = {}, answersAuthExchange = false): Promise<SmtpReply> {
    // "the reply to "EHLO x"" gives "no reply to "EHLO x" from host:25 within 30 s".
    const timeoutMessage = hooks.timeoutMessage ?? `no ${what.replace(/^the /, '')} from ${this.target} within ${describeDuration(timeoutMs)}`;
    return new Promise<SmtpReply>((resolve, reject) => {
      const awaited: AwaitedReply = {
        ...hooks,
        what,
        answersAuthExchange,
        resolve,
        reject,
        timer: setTimeout(() => {
          if (awaited.onTimeout) {
            awaited.onTimeout();
          } else {
            this.fail(new TimeoutError(timeoutMessage));
          }
        }, timeoutMs),
      };
      this.awaited.push(awaited);
    });
  }

  private recordReceivedLine(line: ReceivedLine): void {
    this.record('received', line.text, line.ending === 'crlf' ? undefined : line.ending);
    for (const problem of line.problems) {
      this.record('error', `protocol: ${problem}`);
    }
  }

  private dispatchReply(reply: SmtpReply): void {
    if (reply.code === 421) {
      this.record('info', 'the server is closing the connection (421)');
    }
    const awaited = this.awaited.shift();
    if (!awaited) {
      for (const listener of this.unsolicitedListeners) {
        callSafely(() => listener(reply));
      }
      return;
    }
    clearTimeout(awaited.timer);
    // Before anyone hears of the reply, so that the next line sent is judged in the right state.
    this.authRedaction.replyArrived(reply.code, awaited.answersAuthExchange === true);
    awaited.onArrival?.(reply);
    awaited.resolve(reply);
  }

  private handleSocketClose(): void {
    if (this.stateValue === 'closed') {
      return;
    }
    const end = this.parser.finish();
    const cause = this.socketError;
    const error = this.closeError(end.replyCutOff, end.linesOfCutReply, cause);
    if (error) {
      this.record('error', error.message);
    } else {
      this.record('info', 'connection closed by server');
    }
    this.finish(error, error ?? new ConnectionClosedError(`connection closed by ${this.target}`));
  }

  /** Why the close is a failure, or undefined when nothing was pending (a close after QUIT or 421). */
  private closeError(replyCutOff: boolean, linesOfCutReply: number, cause: Error | undefined): SmtpError | undefined {
    const how = cause ? `${describeSocketError(cause)} by ${this.target}` : `connection closed by ${this.target}`;
    if (this.pendingConnect) {
      if (this.tcpConnected && this.options.tls === 'implicit') {
        return cause ? tlsFailure(this.target, cause) : new TlsError(`TLS handshake with ${this.target} failed: the server closed the connection`);
      }
      return new ConnectError(`could not connect to ${this.target}: ${cause ? describeSocketError(cause) : 'connection closed'}`, { cause });
    }
    if (this.pendingHandshake) {
      return cause ? tlsFailure(this.target, cause) : new TlsError(`TLS handshake with ${this.target} failed: the server closed the connection`);
    }
    const awaited = this.awaited[0];
    if (replyCutOff) {
      const during = awaited ? `in the middle of ${awaited.what}` : 'in the middle of a reply';
      const lines = linesOfCutReply === 1 ? '1 line' : `${linesOfCutReply} lines`;
      return new ConnectionClosedError(`${how} ${during}: the reply was cut off after ${lines}`, { cause });
    }
    if (awaited) {
      const before = awaited.what === 'the greeting' ? 'before sending a greeting' : `while waiting for ${awaited.what}`;
      return new ConnectionClosedError(`${how} ${before}`, { cause });
    }
    return undefined;
  }

  private cancel(): void {
    if (this.stateValue === 'closed') {
      return;
    }
    const error = new CancelledError(`cancelled while ${this.describeActivity()}`);
    this.flushReceived();
    this.record('info', error.message);
    this.finish(error, error);
  }

  /** A failure of ours (timeout, TLS, cancel): recorded, everything pending rejects, the socket goes. */
  private fail(error: SmtpError): void {
    if (this.stateValue === 'closed') {
      return;
    }
    this.flushReceived();
    this.record('error', error.message);
    this.finish(error, error);
  }

  /**
   * Records the bytes of a line still arriving (a greeting dripped one byte a second, a `250-second`
   * held open) before a timeout, a cancel or our own close ends the session: without it they would be
   * lost, and the transcript would not hold every byte the server sent. The socket's close does the same.
   */
  private flushReceived(): void {
    this.parser.finish();
  }

  /** A reply passed the parser's cap: the session ends with a protocol error that says what was kept. */
  private handleOverflow(overflow: ParserOverflow): void {
    const what = this.awaited[0]?.what ?? (this.pendingConnect ? 'the greeting' : 'a reply nobody waited for');
    const limit = overflow.cap === 'reply' ? `${overflow.capBytes} bytes for one reply` : `${overflow.capBytes} bytes of replies in one session`;
    this.fail(
      new ProtocolError(
        `protocol: ${what} from ${this.target} passed ${limit} without ending; ` +
          `the transcript keeps the first ${overflow.keptBytes} bytes of it and ${overflow.droppedBytes} more bytes received were dropped; ` +
          'the connection was closed',
      ),
    );
  }

  /** The one way to the closed state: clear every timer, reject what is pending, destroy the sockets. */
  private finish(reportedError: SmtpError | undefined, rejection: SmtpError): void {
    this.stateValue = 'closed';
    this.options.signal?.removeEventListener('abort', this.onAbort);
    const pendingConnect = this.pendingConnect;
    const pendingHandshake = this.pendingHandshake;
    this.pendingConnect = undefined;
    this.pendingHandshake = undefined;
    if (pendingConnect) {
      clearTimeout(pendingConnect.timer);
      pendingConnect.reject(rejection);
    }
    if (pendingHandshake) {
      clearTimeout(pendingHandshake.timer);
      pendingHandshake.reject(rejection);
    }
    for (const awaited of this.awaited.splice(0)) {
      clearTimeout(awaited.timer);
      awaited.reject(rejection);
    }
    for (const socket of [this.socket, this.plainSocket]) {
      if (socket) {
        socket.off('data', this.onData);
        socket.off('close', this.onSocketClose);
        // Errors after we gave up on the socket (a late RST) have nobody to tell; keep them from crashing.
        socket.on('error', () => undefined);
        socket.destroy();
      }
    }
    for (const listener of this.closeListeners) {
      callSafely(() => listener(reportedError));
    }
  }

  private describeWaiting(): string {
    return this.awaited[0]?.what ?? (this.pendingConnect ? 'the connection' : 'nothing');
  }

  private describeActivity(): string {
    if (this.pendingConnect) {
      return `connecting to ${this.target}`;
    }
    if (this.pendingHandshake) {
      return `negotiating TLS with ${this.target}`;
    }
    const awaited = this.awaited[0];
    return awaited ? `waiting for ${awaited.what} from ${this.target}` : `connected to ${this.target}`;
  }

  /**
   * Sent and received texts arrive escaped; info and error remarks are escaped here, since they may quote
   * what a library or a server said (a TLS error with a line break in it): every event text is escaped
   * text, one line, whatever it quotes.
   */
  private record(kind: TranscriptEventKind, rawOrEscaped: string, ending?: 'lf' | 'none'): void {
    const text = kind === 'info' || kind === 'error' ? escapeRemark(rawOrEscaped) : rawOrEscaped;
    const event: TranscriptEvent = { kind, at: Date.now(), tls: this.tlsActiveValue, text };
    if (ending) {
      event.ending = ending;
    }
    this.events.push(event);
    for (const listener of this.eventListeners) {
      callSafely(() => listener(event));
    }
  }
}

/**
 * A remark with its control characters (CR and LF above all) written as `\xNN`, as in escaped text; its
 * backslashes stay as they are, since remarks are read as they are written ("shown as \xNN").
 */
function escapeRemark(text: string): string {
  return /[\x00-\x1f\x7f-\x9f]/.test(text) ? text.replace(/[\x00-\x1f\x7f-\x9f]/g, (control) => `\\x${control.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`) : text;
}

/** A listener that throws must not break the session that called it. */
function callSafely(call: () => void): void {
  try {
    call();
  } catch {
    // The listener's own problem; the protocol state stays consistent.
  }
}
