/**
 * The session terminal without VS Code: what the user types, what is sent, what is shown. It owns the
 * line editor and the SMTP session (a new one on /reconnect), and talks to the editor only through
 * `SessionConsoleHost`. sessionTerminal.ts adapts it to a Pseudoterminal; plain node tests drive it directly.
 */
import type { AuthMechanism } from '../../core/protocol/authentication';
import { authenticateWithPrompts, type AuthPrompts } from '../../core/protocol/authFlow';
import { describeError, SmtpError } from '../../core/protocol/errors';
import { classificationDomains, resolveRelayParameters } from '../../core/relay/relayParameters';
import type { ClassifyReply } from '../../core/relay/classification';
import type { RelayReport, RelayTestParameters } from '../../core/relay/relayTypes';
import type { SmtpReply } from '../../core/protocol/reply';
import { SmtpSession } from '../../core/protocol/session';
import { describeTarget, type SessionOptions } from '../../core/protocol/sessionOptions';
import { commandKindOf } from '../../core/protocol/smtpCommand';
import { parseTestStartNote } from '../../core/relay/testOutcome';
import { becomeClient } from '../../core/reach/xclient';
import type { Transcript, TranscriptEvent } from '../../core/transcript/transcriptEvent';
import { asClientProblem, type Target } from '../target';
import { memoryOnlyRecordingHost, TranscriptRecording, type RecordableSource } from '../transcripts/transcriptRecording';
import { completeCommandLine } from './commandCompletion';
import { ConversationReader, type ConversationItem } from './conversationReader';
import { LineEditor } from './lineEditor';
import { isMetaCommandLine, parseMetaCommand, type MetaCommand } from './metaCommands';
import { renderError, renderIncompleteReply, renderInfo, renderReply, renderSentLine } from './replyRendering';
import { InputQueue } from './inputQueue';
import { SessionTestRunner, type SessionRelayTests } from './sessionTestRunner';
import { renderHelp, renderStatus, renderTestList, renderTestStart } from './terminalReports';

export type ConsoleConnection =
  | { kind: 'connecting' }
  | { kind: 'connected'; tls: boolean }
  | { kind: 'closed'; reason?: string };

/** What the console needs from its surroundings: VS Code in the extension, a fake in tests. */
export interface SessionConsoleHost {
  /** Terminal output: CR LF line ends, ANSI colours. */
  write(output: string): void;
  connectionChanged(connection: ConsoleConnection): void;
  /** The user name and password /auth asks for (authPrompts.ts in the extension); never echoed, never recorded. */
  authPrompts: AuthPrompts;
  /** A session was created (at start and at each /reconnect): for whoever watches it. */
  sessionStarted?(session: SmtpSession): void;
  /**
   * The terminal's one recording, asked for once, at the first connection: every session of the terminal
   * is recorded there, the screen shows what it records, /save saves it. In VS Code it is the transcript
   * store's (so the stored file is the same record); without it the console keeps one in memory.
   */
  openRecording?(): SessionRecording;
  /** Saves the transcript; resolves with where it went (for the user), or undefined when cancelled. */
  saveTranscript(transcript: Transcript): Promise<string | undefined>;
  /**
   * A /test run added results: the report of every relay test counted in this terminal so far (see
   * sessionRelayResults.ts), for the window's last verdict.
   */
  relayReportChanged?(report: RelayReport): void;
  /** The console is done (after /quit): close the terminal with this exit code. */
  exit(code: number): void;
}

/** A recording as the console uses it: TranscriptRecording, from the transcript store or in memory. */
export interface SessionRecording {
  follow(source: RecordableSource): () => void;
  onEvent(listener: (event: TranscriptEvent) => void): () => void;
  readonly events: readonly TranscriptEvent[];
  readonly transcript: Transcript;
}

export type { SessionRelayTests } from './sessionTestRunner';

