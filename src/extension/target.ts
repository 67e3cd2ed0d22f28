import { relayParameterDefaults } from '../core/relayParameters';
import { describeTarget, type SessionOptions, type SessionTimeouts, type TlsMode } from '../core/sessionOptions';
import type { PersonaName } from '../lab/persona';
import { personaNames } from '../lab/personaCatalogue';
import { readBoolean, readNonEmptyString, readOneOf, readStringList } from './settingReaders';

/**
 * A server the user wants to talk to, with what the relay tests need to know about it.
 * No `vscode` here: the terminal, .smtp files, Test Explorer and unit tests share it.
 */
export interface Target {
  /** What the user sees in pickers and the status bar. */
  label: string;
  host: string;
  port: number;
  tls: TlsMode;
  /** Certificate checking; off only when the user says so (a lab server with a self-signed certificate). */
  rejectUnauthorized: boolean;
  /** Domains the server receives mail for; empty means "infer from the banner and EHLO". */
  localDomains: string[];
  /** A mailbox that exists on the server (local part), the KB's "LocalUser". */
  localUser: string;
  /** A domain the server must not relay to. */
  remoteDomain: string;
  heloName: string;
  /** For AUTH; the password lives in SecretStorage, never here. */
  username?: string;
  /** Set when this target is the built-in practice server, which is started on demand. */
  practicePersona?: PracticePersona;
}

export const tlsModes: readonly TlsMode[] = ['starttls', 'implicit', 'none'];

/** The practice server's personas, as src/lab defines them (their descriptions are the lab's summaries). */
export const practicePersonas = personaNames;
export type PracticePersona = PersonaName;

/** Defaults use reserved names (RFC 2606), so nothing we send by default can reach a real mailbox. */
export const targetDefaults = {
  localUser: relayParameterDefaults.localUser,
  remoteDomain: relayParameterDefaults.remoteDomain,
  heloName: 'smtp-relay-lab.example.com',
} as const;

/** The TLS mode a port usually speaks: 465 is implicit TLS (RFC 8314), 25/587 offer STARTTLS. */
export function suggestedTlsMode(port: number): TlsMode {
  return port === 465 ? 'implicit' : 'starttls';
}

export function newTarget(host: string, port: number, tls: TlsMode = suggestedTlsMode(port)): Target {
  return {
    label: describeTarget({ host, port }),
    host,
    port,
    tls,
    rejectUnauthorized: true,
    localDomains: [],
    localUser: targetDefaults.localUser,
    remoteDomain: targetDefaults.remoteDomain,
    heloName: targetDefaults.heloName,
  };
}

/**
 * Parses "host", "host:port", "[v6]:port" or a bare IPv6 address. Returns an error sentence for a person when
 * the text is not one of those.
 */
export function parseHostPort(text: string, defaultPort = 25): { host: string; port: number } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') {
    return { error: 'Type a host name or address, optionally with :port.' };
  }
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(trimmed);
  if (bracketed) {
    host = bracketed[1];
    portText = bracketed[2];
  } else if ((trimmed.match(/:/g) ?? []).length > 1) {
    host = trimmed; // a bare IPv6 address: its colons are not a port separator
  } else {
    const colon = trimmed.indexOf(':');
    host = colon >= 0 ? trimmed.slice(0, colon) : trimmed;
    portText = colon >= 0 ? trimmed.slice(colon + 1) : undefined;
  }
  if (!isPlausibleHost(host)) {
    return { error: `"${host}" is not a host name or address.` };
  }
  if (portText === undefined) {
    return { host, port: defaultPort };
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    return { error: `"${portText}" is not a port (1-65535).` };
  }
  return { host, port };
}

/** A name or address we could hand to net.connect; rejects what is clearly a URL, an address or a typo. */
function isPlausibleHost(host: string): boolean {
  return host !== '' && !/[\s/@<>[\]]/.test(host);
}

/**
 * One entry of the `smtpRelayLab.targets` setting (or of the recent list in globalState), checked field by
 * field. Returns undefined when it has no usable host.
 */
export function readTarget(raw: unknown): Target | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return undefined;
  }
  const entry = raw as Record<string, unknown>;
  const host = readNonEmptyString(entry.host)?.replace(/^\[(.*)\]$/, '$1');
  if (host === undefined || !isPlausibleHost(host)) {
    return undefined;
  }
  const port = typeof entry.port === 'number' && Number.isInteger(entry.port) && entry.port >= 1 && entry.port <= 65535 ? entry.port : 25;
  const target = newTarget(host, port, readOneOf(tlsModes)(entry.tls));
  target.label = readNonEmptyString(entry.name) ?? readNonEmptyString(entry.label) ?? target.label;
  target.rejectUnauthorized = readBoolean(entry.rejectUnauthorized) ?? true;
  target.localDomains = readStringList(entry.localDomains) ?? [];
  target.localUser = readNonEmptyString(entry.localUser) ?? target.localUser;
  target.remoteDomain = readNonEmptyString(entry.remoteDomain) ?? target.remoteDomain;
  target.heloName = readNonEmptyString(entry.heloName) ?? target.heloName;
  const username = readNonEmptyString(entry.username);
  if (username !== undefined) {
    target.username = username;
  }
  const persona = readOneOf(practicePersonas)(entry.practicePersona);
  if (persona !== undefined) {
    target.practicePersona = persona;
  }
  return target;
}

export function readTargetList(raw: unknown): Target[] | undefined {
  if (!Array.isArray(raw)) {
    return undefined;
  }
  return raw.map(readTarget).filter((target): target is Target => target !== undefined);
}

/** Identifies "the same server, spoken to the same way", for de-duplicating the recent list. */
export function targetIdentity(target: Pick<Target, 'host' | 'port' | 'tls' | 'practicePersona'>): string {
  const where = target.practicePersona ? `practice:${target.practicePersona}` : describeTarget(target);
  return `${where}/${target.tls}`;
}

/** What the engine needs to open a session to this target. */
export function sessionOptionsFor(target: Target, timeouts?: Partial<SessionTimeouts>): SessionOptions {
  return {
    host: target.host,
    port: target.port,
    tls: target.tls,
    rejectUnauthorized: target.rejectUnauthorized,
    ...(timeouts ? { timeouts } : {}),
  };
}
