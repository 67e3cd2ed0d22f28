// A deliberately naive SMTP client on a raw socket, for tests that check a real server's own behaviour
// without going through our engine (so an engine bug cannot make the server look right).
import * as net from 'node:net';

export interface RawReply {
  code: number;
  /** Every line of the reply, as received, without CRLF. */
  lines: string[];
  /** The last line: "250 2.1.5 Ok". */
  last: string;
}

const REPLY_TIMEOUT_MS = 15_000;

export class RawSmtpDialogue {
  private buffered = '';
  private pendingLines: string[] = [];
  private waiter: { resolve: (reply: RawReply) => void; reject: (error: Error) => void } | undefined;
  private closedError: Error | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => this.receive(chunk.toString('latin1')));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  /** Connects and returns the dialogue with the server's greeting. */
  static async open(host: string, port: number): Promise<{ dialogue: RawSmtpDialogue; greeting: RawReply }> {
    const socket = net.connect({ host, port });
    const dialogue = new RawSmtpDialogue(socket);
    const greeting = await dialogue.nextReply('the greeting');
    return { dialogue, greeting };
  }

  /** Sends one command line and waits for its whole reply. */
  send(line: string): Promise<RawReply> {
    if (/[\r\n]/.test(line)) throw new Error(`a command line may not contain CR or LF: ${JSON.stringify(line)}`);
    const reply = this.nextReply(line);
    this.socket.write(`${line}\r\n`);
    return reply;
  }

  /** After a 354: sends the message (already dot-stuffed, CRLF line ends) and the final dot. */
  sendMessage(message: string): Promise<RawReply> {
    const reply = this.nextReply('end of data');
    const body = message.endsWith('\r\n') ? message : `${message}\r\n`;
    this.socket.write(`${body}.\r\n`);
    return reply;
  }

  async quit(): Promise<void> {
    await this.send('QUIT').catch(() => undefined);
    this.socket.destroy();
  }

  close(): void {
    this.socket.destroy();
  }

  private nextReply(awaiting: string): Promise<RawReply> {
    if (this.waiter) throw new Error('one command at a time');
    return new Promise<RawReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no complete reply to ${JSON.stringify(awaiting)} within ${REPLY_TIMEOUT_MS} ms`));
      }, REPLY_TIMEOUT_MS);
      this.waiter = {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.deliverCompleteReply();
      // A reply that arrived before the connection closed (a 421, say) is still given out first.
      if (this.waiter && this.closedError) this.fail(this.closedError);
    });
  }

  private receive(text: string): void {
    this.buffered += text;
    let end: number;
    while ((end = this.buffered.indexOf('\r\n')) >= 0) {
      this.pendingLines.push(this.buffered.slice(0, end));
      this.buffered = this.buffered.slice(end + 2);
    }
    this.deliverCompleteReply();
  }

  /** A reply ends with a line whose code is followed by a space (or nothing), not by a hyphen. */
  private deliverCompleteReply(): void {
    if (!this.waiter) return;
    const lastIndex = this.pendingLines.findIndex((line) => /^\d{3}(?: |$)/.test(line));
    if (lastIndex < 0) return;
    const lines = this.pendingLines.splice(0, lastIndex + 1);
    const last = lines[lines.length - 1] ?? '';
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter.resolve({ code: Number(last.slice(0, 3)), lines, last });
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }
}