export interface SessionConsoleOptions {
  target: Target;
  /** Timeouts and TLS for each session; the console adds its own cancellation signal. */
  sessionOptions: SessionOptions;
  classify: ClassifyReply;
  relayTests: SessionRelayTests;
  addressForm: RelayTestParameters['addressForm'];
  /** Local part of the remote recipient the relay tests use. */
  remoteUser: string;
  /** For tests: a session factory; by default a real SmtpSession. */
  createSession?: (options: SessionOptions) => SmtpSession;
}

type ConsoleMode = 'connecting' | 'commands' | 'message' | 'closed';

export class SessionConsole {
  private readonly editor: LineEditor;
  private recordingValue: SessionRecording | undefined;
  private readonly queue: InputQueue;
  private readonly testRunner: SessionTestRunner;
  private readonly startedAt = Date.now();
  private session: SmtpSession | undefined;
  private abortController = new AbortController();
  private unsubscribers: Array<() => void> = [];
  private mode: ConsoleMode = 'connecting';
  private disposed = false;
  /** The next sent line was typed by the user and is already on screen. */
  private hideNextSentLine = false;
  /** The user's message body is being sent: its lines are already on screen. */
  private hideSentBody = false;
  private messageLines: string[] = [];
  /** A first Ctrl+C during message entry only warns; a second one in a row closes the connection. */
  private messageInterruptArmed = false;
  private lastEhloReply: SmtpReply | undefined;
  /**
   * The client this terminal should act as through XCLIENT: the target's asClient, then the last /xclient
   * that took. Each new connection (/reconnect) sends XCLIENT again for it.
   */
  private actingAs: string | undefined;
  /** The client XCLIENT made the server judge the current connection as; undefined before (or without) it. */
  private judgedAs: string | undefined;

  constructor(
    private readonly options: SessionConsoleOptions,
    private readonly host: SessionConsoleHost,
  ) {
    this.queue = new InputQueue({
      edit: (input) => this.edit(input),
      handleLine: (line) => this.handleLine(line),
      unexpected: (error) => this.write(renderError(`unexpected: ${describeError(error)}`)),
    });
    this.testRunner = new SessionTestRunner(options.relayTests, options.target, options.addressForm, {
      write: (output) => this.write(output),
      readySession: () => this.readySession(),
      signal: () => this.abortController.signal,
      parameters: () => this.resolvedParameters(),
      events: () => this.recording.events,
      reportFailure: (session, error) => this.reportFailure(session, error),
      relayReportChanged: (report) => this.host.relayReportChanged?.(report),
      judgedAs: () => this.judgedAs,
      clientProblem: () => this.clientProblem(),
    });
    this.actingAs = options.sessionOptions.asClient;
    this.editor = new LineEditor({
      complete: (text) =>
        this.mode === 'message'
          ? []
          : completeCommandLine(text, {
              testSelectors: [...options.relayTests.groups, ...options.relayTests.tests.map((test) => test.id)],
            }),
    });
  }

  /** Everything this terminal recorded, across reconnects. Secrets are already redacted by the engine. */
  get transcript(): Transcript {
    return this.recording.transcript;
  }

  /** The one record of this terminal: what the screen shows, what /save saves, what the store keeps. */
  private get recording(): SessionRecording {
    if (!this.recordingValue) {
      const target = this.options.target;
      this.recordingValue =
        this.host.openRecording?.() ??
        new TranscriptRecording(
          {
            id: 'session-console',
            label: `Session terminal: ${target.label}`,
            target: describeTarget(target),
            startedAt: this.startedAt,
            tool: sessionTerminalTool,
            extra: transcriptExtra(target),
          },
          memoryOnlyRecordingHost,
        );
    }
    return this.recordingValue;
  }

