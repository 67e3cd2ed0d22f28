import net from 'node:net';
import { personaNames } from '../lab/personaCatalogue';
import { describeTarget, type TlsMode } from '../core/protocol/sessionOptions';
import {
  isPlausibleHost,
  newTarget,
  parseHostPort,
  suggestedTlsMode,
  targetDefaults,
  tlsModes,
  type MailDomainOfTarget,
  type Target,
} from '../core/relay/target';
import { readBoolean, readNonEmptyString, readOneOf, readStringList } from './settingReaders';

/**
 * The editor's side of targets: reading them from settings, what the target picker offers for typed text,
 * and what SMTP: Add Target writes. The target itself (and parseHostPort, newTarget...) is in
 * src/core/relay/target.ts, shared with the CLI; it is re-exported here for the editor's modules.
 * No `vscode` here.
 */
export {
  asClientProblem,
  isPlausibleHost,
  newTarget,
  parseHostPort,
  sessionOptionsFor,
  suggestedTlsMode,
  targetDefaults,
  targetIdentity,
  tlsModes,
  type MailDomainOfTarget,
  type PracticePersona,
  type Target,
} from '../core/relay/target';

/** The practice server's personas, as src/lab defines them (their descriptions are the lab's summaries). */
export const practicePersonas = personaNames;

/**
 * One entry of the `smtpRelayLab.targets` setting (or of the recent list in globalState), checked field by
 * field. Returns undefined when it has no usable host.
 */
export function readTarget(raw: unknown): Target | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return undefined;
  }
  const entry = raw as Record<string, unknown>;
  const domain = readMailDomainField(entry);
  const host = domain?.domain ?? readNonEmptyString(entry.host)?.replace(/^\[(.*)\]$/, '$1');
  if (host === undefined || !isPlausibleHost(host)) {
    return undefined;
  }
  const port = typeof entry.port === 'number' && Number.isInteger(entry.port) && entry.port >= 1 && entry.port <= 65535 ? entry.port : 25;
  const target = domain ? newDomainTarget(domain.domain, port, domain.resolver, readOneOf(tlsModes)(entry.tls)) : newTarget(host, port, readOneOf(tlsModes)(entry.tls));
  target.label = readNonEmptyString(entry.name) ?? readNonEmptyString(entry.label) ?? target.label;
  target.rejectUnauthorized = readBoolean(entry.rejectUnauthorized) ?? true;
  target.localDomains = readStringList(entry.localDomains) ?? target.localDomains;
  target.localUser = readNonEmptyString(entry.localUser) ?? target.localUser;
  target.remoteDomain = readNonEmptyString(entry.remoteDomain) ?? target.remoteDomain;
  target.heloName = readNonEmptyString(entry.heloName) ?? target.heloName;
  const username = readNonEmptyString(entry.username);
  if (username !== undefined) {
    target.username = username;
  }
  const persona = readOneOf(practicePersonas)(entry.practicePersona);
  if (persona !== undefined && domain === undefined) {
    target.practicePersona = persona;
  }
  const asClient = readAsClient(entry.asClient);
  if (asClient !== undefined) {
    target.asClient = asClient;
  }
  const tlsServerName = readNonEmptyString(entry.tlsServerName);
  if (tlsServerName !== undefined && domain === undefined) {
    target.tlsServerName = tlsServerName;
  }
  return target;
}

/**
 * The asClient field: an IP literal, trimmed (an IPv6 one may be bracketed). Anything else that is there
 * (a name, a number, a hostile string) is kept as a string, bounded, so that asClientProblem refuses the
 * target with a clear error instead of testing from here as if the field were absent.
 */
export function readAsClient(raw: unknown): string | undefined {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    return undefined;
  }
  const text = typeof raw === 'string' ? raw.trim().replace(/^\[(.*)\]$/, '$1') : JSON.stringify(raw) ?? String(raw);
  return text.length > 200 ? text.slice(0, 200) : text;
}

/**
 * SMTP: Add Target's address box: host[:port], optionally followed by "as <ip>", the client address to test
 * as through XCLIENT ("mx.example.com:25 as 203.0.113.9"). An error sentence for a person otherwise.
 */
export function parseAddressAsClient(text: string): { host: string; port: number; asClient?: string } | { error: string } {
  const split = /^(.*\S)\s+as\s+(\S+)\s*$/i.exec(text.trim());
  const parsed = parseHostPort(split ? split[1] : text);
  if ('error' in parsed || !split) {
    return parsed;
  }
  const asClient = split[2].replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(asClient) === 0) {
    return { error: `"${asClient.slice(0, 64)}" is not an IP address: "as" takes the client address to test as, such as 203.0.113.9.` };
  }
  return { ...parsed, asClient };
}

/**
 * `domain` (a mail domain, instead of `host`) and its optional `resolver`, as the setting and the stored
 * targets write them. A stored target (recent, current) keeps them in `mailDomain`.
 */
function readMailDomainField(entry: Record<string, unknown>): MailDomainOfTarget | undefined {
  const stored = typeof entry.mailDomain === 'object' && entry.mailDomain !== null ? (entry.mailDomain as Record<string, unknown>) : undefined;
  const domain = typedMailDomain(readNonEmptyString(entry.domain) ?? readNonEmptyString(stored?.domain) ?? '');
  if (domain === undefined) {
    return undefined;
  }
  const resolver = readNonEmptyString(entry.resolver) ?? readNonEmptyString(stored?.resolver);
  return resolver === undefined ? { domain } : { domain, resolver };
}

/**
 * A mail domain as a target: relay runs test all its MX addresses on `port` (25 by default), as
 * `relay --domain`; the domain is the local domain its servers receive mail for.
 */
export function newDomainTarget(domain: string, port = 25, resolver?: string, tls: TlsMode = suggestedTlsMode(port)): Target {
  return {
    ...newTarget(domain, port, tls),
    label: `${domain} (mail domain${port === 25 ? '' : `, port ${port}`})`,
    localDomains: [domain],
    mailDomain: resolver === undefined ? { domain } : { domain, resolver },
  };
}

/** One address of a domain target's MX hosts, as a target the terminal or a .smtp file can connect to. */
export function hostTargetOfDomain(target: Target, host: { names: readonly string[]; address: string }): Target {
  const { mailDomain, ...rest } = target;
  const name = host.names[0];
  const where = describeTarget({ host: host.address, port: target.port });
  return {
    ...rest,
    host: host.address,
    label: `${name ?? host.address} (${where}, MX of ${mailDomain?.domain ?? target.host})`,
    ...(name !== undefined && name !== host.address ? { tlsServerName: name } : {}),
  };
}

export function readTargetList(raw: unknown): Target[] | undefined {
  if (!Array.isArray(raw)) {
    return undefined;
  }
  return raw.map(readTarget).filter((target): target is Target => target !== undefined);
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
  const domain = target.mailDomain;
  const defaultLabel = domain ? newDomainTarget(domain.domain, target.port).label : describeTarget(target);
  if (target.label !== defaultLabel) {
    entry.name = target.label;
  }
  if (domain) {
    entry.domain = domain.domain;
    if (domain.resolver !== undefined) {
      entry.resolver = domain.resolver;
    }
  } else {
    entry.host = target.host;
  }
  entry.port = target.port;
  entry.tls = target.tls;
  if (!target.rejectUnauthorized) {
    entry.rejectUnauthorized = false;
  }
  if (target.localDomains.length > 0 && !(domain && target.localDomains.length === 1 && target.localDomains[0] === domain.domain)) {
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
  if (target.asClient !== undefined) {
    entry.asClient = target.asClient;
  }
  return entry;
}
