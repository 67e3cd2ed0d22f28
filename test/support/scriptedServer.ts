/**
 * A loopback SMTP "server" whose behaviour per connection is a script, for tests of how the client copes
 * with servers that misbehave: drip-fed greetings, resets mid-reply, bare LF, NUL bytes, a STARTTLS that
 * fails, a server that never answers...
 *
 *   const server = await startScriptedServer(async (peer) => {
 *     await peer.send('220 mail.example.com ESMTP\r\n');
 *     await peer.expect(/^EHLO /);
 *     await peer.send('250-mail.example.com\r\n250 PIPELINING\r\n');
 *     await peer.converse([[/^MAIL /, '250 2.1.0 ok\r\n'], [/^RCPT /, '550 5.7.1 Unable to relay\r\n']]);
 *   });
 *   ... connect to server.host, server.port ...
 *   assert.deepEqual(server.scriptErrors, []);
 *   await server.close();
 *
 * Each connection gets its own ScriptedPeer, also listed in `server.peers`, which records every byte the
 * server sent (`sentBytes`, plain text even inside TLS) and every line it received (`received`).
 * The server listens on port 0; `port` is the one the system gave.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';

/** Where the self-signed fixture certificate (CN=localhost, SAN 127.0.0.1 and ::1) lives. */
export const fixtureTlsDirectory = path.resolve(__dirname, '../../../test/fixtures/tls');

export function fixtureTlsCredentials(): { key: Buffer; cert: Buffer } {
  return {
    key: fs.readFileSync(path.join(fixtureTlsDirectory, 'key.pem')),
    cert: fs.readFileSync(path.join(fixtureTlsDirectory, 'cert.pem')),
  };
}

export type ConnectionScript = (peer: ScriptedPeer) => Promise<void> | void;

export interface ScriptedServerOptions {
  /** '127.0.0.1' (default) or '::1'. */
  host?: string;
  /** TLS from the first byte, as on port 465, with the fixture certificate. */
  implicitTls?: boolean;
}

export interface ScriptedServer {
  readonly host: string;
  readonly port: number;
  /** One per accepted connection, in order. */
  readonly peers: ScriptedPeer[];
  /** What went wrong inside scripts (a failed expect(), a throw); a client closing is not counted. */
  readonly scriptErrors: Error[];
  /** Resolves when `count` connections have been accepted. */
  waitForPeers(count: number): Promise<ScriptedPeer[]>;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** The client closed the connection while the script was waiting for a line. */
export class PeerClosedError extends Error {
  constructor() {
    super('the client closed the connection');
    this.name = 'PeerClosedError';
  }
}

/** A reply rule for converse(): a line matching `match` gets `reply` (text, or a function that acts itself). */
export type ConverseRule = [match: RegExp, reply: string | ((line: string, peer: ScriptedPeer) => Promise<void> | void)];

/** One entry of a peer's conversation log, in the order things happened on this connection. */
export interface ConversationEntry {
  from: 'client' | 'server';
  /** A client line (without its ending), or the bytes of one server write as latin1 text. */
  data: string;
}

export class ScriptedPeer {
  /** Every line the client sent, without its line ending. */
  readonly received: string[] = [];
  /** Client lines and server writes interleaved as they happened, e.g. to prove commands were pipelined. */
  readonly log: ConversationEntry[] = [];
  private readonly receivedChunks: Buffer[] = [];
  private readonly sentChunks: Buffer[] = [];
  private socket: net.Socket;
  private pendingText = '';
  private readonly lines: string[] = [];
  private readers: Array<{ resolve(line: string): void; reject(error: Error): void }> = [];
  private chunkWaiters: Array<(chunk: Buffer) => void> = [];
  private isClosed = false;
  /** Resolves when the connection is closed, by either side. */
  readonly closed: Promise<void>;
  private markClosed!: () => void;

  constructor(socket: net.Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    this.attach(socket);
  }

  /** Everything the server sent so far on this connection (plain text, also inside TLS). */
  get sentBytes(): Buffer {
    return Buffer.concat(this.sentChunks);
  }

  /** Every byte the client sent so far (plain text, also inside TLS). */
  get receivedBytes(): Buffer {
    return Buffer.concat(this.receivedChunks);
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    if (this.isClosed) {
      return;
    }
    this.sentChunks.push(bytes);
    this.log.push({ from: 'server', data: bytes.toString('latin1') });
    await new Promise<void>((resolve) => this.socket.write(bytes, () => resolve()));
  }

  /** Sends one byte per write, pausing between them, so the client sees many tiny reads. */
  async drip(data: string | Uint8Array, pauseMs = 2): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    for (const byte of bytes) {
      if (this.isClosed) {
        return;
      }
      await this.send(Uint8Array.of(byte));
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }

  /** The next line from the client (CRLF or LF removed). Rejects with PeerClosedError if it closes first. */
  readLine(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) {
      return Promise.resolve(line);
    }
    if (this.isClosed) {
      return Promise.reject(new PeerClosedError());
    }
    return new Promise((resolve, reject) => this.readers.push({ resolve, reject }));
  }

  /** Resolves with the next chunk of bytes from the client, whatever it is (a TLS ClientHello, say). */
  nextChunk(): Promise<Buffer> {
    if (this.isClosed) {
      return Promise.reject(new PeerClosedError());
    }
    return new Promise((resolve) => this.chunkWaiters.push(resolve));
  }