  /** Writes the banner and connects. */
  start(): void {
    const target = this.options.target;
    this.write(
      renderInfo(`SMTP Relay Lab: ${namedTarget(target)}, ${describeTlsMode(target.tls)}`) +
        renderInfo('Type SMTP commands as in telnet; /help lists this terminal\'s own commands.'),
    );
    this.queue.schedule(() => this.connect());
  }

  /** Raw data from the terminal: keys, escape sequences, pasted text. */
  handleInput(data: string): void {
    if (this.disposed) {
      return;
    }
    if (this.queue.busy && data.includes('\x03')) {
      this.queue.dropTypeahead();
      this.write('^C\r\n');
      this.cancelWait();
      return;
    }
    this.queue.input(data);
  }

  /** Runs relay tests as if typed: used by the runRelayTest command and the walkthrough buttons. */
  runTests(selectors: readonly string[]): Promise<void> {
    return new Promise((resolve) => {
      this.queue.schedule(async () => {
        try {
          await this.runMetaCommand({ name: 'test', selectors: [...selectors] });
        } finally {
          resolve();
        }
      });
    });
  }

  /**
   * Resolves once every typed line, pasted line and queued test has been handled. Tests wait on it instead
   * of on time.
   */
  whenIdle(): Promise<void> {
    return this.queue.whenIdle();
  }

