import type net from 'node:net';
import type tls from 'node:tls';
import {
  SMTPServer,
  type SMTPServerAuthentication,
  type SMTPServerAuthenticationResponse,
  type SMTPServerDataStream,
  type SMTPServerSession,
} from 'smtp-server';
import type { SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import { LabConnection, type LabConnectionContext, type LabRecipientAddress } from './labConnection';
import { assertLoopbackHost } from './loopbackHost';
import { settleAcceptedMessage } from './messageSettlement';
import { Outbox } from './outbox';
import type { Persona, PersonaName } from './persona';
import { createPersona, isPersonaName, personaNames } from './personaCatalogue';
import type { TarpitTiming } from './personas/tarpit';
import { createSelfSignedCertificate } from './selfSignedCertificate';
import { ServerLog } from './serverLog';
import type { LabSite } from './site';

export interface PracticeServerOptions {
  persona?: PersonaName;
  /** 127.0.0.1 (default) or ::1: a practice server never listens on a network interface. */
  host?: string;
  /** 0 (default) lets the system pick a free port. */
  port?: number;
  localDomains?: string[];
  localUsers?: string[];
  /** Defaults to "mail." + the first local domain. */
  serverName?: string;
  /** Implicit TLS from the first byte (like port 465); otherwise plain text with STARTTLS. */
  secure?: boolean;
  /** PEM key and certificate; without them a fresh self-signed one is made for the server name and address. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** False: STARTTLS is not advertised (a server without TLS), so clients that offer it go on in clear text. */
  startTls?: boolean;
  /** Only for the tarpit persona: tests shorten the delays. */
  tarpit?: Partial<TarpitTiming>;
  /**
   * Offer AUTH PLAIN and LOGIN and accept this one account; without it the server never offers AUTH.
   * Relay decisions stay the persona's: logging in does not open the relay, the lab is about strangers.
   */
  auth?: PracticeCredentials;
}

export interface PracticeCredentials {
  username: string;
  password: string;
}

export interface PracticeServer {
  readonly host: string;
  readonly port: number;
  readonly persona: PersonaName;
  /** The persona's one-line description. */
  readonly summary: string;
  readonly serverName: string;
  readonly localDomains: string[];
  readonly localUsers: string[];
  readonly secure: boolean;
  /** The account AUTH accepts, when the server offers AUTH. */
  readonly authUsername: string | undefined;
  /** The certificate presented for STARTTLS and implicit TLS (PEM), for a client that wants to pin it. */
  readonly certificatePem: string;
  readonly outbox: Outbox;
  readonly log: ServerLog;
  /** Answers open connections with 421, closes them and stops listening. */
  close(): Promise<void>;
}

export const practiceServerDefaults = {
  persona: 'exchange' as PersonaName,
  host: '127.0.0.1',
  localDomains: ['corp.example'],
  localUsers: ['admin', 'postmaster'],
};

/** A problem with the options or with listening, described in one line. */
export class PracticeServerError extends Error {
  override name = 'PracticeServerError';
}

/** Starts a real SMTP server on loopback that behaves like the chosen persona. */
export async function startPracticeServer(options: PracticeServerOptions = {}): Promise<PracticeServer> {
  const personaName = options.persona ?? practiceServerDefaults.persona;
  if (!isPersonaName(personaName)) {
    throw new PracticeServerError(`unknown persona "${String(personaName)}": choose one of ${personaNames.join(', ')}`);
  }
  const host = options.host ?? practiceServerDefaults.host;
  assertLoopbackHost(host);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new PracticeServerError(`invalid port ${String(port)}: use 0 to 65535`);
  }
  const localDomains = normalisedList(options.localDomains, practiceServerDefaults.localDomains);
  const localUsers = normalisedList(options.localUsers, practiceServerDefaults.localUsers);
  const site: LabSite = {
    serverName: options.serverName ?? `mail.${localDomains[0]}`,
    localDomains,
    localUsers,
    serverAddresses: [host],
  };
  const persona = createPersona(personaName, options.tarpit);
  const credentials = options.tls ?? createSelfSignedCertificate({ commonName: site.serverName, dnsNames: ['localhost'], ipAddresses: [host] });
  const outbox = new Outbox();
  const log = new ServerLog();
  const server = new PracticeSmtpServer({ persona, site, log }, outbox, { ...options, tls: credentials });
  const address = await listen(server, host, port);
  return {
    host,
    port: address.port,
    persona: personaName,
    summary: persona.summary,
    serverName: site.serverName,
    localDomains,
    localUsers,
    secure: options.secure === true,
    authUsername: options.auth?.username,
    certificatePem: credentials.cert.toString(),
    outbox,
    log,
    close: () => server.shutDown(),
  };
}

/** smtp-server with a persona: its connections are LabConnections, and accepted messages go to the outbox. */
class PracticeSmtpServer extends SMTPServer {
  private connectionCount = 0;
  private queueCount = 0;
  private closing: Promise<void> | undefined;
  private readonly credentials: PracticeCredentials | undefined;

  constructor(
    private readonly lab: LabConnectionContext,
    private readonly outbox: Outbox,
    options: PracticeServerOptions,
  ) {
    super(smtpServerOptions(lab.persona, lab.site, options));
    this.credentials = options.auth ? { ...options.auth } : undefined;
    // Without a listener an 'error' event (a client resetting mid-transaction) would end the process.
    this.on('error', (error) => this.lab.log.record({ connectionId: '-', kind: 'note', tls: false, text: `error: ${error.message}` }));
  }

