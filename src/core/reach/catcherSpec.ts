import type { RelayReport, RelayRunOptions } from '../relay/relayTypes';
import type { TranscriptEvent } from '../transcript/transcriptEvent';
import { CatcherError, parseCatcherAddress, startCatcher, type MessageSource } from './catcher';
import { confirmDeliveries, TokenRegistry } from './deliveryConfirmation';
import { ImapCatcherError, imapPasswordVariable, openImapCatcher, parseImapCatcherUrl, type ImapCatcherAddress } from './imapCatcher';

/**
 * Where confirmation by delivery looks, and with which sender and patience: one reading for the CLI's
 * `--catcher`, `--mail-from`, `--confirm-timeout` and the editor's `smtpRelayLab.relay.catcher`,
 * `relay.mailFrom`, `relay.confirmTimeoutSeconds` (issue 10 §1). Then one way to open the catcher for a
 * run, hand the runner its tokens, settle the tests from what arrived, and close it when the run ends.
 */

export type CatcherSpec =
  /** The built-in receive-only SMTP server, listening where the user said. */
  | { kind: 'smtp'; host: string; port: number }
  /** A mailbox the user owns, polled over IMAP. */
  | { kind: 'imap'; address: ImapCatcherAddress };

/** A catcher, sender or timeout that cannot be used; the message names the flag or setting. */
export class CatcherSpecError extends Error {
  override name = 'CatcherSpecError';
}

/** How the face names its options in messages: the CLI's flags or the editor's settings. */
export interface CatcherOptionNames {
  catcher: string;
  mailFrom: string;
  confirmTimeout: string;
  confirmByDelivery: string;
}

export const cliCatcherOptionNames: CatcherOptionNames = {
  catcher: '--catcher',
  mailFrom: '--mail-from',
  confirmTimeout: '--confirm-timeout',
  confirmByDelivery: '--confirm-by-delivery',
};

export const confirmTimeoutDefaultMs = 60_000;

/** "HOST:PORT", "[IPv6]:PORT", or "imap[s]://user@host[:port]/MAILBOX". */
export function parseCatcherSpec(text: string, name = cliCatcherOptionNames.catcher): CatcherSpec {
  const trimmed = text.trim();
  try {
    if (/^imaps?:\/\//i.test(trimmed)) {
      return { kind: 'imap', address: parseImapCatcherUrl(trimmed) };
    }
    return { kind: 'smtp', ...parseCatcherAddress(trimmed) };
  } catch (error) {
    if (error instanceof CatcherError || error instanceof ImapCatcherError) {
      throw new CatcherSpecError(error.message.replace(/^--catcher\b/, name));
    }
    throw error;
  }
}

/** An envelope sender: user@domain, with or without <>. */
export function checkMailFrom(text: string | undefined, name = cliCatcherOptionNames.mailFrom): string | undefined {
  const trimmed = text?.trim();
  if (trimmed === undefined || trimmed === '') {
    return undefined;
  }
  if (!/^<?[^\s<>@]+@[^\s<>@]+>?$/.test(trimmed)) {
    throw new CatcherSpecError(`${name} needs an address like user@example.com, not "${trimmed}"`);
  }
  return trimmed;
}

export interface CatcherRequest {
  /** The catcher as typed; undefined or blank: none. */
  catcher?: string;
  mailFrom?: string;
  /** How long to wait for copies and NDRs after the tests; undefined: the default (60 s). */
  confirmTimeoutMs?: number;
  confirmByDelivery: boolean;
}

export interface CatcherPlan {
  spec?: CatcherSpec;
  mailFrom?: string;
  confirmTimeoutMs: number;
}

/**
 * Checks the options together. A catcher confirms what DATA delivers, so it needs confirmation by delivery;
 * `strict` (the CLI) also refuses a confirm timeout without a catcher, where the editor's setting simply
 * has a value that goes unused.
 */
export function planCatcher(request: CatcherRequest, names: CatcherOptionNames = cliCatcherOptionNames, strict = true): CatcherPlan {
  const mailFrom = checkMailFrom(request.mailFrom, names.mailFrom);
  const confirmTimeoutMs = request.confirmTimeoutMs ?? confirmTimeoutDefaultMs;
  const catcherText = request.catcher?.trim();
  if (catcherText === undefined || catcherText === '') {
    if (strict && request.confirmTimeoutMs !== undefined) {
      throw new CatcherSpecError(`${names.confirmTimeout} goes with ${names.catcher}`);
    }
    return { confirmTimeoutMs, ...(mailFrom === undefined ? {} : { mailFrom }) };
  }
  if (!request.confirmByDelivery) {
    throw new CatcherSpecError(`${names.catcher} confirms what DATA delivers: add ${names.confirmByDelivery} (only against a server you own)`);
  }
  return { spec: parseCatcherSpec(catcherText, names.catcher), confirmTimeoutMs, ...(mailFrom === undefined ? {} : { mailFrom }) };
}

/** SMTP_RELAY_LAB_IMAP_PASSWORD, when set and not empty: the CLI's only source. */
export function imapPasswordFromEnvironment(environment: NodeJS.ProcessEnv = process.env): string | undefined {
  return environment[imapPasswordVariable] || undefined;
}