  /** Reads a line and throws unless it matches (a string means "starts with", case-insensitive). */
  async expect(pattern: RegExp | string): Promise<string> {
    const line = await this.readLine();
    const matches = typeof pattern === 'string' ? line.toUpperCase().startsWith(pattern.toUpperCase()) : pattern.test(line);
    if (!matches) {
      throw new Error(`scripted server expected ${String(pattern)} but the client sent ${JSON.stringify(line)}`);
    }
    return line;
  }

  /**
   * Answers lines by the first matching rule until the client closes. QUIT, unless a rule says otherwise,
   * gets 221 and a close; a line no rule matches gets 500.
   */
  async converse(rules: ConverseRule[]): Promise<void> {
    for (;;) {
      let line: string;
      try {
        line = await this.readLine();
      } catch (error) {
        if (error instanceof PeerClosedError) {
          return;
        }
        throw error;
      }
      const rule = rules.find(([match]) => match.test(line));
      if (rule) {
        const reply = rule[1];
        if (typeof reply === 'string') {
          await this.send(reply);
        } else {
          await reply(line, this);
        }
      } else if (/^QUIT\b/i.test(line)) {
        await this.send('221 2.0.0 Bye\r\n');
        await this.end();
        return;
      } else {
        await this.send('500 5.5.2 command not recognised\r\n');
      }
      if (this.isClosed) {
        return;
      }
    }
  }

  /** Upgrades to TLS as the server (after the script sent its 220 to STARTTLS), with the fixture certificate. */
  async startTls(): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    this.pendingText = '';
    const secure = new tls.TLSSocket(raw, { isServer: true, ...fixtureTlsCredentials() });
    this.socket = secure;
    this.attach(secure);
    await new Promise<void>((resolve, reject) => {
      secure.once('secure', () => resolve());
      secure.once('error', reject);
      secure.once('close', () => reject(new PeerClosedError()));
    });
  }

  /** A TCP reset (RST), as a crashed server or a firewall gives. */
  reset(): void {
    this.socket.resetAndDestroy();
  }

  /** A normal close (FIN) after what was sent is flushed. */
  async end(): Promise<void> {
    if (this.isClosed) {
      return;
    }
    await new Promise<void>((resolve) => this.socket.end(() => resolve()));
  }

  /** Waits for the client to close; the server itself never says anything more. */
  hang(): Promise<void> {
    return this.closed;
  }

  /** @internal */
  destroy(): void {
    this.socket.destroy();
  }

  private attach(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => this.takeData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => this.handleClose());
  }

  private takeData(chunk: Buffer): void {
    this.receivedChunks.push(chunk);
    for (const waiter of this.chunkWaiters.splice(0)) {
      waiter(chunk);
    }
    this.pendingText += chunk.toString('latin1');
    for (;;) {
      const lineFeed = this.pendingText.indexOf('\n');
      if (lineFeed === -1) {
        return;
      }
      const line = this.pendingText.slice(0, lineFeed).replace(/\r$/, '');
      this.pendingText = this.pendingText.slice(lineFeed + 1);
      this.received.push(line);
      this.log.push({ from: 'client', data: line });
      const reader = this.readers.shift();
      if (reader) {
        reader.resolve(line);
      } else {
        this.lines.push(line);
      }
    }
  }

  private handleClose(): void {
    this.isClosed = true;
    for (const reader of this.readers.splice(0)) {
      reader.reject(new PeerClosedError());
    }
    this.markClosed();
  }
}

export async function startScriptedServer(script: ConnectionScript, options: ScriptedServerOptions = {}): Promise<ScriptedServer> {
  const host = options.host ?? '127.0.0.1';
  const peers: ScriptedPeer[] = [];
  const scriptErrors: Error[] = [];
  const peerWaiters: Array<{ count: number; resolve(peers: ScriptedPeer[]): void }> = [];

  const accept = (socket: net.Socket) => {
    const peer = new ScriptedPeer(socket);
    peers.push(peer);
    for (const waiter of peerWaiters.filter((candidate) => peers.length >= candidate.count)) {
      peerWaiters.splice(peerWaiters.indexOf(waiter), 1);
      waiter.resolve([...peers]);
    }
    Promise.resolve()
      .then(() => script(peer))
      .catch((error: unknown) => {
        if (!(error instanceof PeerClosedError)) {
          scriptErrors.push(error instanceof Error ? error : new Error(String(error)));
          peer.destroy();
        }
      });
  };

  const server = options.implicitTls
    ? tls.createServer(fixtureTlsCredentials(), accept)
    : net.createServer(accept);
  // A client that fails the TLS handshake (as it should with an untrusted certificate) is not a script error.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    host,
    port,
    peers,
    scriptErrors,
    waitForPeers(count) {
      if (peers.length >= count) {
        return Promise.resolve([...peers]);
      }
      return new Promise((resolve) => peerWaiters.push({ count, resolve }));
    },
    async close() {
      for (const peer of peers) {
        peer.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** True when this machine can listen on ::1 (some containers have no IPv6 loopback). */
export async function ipv6LoopbackAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });
}