  /** The terminal was closed: the socket goes with it. */
  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    // close() before abort(): the transcript ends with "connection closed", not with a cancellation.
    this.session?.close();
    this.abortController.abort();
    this.stopFollowing();
    this.queue.dispose();
  }

  // ---- input: the queue (inputQueue.ts) hands raw input to the editor when the console is free ----

  private edit(input: string): { rest: string; submitted?: string } {
    const step = this.editor.handleInput(input);
    this.host.write(step.echo);
    if (step.interrupted) {
      this.interruptWhileIdle();
    }
    if (step.submitted !== undefined) {
      this.messageInterruptArmed = false;
    }
    return step;
  }

  // ---- output ----

  /** Output that may arrive while the user is typing: the typed line is lifted, then put back below. */
  private write(output: string): void {
    if (output === '') {
      return;
    }
    if (!this.queue.busy && this.editor.line !== '') {
      this.host.write(this.editor.erase() + output + this.editor.redraw());
    } else {
      this.host.write(output);
    }
  }

  private show(items: readonly ConversationItem[]): void {
    for (const item of items) {
      switch (item.kind) {
        case 'sent':
          if (this.hideSentBody) {
            break;
          }
          if (this.hideNextSentLine) {
            this.hideNextSentLine = false;
            break;
          }
          this.write(renderSentLine(item.text));
          break;
        case 'reply': {
          const kind = commandKindOf(item.context.command);
          if ((kind === 'ehlo' || kind === 'helo') && item.reply.code === 250) {
            this.lastEhloReply = item.reply;
          }
          this.write(renderReply(item.lines, item.reply.code, item.classification, { neutral: item.neutral, unsolicited: item.unsolicited }));
          break;
        }
        case 'cut-off':
          this.write(renderIncompleteReply(item.lines));
          break;
        case 'info': {
          // A relay test's start, recorded by the runner: the same line the saved transcript holds, in bold.
          const testStarted = parseTestStartNote(item.text);
          this.write(testStarted ? renderTestStart(testStarted) : renderInfo(item.text));
          break;
        }
        case 'error':
          this.write(renderError(item.text));
          break;
      }
    }
  }

  // ---- connection ----

  /**
   * The relay-test parameters with what the server told us filled in, resolved exactly as the runner does,
   * so a reply the user typed is tagged the way the same reply in /test is judged.
   */
  private resolvedParameters(): RelayTestParameters {
    const target = this.options.target;
    const session = this.session;
    return resolveRelayParameters(
      {
        localDomains: [...target.localDomains],
        localUser: target.localUser,
        remoteDomain: target.remoteDomain,
        remoteUser: this.options.remoteUser,
        serverAddress: '', // the address actually connected to, not a host name: IP-literal tests need an IP
        heloName: target.heloName,
        addressForm: this.options.addressForm,
      },
      {
        ...(session?.greeting ? { greeting: session.greeting } : {}),
        ...(this.lastEhloReply ? { ehloReply: this.lastEhloReply } : {}),
        ...(session?.remoteAddress ? { remoteAddress: session.remoteAddress } : {}),
      },
    );
  }

  /** The local domains plus the server's own name and address: mail to those is not relayed. */
  private localDomains(): string[] {
    return classificationDomains(this.resolvedParameters());
  }

  private async connect(): Promise<void> {
    this.stopFollowing();
    this.abortController = new AbortController();
    this.lastEhloReply = undefined;
    this.judgedAs = undefined;
    const problem = this.actingAs === undefined ? undefined : asClientProblem({ asClient: this.actingAs, label: this.options.target.label });
    if (problem !== undefined) {
      // Connecting as this machine instead would show the trust the target's asClient is there to avoid.
      this.session = undefined;
      this.mode = 'closed';
      this.write(renderError(problem));
      this.host.connectionChanged({ kind: 'closed', reason: 'asClient is not an IP address' });
      return;
    }
    const options: SessionOptions = { ...this.options.sessionOptions, signal: this.abortController.signal };
    const session = (this.options.createSession ?? ((sessionOptions) => new SmtpSession(sessionOptions)))(options);
    const reader = new ConversationReader({ classify: this.options.classify, localDomains: () => this.localDomains() });
    this.session = session;
    this.host.sessionStarted?.(session);
    this.mode = 'connecting';
    this.host.connectionChanged({ kind: 'connecting' });
    const recording = this.recording;
    // The screen is drawn from the recording, not from the session: what is shown has been recorded.
    this.unsubscribers = [
      recording.onEvent((event) => this.show(reader.read(event))),
      recording.follow(session),
      session.onClose((error) => this.connectionClosed(session, reader, error)),
    ];
    try {
      const greeting = await session.connect();
      this.mode = 'commands';
      this.host.connectionChanged({ kind: 'connected', tls: session.tlsActive });
      if (this.actingAs !== undefined && greeting.code >= 200 && greeting.code < 300) {
        this.write(renderInfo(`This terminal acts as client ${this.actingAs}: EHLO, then XCLIENT ADDR=${this.actingAs}.`));
        if (!(await this.becomeClient(session, this.actingAs)) && session.state === 'ready') {
          this.write(renderInfo(`This session goes on as this machine's own address, so /test refuses to run until XCLIENT takes: /xclient ${this.actingAs} tries again.`));
        }
      }
    } catch (error) {
      this.reportFailure(session, error);
    }
  }

  /**
   * XCLIENT through the same code as the CLI's --as-client (core/reach/xclient.ts): EHLO first when the
   * session has none (RSET otherwise), XCLIENT ADDR=<ip> NAME=[UNAVAILABLE], the new 220, EHLO again. A server that does not
   * offer it, or refuses it, is named with smtpd_authorized_xclient_hosts; the session stays as it was.
   */
  private async becomeClient(session: SmtpSession, address: string): Promise<boolean> {
    const heloName = this.options.target.heloName;
    try {
      if (!session.capabilities) {
        await session.ehlo(heloName);
      } else {
        // A relay test (or the user) may have left a transaction open, and XCLIENT is refused inside one (503).
        await session.command('RSET');
      }
      await becomeClient(session, address, heloName);
    } catch (error) {
      this.reportFailure(session, error);
      return false;
    }
    this.judgedAs = address;
    this.actingAs = address;
    this.write(renderInfo(`The server now judges this session as client ${address} (XCLIENT): /test runs as that client.`));
    return true;
  }

  /** /test must not run as this machine when the terminal is meant to act as another client. */
  private clientProblem(): string | undefined {
    if (this.actingAs === undefined || this.judgedAs === this.actingAs) {
      return undefined;
    }
    return (
      `this terminal should act as client ${this.actingAs}, but the server did not accept XCLIENT on this connection, ` +
      `so a test would show how it treats this machine: /xclient ${this.actingAs} tries again (the server must list this ` +
      'machine in smtpd_authorized_xclient_hosts), /reconnect starts over'
    );
  }

  private connectionClosed(session: SmtpSession, reader: ConversationReader, error: SmtpError | undefined): void {
    if (session !== this.session) {
      return;
    }
    this.show(reader.finish());
    this.leaveMessageMode();
    this.mode = 'closed';
    this.host.connectionChanged(error ? { kind: 'closed', reason: error.message } : { kind: 'closed' });
    if (!this.disposed) {
      this.write(renderInfo('Not connected. /reconnect connects again, /save keeps the transcript, /quit closes this terminal.'));
    }
  }

  private stopFollowing(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) {
      unsubscribe();
    }
  }

  /** Ctrl+C during a wait: SMTP cannot take back a command in flight, so the connection is closed. */
  private cancelWait(): void {
    if (this.session && this.session.state !== 'closed') {
      this.abortController.abort();
    }
  }

  private interruptWhileIdle(): void {
    if (this.mode !== 'message') {
      return;
    }
    if (this.messageInterruptArmed) {
      this.write(renderInfo('Closing the connection so that the message is not delivered.'));
      this.abortController.abort();
      return;
    }
    this.messageInterruptArmed = true;
    this.messageLines = [];
    this.write(
      renderInfo(
        'The lines typed so far are discarded, but the server still waits for the message: end it with a line ' +
          'holding only ".", or press Ctrl+C again to close the connection without sending it.',
      ),
    );
  }

  /** Failures the session already recorded (and so already showed) are not repeated. */
  private reportFailure(session: SmtpSession | undefined, error: unknown): void {
    const alreadyShown = error instanceof SmtpError && session?.state === 'closed' && session.transcript.some((event) => event.text === error.message);
    if (!alreadyShown) {
      this.write(renderError(describeError(error)));
    }
  }

  // ---- lines ----

  private async handleLine(line: string): Promise<void> {
    if (this.mode === 'message') {
      await this.handleMessageLine(line);
      return;
    }
    if (isMetaCommandLine(line)) {
      const parsed = parseMetaCommand(line);
      if (!parsed.ok) {
        this.write(renderError(parsed.problem));
        return;
      }
      await this.runMetaCommand(parsed.command);
      return;
    }
    if (line.trim() === '') {
      return;
    }
    const session = this.readySession();
    if (!session) {
      return;
    }
    await this.sendTyped(session, line);
  }

  private readySession(): SmtpSession | undefined {
    const session = this.session;
    if (session?.state === 'ready') {
      return session;
    }
    this.write(renderError('not connected: /reconnect connects again'));
    return undefined;
  }

  private async sendTyped(session: SmtpSession, line: string): Promise<void> {
    const kind = commandKindOf(line);
    if (kind === 'auth') {
      // The engine would redact a typed AUTH exchange in the transcript, but the terminal echoes every key:
      // the blob, or each base64 answer to a 334, would stay on screen and in the scrollback, and making it
      // took a shell or a web page that keeps it too. /auth asks in a masked box, so the secret is never typed here.
      this.write(renderError('type /auth plain or /auth login instead: the password is then asked for masked and never recorded'));
      return;
    }
    this.hideNextSentLine = true;
    try {
      const ehloName = /^EHLO\s+(\S+)\s*$/i.exec(line)?.[1];
      if (kind === 'quit') {
        await session.quit();
        return;
      }
      // The engine's own calls, so that capabilities are learnt and STARTTLS really upgrades the socket.
      const reply =
        kind === 'starttls' ? await session.starttls() : ehloName !== undefined ? await session.ehlo(ehloName) : await session.command(line);
      if (kind === 'starttls' && reply.code === 220) {
        this.host.connectionChanged({ kind: 'connected', tls: session.tlsActive });
        this.write(renderInfo('Inside TLS now: the server forgot the EHLO (RFC 3207), so send EHLO again.'));
      }
      if (kind === 'data' && reply.code === 354) {
        this.enterMessageMode();
      }
      if (
        ehloName !== undefined &&
        reply.code === 250 &&
        this.options.target.tls === 'starttls' &&
        !session.tlsActive &&
        session.capabilities &&
        !session.capabilities.starttls
      ) {
        // STARTTLS is offered for this target, not demanded: say it will not happen, and carry on.
        this.write(renderInfo('The server did not advertise STARTTLS: this session continues in clear text.'));
      }
    } catch (error) {
      this.reportFailure(session, error);
    } finally {
      this.hideNextSentLine = false;
    }
  }

  // ---- message entry (after 354) ----

  private enterMessageMode(): void {
    this.mode = 'message';
    this.messageLines = [];
    this.editor.historyEnabled = false;
    this.write(renderInfo('Type the message (headers, an empty line, the body); end it with a line holding only ".".'));
  }

  private leaveMessageMode(): void {
    this.messageLines = [];
    this.messageInterruptArmed = false;
    this.editor.historyEnabled = true;
  }

  private async handleMessageLine(line: string): Promise<void> {
    if (line !== '.') {
      this.messageLines.push(line);
      return;
    }
    const session = this.session;
    // Each line with its CR LF, so that an empty last line the user typed is kept.
    const message = this.messageLines.map((messageLine) => `${messageLine}\r\n`).join('');
    this.leaveMessageMode();
    this.mode = 'commands';
    if (session?.state !== 'ready') {
      return;
    }
    this.hideSentBody = true;
    try {
      await session.sendMessageBody(message);
    } catch (error) {
      this.reportFailure(session, error);
    } finally {
      this.hideSentBody = false;
    }
  }

  // ---- meta-commands ----

  private async runMetaCommand(command: MetaCommand): Promise<void> {
    switch (command.name) {
      case 'help':
        this.write(renderHelp());
        return;
      case 'tests':
        this.write(renderTestList(this.options.relayTests.tests, this.options.relayTests.groups));
        return;
      case 'test':
        await this.testRunner.run(command.selectors);
        return;
      case 'starttls':
        await this.startTls();
        return;
      case 'auth':
        await this.authenticate(command.mechanism, command.username);
        return;
      case 'rset': {
        const session = this.readySession();
        if (session) {
          await session.command('RSET').catch((error: unknown) => this.reportFailure(session, error));
        }
        return;
      }
      case 'xclient': {
        const session = this.readySession();
        if (session) {
          await this.xclient(session, command.address);
        }
        return;
      }
      case 'status':
        this.write(this.status());
        return;
      case 'save':
        await this.save();
        return;
      case 'reconnect':
        if (this.session && this.session.state !== 'closed') {
          await this.session.quit();
        }
        this.write(renderInfo(`Connecting again to ${describeTarget(this.options.target)}`));
        await this.connect();
        return;
      case 'quit':
        if (this.session && this.session.state !== 'closed') {
          await this.session.quit();
        }
        this.host.exit(0);
        return;
    }
  }

  /** /xclient ADDR. A failure leaves the session as it was, and the terminal's wish unchanged. */
  private async xclient(session: SmtpSession, address: string): Promise<void> {
    if (await this.becomeClient(session, address)) {
      return;
    }
    if (session.state === 'ready') {
      this.write(renderInfo(`This session goes on as ${this.judgedAs === undefined ? "this machine's own address" : `client ${this.judgedAs}`}.`));
    }
  }

  private status(): string {
    const session = this.session;
    const capabilities = session?.capabilities;
    return renderStatus({
      target: namedTarget(this.options.target),
      state: session?.state === 'ready' ? 'connected' : (session?.state ?? 'not connected'),
      tls: session?.tlsActive ?? false,
      localDomains: this.resolvedParameters().localDomains,
      localDomainsInferred: this.options.target.localDomains.length === 0,
      ...(session?.remoteAddress && session.remoteAddress !== this.options.target.host ? { remoteAddress: session.remoteAddress } : {}),
      ...(capabilities ? { capabilities } : {}),
      ...(this.judgedAs === undefined ? {} : { actingAs: this.judgedAs }),
      ...(this.actingAs !== undefined && this.judgedAs !== this.actingAs ? { wantedActingAs: this.actingAs } : {}),
    });
  }

  private async startTls(): Promise<void> {
    const session = this.readySession();
    if (!session) {
      return;
    }
    if (session.tlsActive) {
      this.write(renderError('TLS is already active'));
      return;
    }
    if (session.capabilities && !session.capabilities.starttls) {
      this.write(renderInfo('The server did not advertise STARTTLS; trying anyway.'));
    }
    try {
      const reply = await session.starttls();
      if (reply.code !== 220) {
        return;
      }
      this.host.connectionChanged({ kind: 'connected', tls: session.tlsActive });
      // RFC 3207 §4.2: the client must send EHLO again; the capabilities may differ inside TLS.
      await session.ehlo(this.options.target.heloName);
    } catch (error) {
      this.reportFailure(session, error);
    }
  }

  /** /auth: the steps of core/authFlow.ts, with its notices and outcome shown here. */
  private async authenticate(mechanism: AuthMechanism, typedUsername: string | undefined): Promise<void> {
    const session = this.readySession();
    if (!session) {
      return;
    }
    const username = typedUsername ?? this.options.target.username;
    try {
      const result = await authenticateWithPrompts(session, {
        mechanism,
        ...(username === undefined ? {} : { username }),
        prompts: this.host.authPrompts,
        notice: (text) => this.write(renderInfo(asSentence(text))),
        startTlsHint: '/starttls',
      });
      if (result.kind === 'cancelled') {
        this.write(renderInfo(`AUTH cancelled: no ${result.missing}.`));
      } else if (result.kind === 'closed') {
        this.write(renderError('the connection closed while the password was asked for'));
      }
    } catch (error) {
      this.reportFailure(session, error);
    }
  }

  private async save(): Promise<void> {
    try {
      const where = await this.host.saveTranscript(this.transcript);
      this.write(where === undefined ? renderInfo('Transcript not saved.') : renderInfo(`Transcript saved: ${where}`));
    } catch (error) {
      this.write(renderError(`could not save the transcript: ${describeError(error)}`));
    }
  }
}

/** The `tool` line of the terminal's transcripts. */
export const sessionTerminalTool = 'SMTP Relay Lab session terminal';

/** The header facts of a terminal's transcript beyond its target: the TLS mode and the practice persona. */
export function transcriptExtra(target: Pick<Target, 'tls' | 'practicePersona'>): Record<string, string> {
  return target.practicePersona ? { tls: target.tls, persona: target.practicePersona } : { tls: target.tls };
}

/** "Lab Exchange (127.0.0.1:2525)", or just "127.0.0.1:2525" when that is the label. */
export function namedTarget(target: Pick<Target, 'label' | 'host' | 'port'>): string {
  const where = describeTarget(target);
  return target.label === where ? where : `${target.label} (${where})`;
}

/** "no TLS: ..." as a line of its own: "No TLS: ....". */
function asSentence(clause: string): string {
  return `${clause.charAt(0).toUpperCase()}${clause.slice(1)}.`;
}

function describeTlsMode(mode: Target['tls']): string {
  switch (mode) {
    case 'implicit':
      return 'implicit TLS';
    case 'starttls':
      return 'STARTTLS offered, not started: /starttls';
    case 'none':
      return 'no TLS';
  }
}