/**
 * The IMAP password: SMTP_RELAY_LAB_IMAP_PASSWORD when it is set (it wins, as for the CLI), else what
 * `fallback` finds (the editor's SecretStorage). Never part of a spec, a setting or a URL.
 */
export async function imapPasswordFor(
  address: ImapCatcherAddress,
  fallback?: (address: ImapCatcherAddress) => PromiseLike<string | undefined>,
  environment: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const fromEnvironment = imapPasswordFromEnvironment(environment);
  if (fromEnvironment) {
    return fromEnvironment;
  }
  const stored = await fallback?.(address);
  return stored ? stored : undefined;
}

/** The envelope sender when none was given: an address the catcher receives (the mailbox's, or one at the remote domain). */
export function catcherSender(spec: CatcherSpec, remoteDomain: string): string {
  if (spec.kind === 'imap' && spec.address.user.includes('@')) {
    return spec.address.user;
  }
  return `relay-lab-ndr@${remoteDomain}`;
}

/** "catcher 127.0.0.1:2526" or "IMAP mailbox user@host:143/INBOX", before it is opened. */
export function describeCatcherSpec(spec: CatcherSpec): string {
  if (spec.kind === 'smtp') {
    return `catcher ${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}`;
  }
  const { user, host, port, mailbox } = spec.address;
  return `IMAP mailbox ${user}@${host.includes(':') ? `[${host}]` : host}:${port}/${mailbox}`;
}

export interface OpenCatcherOptions {
  /** For an IMAP catcher; a missing one is an error that says where to put it. */
  imapPassword?: string;
  /** What to tell a user without a password (the face knows where it can be set). */
  missingPasswordHint?: string;
  /** Check the IMAP server's certificate (on unless the user said --insecure). */
  rejectUnauthorized?: boolean;
  /** The catcher's greeting name (it must differ from the relaying server's). */
  name?: string;
}

/** One run's catcher: opened before the tests, closed by whoever opened it when the run ends. */
export interface CatcherSession {
  readonly source: MessageSource;
  readonly tokens: TokenRegistry;
  /** Where the built-in catcher listens (the port the system picked for port 0); undefined for IMAP. */
  readonly listening?: { host: string; port: number };
  /** One transcript line per message the built-in catcher received. */
  readonly events: readonly TranscriptEvent[];
  /** What the runner needs: DATA for every accepted relay test, each message with its token, and the sender. */
  runOptions(remoteDomain: string, mailFrom?: string): Pick<RelayRunOptions, 'confirmRelayed' | 'messageToken' | 'mailFrom'>;
  /** Waits up to `timeoutMs` for each delivered test's token and settles the tests; the caught messages join the transcript. */
  confirm(report: RelayReport, options: { timeoutMs: number; signal?: AbortSignal; parameters?: Parameters<typeof confirmDeliveries>[4] }): Promise<RelayReport>;
  close(): Promise<void>;
}

/** Starts the built-in catcher (listening only where the spec says) or logs in to the mailbox. */
export async function openCatcherSession(spec: CatcherSpec, options: OpenCatcherOptions = {}): Promise<CatcherSession> {
  const events: TranscriptEvent[] = [];
  let source: MessageSource;
  let listening: { host: string; port: number } | undefined;
  if (spec.kind === 'imap') {
    if (!options.imapPassword) {
      throw new CatcherSpecError(
        `the ${describeCatcherSpec(spec)} needs its password: ${options.missingPasswordHint ?? `set ${imapPasswordVariable}`}`,
      );
    }
    try {
      source = await openImapCatcher({ ...spec.address, password: options.imapPassword, rejectUnauthorized: options.rejectUnauthorized ?? true });
    } catch (error) {
      throw error instanceof ImapCatcherError ? new CatcherSpecError(error.message) : error;
    }
  } else {
    try {
      const started = await startCatcher({ host: spec.host, port: spec.port, ...(options.name === undefined ? {} : { name: options.name }) });
      started.onMessage((message) =>
        events.push({
          kind: 'info',
          at: message.receivedAt,
          tls: false,
          text: `${started.description}: message from <${message.mailFrom}> to ${message.rcptTo.map((rcpt) => `<${rcpt}>`).join(', ')} (${message.content.length} bytes) from ${message.remoteAddress}`,
        }),
      );
      source = started;
      listening = { host: started.host, port: started.port };
    } catch (error) {
      throw error instanceof CatcherError ? new CatcherSpecError(error.message) : error;
    }
  }
  const tokens = new TokenRegistry();
  return {
    source,
    tokens,
    events,
    ...(listening ? { listening } : {}),
    runOptions: (remoteDomain, mailFrom) => ({
      confirmRelayed: true,
      messageToken: tokens.issue,
      mailFrom: mailFrom ?? catcherSender(spec, remoteDomain),
    }),
    async confirm(report, confirmOptions) {
      const confirmed = await confirmDeliveries(
        report,
        source,
        tokens.issued,
        { timeoutMs: confirmOptions.timeoutMs, ...(confirmOptions.signal ? { signal: confirmOptions.signal } : {}) },
        confirmOptions.parameters,
      );
      return { ...confirmed, transcript: [...confirmed.transcript, ...events].sort((a, b) => a.at - b.at) };
    },
    close: () => source.close(),
  };
}
