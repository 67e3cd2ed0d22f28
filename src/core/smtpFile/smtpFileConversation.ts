/**
 * One .smtp file's conversation with its server: the connection is opened by the first block sent and
 * reused by the next ones, and reopened when the server (or a QUIT) closed it. Every event of every
 * connection lands in one transcript, with a line naming each block before what it sends.
 * No `vscode` here: plain node tests drive it against the practice server.
 */
import { authenticateWithPrompts, type AuthPrompts } from '../protocol/authFlow';
import { CancelledError, InvalidStateError, SmtpError } from '../protocol/errors';
import type { SmtpReply } from '../protocol/reply';
import { SmtpSession } from '../protocol/session';
import type { SessionOptions, SessionTimeouts } from '../protocol/sessionOptions';
import { commandKindOf } from '../protocol/smtpCommand';
import type { TranscriptEvent, TranscriptEventKind } from '../transcript/transcriptEvent';
import { TranscriptRecorder } from '../transcript/transcriptRecorder';
import { escapeWireBytes, unescapeWireText } from '../protocol/wireText';
import { sessionOptionsFor, type Target } from '../relay/target';
import { builtinVariables, type ConnectionFacts } from './builtinVariables';
import { linesSentBy, problemsStoppingBlock, type SmtpAuthStep, type SmtpBlock, type SmtpDocument, type SmtpStep } from './smtpDocument';
import { dynamicVariableResolver } from './dynamicVariables';
import { SecretRedactor } from './secretRedaction';
import { VariableScope } from './variableReferences';

export interface SmtpFileConversationOptions {
  target: Target;
  /** The file, for messages: "relay.smtp". */
  fileName: string;
  timeouts?: Partial<SessionTimeouts>;
  /** How a connection is made; tests may wrap it. */
  createSession?: (options: SessionOptions) => SmtpSession;
  /** Where `AUTH PLAIN` / `AUTH LOGIN` alone get the user name and password; without it they stop the block. */
  credentials?: AuthPrompts;
  /** The folder of a saved file, where `{{$dotenv NAME}}` reads `.env`; none for an untitled file. */
  fileDirectory?: string;
  /** `{{$processEnv NAME}}`; defaults to this process's environment. */
  processEnv?: NodeJS.ProcessEnv;
}

/**
 * What one run knows beyond the file: the answers to `{{$prompt name}}` and the values of `{{$secret name}}`,
 * got by the face before anything is sent (keys "name"). Secret values are redacted from every event and
 * result from then on, in any line that holds them.
 */
export interface SmtpFileRunValues {
  prompts?: ReadonlyMap<string, string>;
  secrets?: ReadonlyMap<string, string>;
}

/** The `{{$prompt name}}` and `{{$secret name}}` the given blocks use: what the face must get before running them. */
export function askedVariablesOf(document: SmtpDocument, indices: readonly number[], lines: readonly string[]): { prompts: string[]; secrets: string[] } {
  const prompts = new Set<string>();
  const secrets = new Set<string>();
  const pattern = /\{\{\s*\$(prompt|secret)\s+([^\s{}]+)\s*\}\}/g;
  // Directives too: `# @target {{$prompt mx}}` is asked before the run, like a command's.
  const texts = [...document.values.values(), ...document.directiveLines.map((line) => lines[line] ?? '')];
  for (const index of indices) {
    const block = document.blocks[index];
    if (block) {
      texts.push(...linesSentBy(block).map((line) => lines[line] ?? ''));
    }
  }
  for (const text of texts) {
    for (const match of text.matchAll(pattern)) {
      (match[1] === 'prompt' ? prompts : secrets).add(match[2]);
    }
  }
  return { prompts: [...prompts], secrets: [...secrets] };
}

/** One reply a block received, with the line that asked for it. */
export interface BlockReply {
  /** The command as sent (after substitution); "" for the greeting of a new connection. */
  command: string;
  /** The file line of the command, or undefined for what the conversation sent on its own (greeting, EHLO). */
  line?: number;
  reply: SmtpReply;
}

export interface BlockRunResult {
  block: SmtpBlock;
  replies: BlockReply[];
  /** What stopped the block early: a timeout, a closed connection, a refused greeting. */
  error?: SmtpError;
}

