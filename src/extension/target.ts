import { relayParameterDefaults } from '../core/relay/relayParameters';
import { describeTarget, type SessionOptions, type SessionTimeouts, type TlsMode } from '../core/protocol/sessionOptions';
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
  heloName: relayParameterDefaults.heloName,
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

/** One way to connect to what the user typed in the target picker. */
export interface TypedTargetChoice {
  target: Target;
  /** The picker's row: the address, then how it will speak TLS. */
  label: string;
  description: string;
  /** True for the mode the port suggests: the row Enter picks. */
  suggested: boolean;
}

const typedTlsDescriptions: Record<TlsMode, string> = {
  starttls: 'STARTTLS when the server offers it, clear text otherwise',
  implicit: 'implicit TLS from the first byte',
  none: 'no TLS, clear text as telnet',
};

/**
 * What the target picker offers for text the user typed ("mx.example.com", "127.0.0.1:2525", "[::1]:25"):
 * the address with the TLS mode its port suggests first (Enter connects), then the other modes, then the
 * same with the certificate unchecked (lab servers). Empty when the text is not an address.
 */
export function typedTargetChoices(text: string): TypedTargetChoice[] {
  const parsed = parseHostPort(text);
  if ('error' in parsed) {
    return [];
  }
  const suggested = suggestedTlsMode(parsed.port);
  const modes: TlsMode[] = [suggested, ...tlsModes.filter((mode) => mode !== suggested)];
  const where = describeTarget(parsed);
  const checked = modes.map((mode) => ({
    target: newTarget(parsed.host, parsed.port, mode),
    label: `Connect to ${where}`,
    description: typedTlsDescriptions[mode] + (mode === suggested ? ` (suggested for port ${parsed.port})` : ''),
    suggested: mode === suggested,
  }));
  const unchecked = modes
    .filter((mode) => mode !== 'none')
    .map((mode) => ({
      target: { ...newTarget(parsed.host, parsed.port, mode), rejectUnauthorized: false },
      label: `Connect to ${where}`,
      description: `${typedTlsDescriptions[mode]}, certificate not verified`,
      suggested: false,
    }));
  return [...checked, ...unchecked];
}

/**
 * A mail domain (not an address: no port, at least one dot, not an IP), for which the picker can offer
 * "Test the mail servers of <domain>" once MX resolution is available.
 */
export function typedMailDomain(text: string): string | undefined {
  const trimmed = text.trim().toLowerCase().replace(/\.$/, '');
  if (!/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/.test(trimmed)) {
    return undefined;
  }
  return trimmed;
}

/**
 * A target as one entry of the `smtpRelayLab.targets` setting (what SMTP: Add Target writes): only what
 * differs from the defaults, so the user's settings.json stays short. Never a password.
 */
export function targetSettingEntry(target: Target): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  if (target.label !== describeTarget(target)) {
    entry.name = target.label;
  }
  entry.host = target.host;
  entry.port = target.port;
  entry.tls = target.tls;
  if (!target.rejectUnauthorized) {
    entry.rejectUnauthorized = false;
  }
  if (target.localDomains.length > 0) {
    entry.localDomains = [...target.localDomains];
  }
  if (target.localUser !== targetDefaults.localUser) {
    entry.localUser = target.localUser;
  }
  if (target.remoteDomain !== targetDefaults.remoteDomain) {
    entry.remoteDomain = target.remoteDomain;
  }
  if (target.heloName !== targetDefaults.heloName) {
    entry.heloName = target.heloName;
  }
  if (target.username !== undefined) {
    entry.username = target.username;
  }
  return entry;
}
