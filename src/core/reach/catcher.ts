import type net from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

/**
 * The receive-only SMTP server of `--catcher HOST:PORT` (issue 10 §1): it accepts any sender and any
 * recipient, keeps each message in memory (bounded) for the delivery confirmation to look for test
 * tokens, and relays nothing. Point a test domain's MX at it (or, in the lab, a Postfix's
 * default_transport), and a relayed copy or an NDR for the test's sender lands here.
 */

export interface CaughtMessage {
  /** Milliseconds since the epoch, when the final "." arrived. */
  receivedAt: number;
  /** The envelope sender; '' for the null sender of an NDR. */
  mailFrom: string;
  rcptTo: string[];
  /** The client that delivered it. */
  remoteAddress: string;
  /** The message as received (latin1 so every byte survives), cut at maxMessageBytes. */
  content: string;
  truncated: boolean;
}

/** Where confirmations look for tokens: the SMTP catcher, or a mailbox over IMAP. */
export interface MessageSource {
  readonly method: 'catcher' | 'imap';
  /** "catcher 127.0.0.1:2526", "imap user@host/INBOX": for the report. */
  readonly description: string;
  /** Resolves with the first message (caught before or after the call) for which `matches` is true, or undefined at `timeoutMs`. */
  waitFor(matches: (message: CaughtMessage) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<CaughtMessage | undefined>;
  close(): Promise<void>;
}

export interface SmtpCatcher extends MessageSource {
  readonly method: 'catcher';
  readonly host: string;
  readonly port: number;
  readonly messages: readonly CaughtMessage[];
  /** Called for each message as it arrives (e.g. to put it in the run's transcript). */
  onMessage(listener: (message: CaughtMessage) => void): () => void;
}

export interface CatcherOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The name in its greeting; it must differ from the relaying server's own name (Postfix's loop check). */
  name?: string;
  /** Messages kept (the oldest go first). Default 1000. */
  maxMessages?: number;
  /** Bytes kept of each message. Default 1 MiB. */
  maxMessageBytes?: number;
}

export class CatcherError extends Error {
  override name = 'CatcherError';
}

export async function startCatcher(options: CatcherOptions): Promise<SmtpCatcher> {
  const maxMessages = options.maxMessages ?? 1000;
  const maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024;
  const messages: CaughtMessage[] = [];
  const listeners = new Set<(message: CaughtMessage) => void>();
  const waiters = new Set<(message: CaughtMessage) => void>();

  const server = new SMTPServer({
    name: options.name ?? 'catcher.smtp-relay-lab.example',
    banner: 'SMTP Relay Lab catcher: receive only, relays nothing',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 250,
    hideDSN: true,
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null, message?: string) => void) {
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      stream.on('data', (chunk: Buffer) => {
        if (kept < maxMessageBytes) {
          const part = chunk.subarray(0, maxMessageBytes - kept);
          chunks.push(part);
          kept += part.length;
        }
        truncated ||= kept >= maxMessageBytes && chunk.length > 0;
      });
      stream.on('end', () => {
        const mailFrom = session.envelope.mailFrom;
        const message: CaughtMessage = {
          receivedAt: Date.now(),
          mailFrom: mailFrom ? mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((recipient) => recipient.address),
          remoteAddress: session.remoteAddress,
          content: Buffer.concat(chunks).toString('latin1'),
          truncated,
        };
        messages.push(message);
        if (messages.length > maxMessages) {
          messages.shift();
        }
        for (const listener of [...listeners, ...waiters]) {
          try {
            listener(message);
          } catch {
            // a listener's own problem
          }
        }
        callback(null, 'caught by SMTP Relay Lab (not delivered further)');
      });
    },
  });
  server.on('error', () => undefined);

  const address = await new Promise<net.AddressInfo>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const where = options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
      reject(new CatcherError(`the catcher cannot listen on ${where}: ${error.code === 'EADDRINUSE' ? 'the port is already in use' : error.message}`));
    };
    server.server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.server.off('error', onError);
      resolve(server.server.address() as net.AddressInfo);
    });
  });

  let closing: Promise<void> | undefined;
  const hostText = address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    method: 'catcher',
    description: `catcher ${hostText}:${address.port}`,
    host: address.address,
    port: address.port,
    messages,
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    waitFor(matches, timeoutMs, signal) {
      const already = messages.find(matches);
      if (already || timeoutMs <= 0 || signal?.aborted) {
        return Promise.resolve(already);
      }
      return new Promise((resolve) => {
        const done = (message: CaughtMessage | undefined): void => {
          clearTimeout(timer);
          waiters.delete(onArrival);
          signal?.removeEventListener('abort', onAbort);
          resolve(message);
        };
        const onArrival = (message: CaughtMessage): void => {
          if (matches(message)) {
            done(message);
          }
        };
        const onAbort = (): void => done(undefined);
        const timer = setTimeout(() => done(undefined), timeoutMs);
        waiters.add(onArrival);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return closing;
    },
  };
}

/** "HOST:PORT" or "[v6]:PORT" of --catcher. Throws a plain Error with a usage message. */
export function parseCatcherAddress(text: string): { host: string; port: number } {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new CatcherError(`--catcher needs HOST:PORT (or [IPv6]:PORT, or imap://user@host/MAILBOX), not "${text}"`);
  }
  return { host: match[1], port };
}