  override connect(socket: net.Socket | tls.TLSSocket, socketOptions?: SMTPConnectionOptions | null): void {
    // The same steps as SMTPServer.connect, with our connection class and short, readable ids.
    const id = `c${++this.connectionCount}`;
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.lab.log.record({ connectionId: id, kind: 'connect', tls: this.options.secure === true, text: `connection from ${remote}` });
    const connection = new LabConnection(this, socket, { ...socketOptions, id }, this.lab);
    this.connections.add(connection);
    connection.on('error', (error: Error) => this._onError(error));
    connection.on('connect', (data) => this._onClientConnect(data));
    connection.init();
  }

  override onSecure(socket: net.Socket | tls.TLSSocket, session: SMTPServerSession, callback: (error?: Error | null) => void): void {
    const protocol = 'getProtocol' in socket ? socket.getProtocol() : null;
    this.lab.log.record({ connectionId: session.id, kind: 'note', tls: true, text: `TLS established (${protocol ?? 'unknown protocol'})` });
    callback();
  }

  override onAuth(
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    callback: (error: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
  ): void {
    const expected = this.credentials;
    const accepted =
      expected !== undefined && (auth.method === 'PLAIN' || auth.method === 'LOGIN') && auth.username === expected.username && auth.password === expected.password;
    const who = auth.username ?? '(no user name)';
    this.lab.log.record({ connectionId: session.id, kind: 'note', tls: session.secure, text: `AUTH ${auth.method} as ${who}: ${accepted ? 'accepted' : 'refused'}` });
    // smtp-server answers 235 for a user, and 535 (with 5.7.8 when enhanced codes are on) without one.
    callback(null, accepted ? { user: auth.username } : {});
  }

  override onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null, message?: string) => void): void {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const { persona, site, log } = this.lab;
      if (stream.sizeExceeded) {
        // smtp-server answers 552 5.3.4 itself (rejectOversized); an oversized message is not settled.
        return callback();
      }
      const mailFrom = session.envelope.mailFrom;
      const recipients = session.envelope.rcptTo.flatMap((recipient) => {
        const decided = (recipient as Partial<LabRecipientAddress>).lab;
        return decided ? [decided] : [];
      });
      const content = Buffer.concat(chunks).toString('utf8');
      const settlement = settleAcceptedMessage(
        { connectionId: session.id, sender: mailFrom ? mailFrom.address : '', recipients, content, receivedAt: new Date() },
        site,
        this.outbox,
      );
      const outcome = [
        settlement.delivered && `delivered to ${settlement.delivered.rcptTo.join(', ')}`,
        settlement.wouldRelay && `WOULD RELAY to ${settlement.wouldRelay.rcptTo.join(', ')} (kept in the outbox, not sent)`,
        settlement.nonDeliveryReport && `NDR to <${settlement.nonDeliveryReport.rcptTo[0]}> for unresolved recipients`,
        settlement.bounceSuppressed,
      ].filter((part): part is string => typeof part === 'string');
      log.record({ connectionId: session.id, kind: 'note', tls: session.secure, text: `message of ${content.length} bytes: ${outcome.join('; ')}` });
      callback(null, persona.queuedText(this.nextQueueId(), site));
    });
  }

  /** Idempotent. smtp-server waits `closeTimeout`, then answers open connections with 421 and closes them. */
  shutDown(): Promise<void> {
    this.closing ??= new Promise((resolve) => this.close(() => resolve()));
    return this.closing;
  }

  private nextQueueId(): string {
    this.queueCount += 1;
    return `${Date.now().toString(16).toUpperCase()}${this.queueCount.toString(16).toUpperCase().padStart(4, '0')}`;
  }
}

function smtpServerOptions(persona: Persona, site: LabSite, options: PracticeServerOptions) {
  const features = persona.features;
  return {
    name: site.serverName,
    heloResponse: persona.heloResponse,
    secure: options.secure === true,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    hideSTARTTLS: options.startTls === false,
    size: features.maxMessageSize,
    rejectOversized: true,
    hideENHANCEDSTATUSCODES: !features.enhancedStatusCodes,
    hidePIPELINING: !features.pipelining,
    hide8BITMIME: !features.eightBitMime,
    hideSMTPUTF8: !features.smtpUtf8,
    hideDSN: true,
    // XCLIENT only for the persona's authorised hosts (smtp-server checks the address the connection came from).
    useXClient: persona.xclientHosts ? [...persona.xclientHosts] : false,
    // AUTH only when asked for, and never required: relay tests are about what it does for strangers.
    ...(options.auth ? { authMethods: ['PLAIN', 'LOGIN'] } : { disabledCommands: ['AUTH'] }),
    // Loopback only, so nothing crosses a network; clients are free to STARTTLS first all the same.
    allowInsecureAuth: true,
    authOptional: true,
    // Loopback has no useful reverse DNS, and the lookup would delay every greeting.
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 250,
  };
}

function listen(server: PracticeSmtpServer, host: string, port: number): Promise<net.AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'EADDRINUSE' ? 'the port is already in use' : error.code === 'EACCES' ? 'permission denied' : error.message;
      reject(new PracticeServerError(`cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}: ${reason}`));
    };
    server.server.once('error', onError);
    server.listen(port, host, () => {
      server.server.off('error', onError);
      resolve(server.server.address() as net.AddressInfo);
    });
  });
}

function normalisedList(values: string[] | undefined, fallback: string[]): string[] {
  const cleaned = (values ?? []).map((value) => value.trim()).filter((value) => value.length > 0);
  return cleaned.length > 0 ? cleaned : [...fallback];
}