/** A block that is not sent because of what is written in the file; nothing of it went on the wire. */
export class SmtpFileProblemError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'SmtpFileProblemError';
  }
}

const helloVerbs = new Set(['ehlo', 'helo']);

export class SmtpFileConversation {
  readonly target: Target;
  private readonly recorder = new TranscriptRecorder();
  private readonly listeners = new Set<(event: TranscriptEvent) => void>();
  private readonly closeListeners = new Set<() => void>();
  private session: SmtpSession | undefined;
  private facts: ConnectionFacts = {};
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Secret values: they never leave this object unredacted. */
  private readonly secrets = new SecretRedactor();
  private runValues: SmtpFileRunValues = {};

  constructor(private readonly options: SmtpFileConversationOptions) {
    this.target = options.target;
  }

  /** Every event so far, across connections. */
  get events(): readonly TranscriptEvent[] {
    return this.recorder.events;
  }

  get isConnected(): boolean {
    return this.session?.state === 'ready';
  }

  get tlsActive(): boolean {
    return this.session?.tlsActive ?? false;
  }

  /** What the current (or last) connection told us: the greeting, the EHLO reply, the address. */
  get connectionFacts(): Readonly<ConnectionFacts> {
    return this.facts;
  }

  onEvent(listener: (event: TranscriptEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Fires when a connection of this conversation closes (QUIT, the server, close()). */
  onClose(listener: () => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /**
   * Sends one block, after whatever is already running. A failure on the wire is in the result; it rejects
   * only with SmtpFileProblemError (the file's text) or InvalidStateError (the conversation was closed).
   */
  runBlock(document: SmtpDocument, index: number, values: SmtpFileRunValues = {}): Promise<BlockRunResult> {
    return this.enqueue(() => {
      this.useValues(values);
      return this.sendBlock(document, index);
    });
  }

  /**
   * Sends the blocks in order on one connection (reconnecting after a QUIT). Stops at the first block that
   * could not finish; a problem in any block's text stops the run before anything is sent. `afterBlock` is
   * called as each block finishes, before the next one is sent: what it records (the `# @expect` marks,
   * markVerdicts) follows that block in the transcript, while the run goes on (fileRun.ts runAndJudge).
   */
  runBlocks(
    document: SmtpDocument,
    indices: readonly number[] = document.blocks.map((block) => block.index),
    values: SmtpFileRunValues = {},
    afterBlock?: (result: BlockRunResult) => void,
  ): Promise<BlockRunResult[]> {
    return this.enqueue(async () => {
      this.useValues(values);
      for (const index of indices) {
        this.assertSendable(document, index);
      }
      const results: BlockRunResult[] = [];
      for (const index of indices) {
        const result = await this.sendBlock(document, index);
        results.push(result);
        afterBlock?.(result);
        if (result.error) {
          break;
        }
      }
      return results;
    });
  }

  /**
   * Marks in the transcript what each `# @expect` came to ("@expect on line 12 held: ..." or an error line
   * "... FAILED: expected ..., got ..."), after the block that was judged (runAndJudge calls it per block).
   */
  markVerdicts(verdicts: readonly { line: number; passed: boolean; message: string }[]): void {
    for (const verdict of verdicts) {
      // ASCII words, not ✓/✗: a transcript escapes every byte outside ASCII.
      this.remark(verdict.passed ? 'info' : 'error', `@expect on line ${verdict.line + 1} ${verdict.passed ? 'held' : 'FAILED'}: ${verdict.message}`);
    }
  }

  /** Closes the connection for good; a block waiting for a reply stops with the reason. */
  close(reason?: string): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    if (reason && this.session && this.session.state !== 'closed') {
      this.session.note(reason);
    }
    this.session?.close();
  }

  /**
   * Values to redact from every event and result from now on, before a run uses them: a face calls this
   * when a secret decides where the file connects (`# @target {{$secret mx}}`), before it names the target.
   */
  addSecrets(secrets: Iterable<string>): void {
    this.secrets.add(secrets);
  }

  /**
   * The text with every secret value replaced by "***": for what a face writes about this conversation
   * beyond its events (the target in a transcript header or a report).
   */
  redact(text: string): string {
    return this.secrets.redact(text);
  }

  private useValues(values: SmtpFileRunValues): void {
    this.runValues = values;
    this.addSecrets(values.secrets?.values() ?? []);
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertSendable(document: SmtpDocument, index: number): SmtpBlock {
    const block = document.blocks[index];
    if (!block) {
      throw new SmtpFileProblemError(0, `the file has no block ${index + 1} (it has ${document.blocks.length})`);
    }
    const [problem] = problemsStoppingBlock(document, block);
    if (problem) {
      throw new SmtpFileProblemError(problem.line, `line ${problem.line + 1}: ${problem.message}`);
    }
    return block;
  }

  private async sendBlock(document: SmtpDocument, index: number): Promise<BlockRunResult> {
    const block = this.assertSendable(document, index);
    if (this.closed) {
      throw new InvalidStateError(`the conversation of ${this.options.fileName} is closed`);
    }
    this.remark('info', `block ${index + 1}${block.title ? `: ${block.title}` : ''} (line ${block.startLine + 1})`);
    const replies: BlockReply[] = [];
    try {
      const session = await this.connectedSession(block, replies);
      if (!session) {
        return { block, replies };
      }
      const lines = this.substitute(document, block);
      for (const [stepIndex, step] of block.steps.entries()) {
        const previous = replies.at(-1)?.reply.code;
        if (step.kind === 'command' && step.answersAuthChallenge && previous !== 334) {
          // Sent as a command, a credential would be recorded as typed: the server did not ask for it.
          session.note(`line ${step.line + 1} not sent: it answers an AUTH challenge, and the server ${previous === undefined ? 'sent none' : `answered ${previous}, not 334`}`);
          continue;
        }
        const reply = await this.sendStep(session, step, lines[stepIndex]);
        replies.push(...reply);
        if (session.state === 'closed' && stepIndex < block.steps.length - 1) {
          this.remark('info', `the connection is closed: the rest of block ${index + 1} was not sent`);
          break;
        }
      }
      return { block, replies };
    } catch (error) {
      if (error instanceof SmtpError) {
        // Results are shown and written (reports, CodeLens): a secret target named in the error is not.
        error.message = this.redact(error.message);
        this.remark('error', `block ${index + 1} stopped: ${error.message}`);
        return { block, replies, error };
      }
      throw error;
    }
  }

  /** The open session, or a new one greeted (and EHLO'd when the block does not say hello itself). */
  private async connectedSession(block: SmtpBlock, replies: BlockReply[]): Promise<SmtpSession | undefined> {
    if (this.session?.state === 'ready') {
      return this.session;
    }
    const options = sessionOptionsFor(this.target, this.options.timeouts);
    const session = this.options.createSession ? this.options.createSession(options) : new SmtpSession(options);
    this.session = session;
    this.facts = {};
    session.onEvent((event) => this.record(event));
    session.onClose(() => [...this.closeListeners].forEach((listener) => listener()));
    const greeting = await session.connect();
    this.facts = { greeting, ...(session.remoteAddress ? { remoteAddress: session.remoteAddress } : {}) };
    replies.push({ command: '', reply: this.secrets.redactReply(greeting) });
    if (greeting.code < 200 || greeting.code >= 300) {
      this.remark('info', `the server did not greet with 2xx (${greeting.code}): the block was not sent`);
      return undefined;
    }
    const saysHello = block.steps.some((step) => helloVerbs.has(commandKindOf(step.text)));
    if (!saysHello) {
      // A block sent on a new connection (a relay test, say) would otherwise meet "503 send EHLO first".
      const name = this.target.heloName;
      session.note(`new connection: EHLO ${name} first, since block ${block.index + 1} does not say hello`);
      const ehloReply = await session.ehlo(name);
      this.facts = { ...this.facts, ehloReply };
      replies.push({ command: this.redact(`EHLO ${name}`), reply: this.secrets.redactReply(ehloReply) });
    }
    return session;
  }

  /** Every line of the block with its references replaced, before any is sent: all or nothing. */
  private substitute(document: SmtpDocument, block: SmtpBlock): string[][] {
    const scope = new VariableScope(
      document.values,
      builtinVariables(this.target, this.facts),
      dynamicVariableResolver({
        ...(this.options.processEnv ? { processEnv: this.options.processEnv } : {}),
        ...(this.options.fileDirectory ? { fileDirectory: this.options.fileDirectory } : {}),
        ...this.runValues,
      }),
    );
    const at = (line: number, text: string): string => {
      try {
        return scope.substitute(text, `line ${line + 1}`);
      } catch (error) {
        this.remark('error', `block ${block.index + 1} not sent: line ${line + 1}: ${(error as Error).message}`);
        throw new SmtpFileProblemError(line, `line ${line + 1}: ${(error as Error).message}`);
      }
    };
    return block.steps.map((step) =>
      step.kind === 'data'
        ? [at(step.line, step.text), ...step.body.map((text, offset) => at(step.bodyStartLine + offset, text))]
        : [at(step.line, step.text)],
    );
  }

  private async sendStep(session: SmtpSession, step: SmtpStep, [line, ...body]: string[]): Promise<BlockReply[]> {
    const kind = commandKindOf(line);
    const answered = (reply: SmtpReply, command = line): BlockReply => ({ command: this.redact(command), line: step.line, reply: this.secrets.redactReply(reply) });
    if (step.kind === 'data') {
      const reply = await session.command(line);
      if (reply.code !== 354) {
        session.note(`DATA answered ${reply.code}, not 354: the message was not sent`);
        return [answered(reply)];
      }
      return [answered(reply), answered(await session.sendMessageBody(body.join('\n')), '.')];
    }
    const name = /^\S+\s+(\S.*)$/.exec(line)?.[1];
    if (kind === 'ehlo' && name !== undefined) {
      const reply = await session.ehlo(name);
      this.facts = { ...this.facts, ehloReply: reply };
      return [answered(reply)];
    }
    if (kind === 'starttls' && line.toUpperCase() === 'STARTTLS') {
      return [answered(await session.starttls())];
    }
    if (kind === 'quit') {
      await session.quit();
      return [];
    }
    if (step.kind === 'auth') {
      return [answered(await this.authenticate(session, step))];
    }
    const { reply, shown } = await commandAsRecorded(session, line);
    return [answered(reply, shown)];
  }

  /** The safe AUTH form (core/authFlow.ts): the user from `# @user` or the target, the password from the face, never from the file. */
  private async authenticate(session: SmtpSession, step: SmtpAuthStep): Promise<SmtpReply> {
    const { mechanism } = step;
    const where = `AUTH ${mechanism} on line ${step.line + 1}`;
    const prompts = this.options.credentials;
    if (!prompts) {
      throw new CancelledError(`${where}: there is no way to ask for the password here`);
    }
    const result = await authenticateWithPrompts(session, {
      mechanism,
      ...(this.target.username === undefined ? {} : { username: this.target.username }),
      prompts,
      notice: (text) => session.note(text),
      startTlsHint: '# @tls starttls',
    });
    switch (result.kind) {
      case 'replied':
        return result.reply;
      case 'cancelled':
        throw new CancelledError(`${where}: no ${result.missing}${result.missing === 'user name' ? ' (give one with "# @user name")' : ''}`);
      case 'closed':
        throw new InvalidStateError(`${where}: the connection closed while the password was asked for`);
    }
  }

  private remark(kind: Extract<TranscriptEventKind, 'info' | 'error'>, text: string): void {
    if (kind === 'info' && this.session && this.session.state !== 'closed') {
      this.session.note(text);
      return;
    }
    this.record({ kind, at: Date.now(), tls: this.tlsActive, text: escapeWireBytes(Buffer.from(text, 'utf8')) });
  }

  private record(original: TranscriptEvent): void {
    const event = this.secrets.isEmpty ? original : { ...original, text: this.secrets.redact(original.text) };
    this.recorder.record(event);
    for (const listener of [...this.listeners]) {
      listener(event);
    }
  }
}

/**
 * command(), and the line as the session recorded it: with an AUTH credential redacted, so that what the
 * results and the CodeLens say of the line holds no more than the transcript.
 */
async function commandAsRecorded(session: SmtpSession, line: string): Promise<{ reply: SmtpReply; shown: string }> {
  const recordedBefore = session.transcript.length;
  const pending = session.command(line);
  // command() records the line it sends at once, before any reply can arrive.
  const recorded = session.transcript[recordedBefore];
  const reply = await pending;
  const shown = recorded?.kind === 'sent' ? Buffer.from(unescapeWireText(recorded.text)).toString('utf8') : line;
  return { reply, shown };
}
