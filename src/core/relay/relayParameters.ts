import { localDomainsOfServerNames, serverNameFromReply } from './localDomains';
import type { SmtpReply } from '../protocol/reply';
import type { LocalDomainsUsed, RelayTestParameters } from './relayTypes';

/**
 * The test parameters every face (CLI, terminal, Test Explorer, Run Relay Suite) uses when the user gives
 * none. Reserved names (RFC 2606), so nothing sent by default can reach a real mailbox; the remote user
 * says what it is to whoever reads the server's log.
 */
export const relayParameterDefaults = {
  localUser: 'postmaster',
  remoteDomain: 'example.net',
  remoteUser: 'relay-test',
  /** The EHLO name of every face (CLI, terminal, Test Explorer, .smtp files): a reserved name. */
  heloName: 'smtp-relay-lab.example.com',
} as const;

/**
 * The tests every face runs when the user names none (the CLI's --tests, the editor's
 * smtpRelayLab.relay.tests): all of them. The KB's seven alone can call "closed" a server that relays the
 * percent hack or a bang path, which only the extended variants try.
 */
export const defaultRelayTestSelection = 'all';

/** What the connection taught us about the server before the first test. */
export interface ServerFacts {
  greeting?: SmtpReply;
  ehloReply?: SmtpReply;
  /** The first word of the EHLO reply, when only parsed capabilities are at hand. */
  ehloName?: string;
  /** The IP actually connected to. */
  remoteAddress?: string;
}

/** `name` is `domain`, or a host inside it, or contains it (case-insensitive): they overlap. */
function overlaps(name: string, domain: string): boolean {
  const a = name.toLowerCase().replace(/\.$/, '');
  const b = domain.toLowerCase().replace(/\.$/, '');
  if (a.length === 0 || b.length === 0) {
    return false;
  }
  return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}

/** The names the server gave itself in its banner and EHLO reply, without duplicates. */
export function serverNamesOf(facts: ServerFacts): string[] {
  const greetingName = serverNameFromReply(facts.greeting);
  const ehloName = serverNameFromReply(facts.ehloReply) ?? (facts.ehloName ? serverNameFromReply(nameReply(facts.ehloName)) : undefined);
  const names: string[] = [];
  for (const name of [greetingName, ehloName]) {
    if (name !== undefined && !names.includes(name)) {
      names.push(name);
    }
  }
  return names;
}

/**
 * Local domains belong to the user. A configured list that names the remote test domain (or a domain
 * inside it, or one that contains it) cannot be tested: the run is refused before connecting.
 */
export function remoteDomainConflict(parameters: Pick<RelayTestParameters, 'localDomains' | 'remoteDomain'>): string | undefined {
  const clash = parameters.localDomains.find((domain) => overlaps(domain, parameters.remoteDomain));
  if (clash === undefined) {
    return undefined;
  }
  return (
    `the remote test domain ${parameters.remoteDomain} is also given as a local domain (${clash}): a relay test needs a domain ` +
    'the server does not host; choose another remote domain or correct the local domains'
  );
}

/** The name the server gave itself that is, or lies inside, the remote test domain: it claims that domain. */
export function remoteDomainClaimedBy(facts: ServerFacts, remoteDomain: string): string | undefined {
  return serverNamesOf(facts).find((name) => overlaps(name, remoteDomain));
}

/**
 * The parameters with the gaps the user left filled from the server itself: local domains from its
 * banner and EHLO name when the user configured none (configured ones are never extended), its address
 * from the socket, its name from the greeting. Nothing the server says about itself can make the remote
 * test domain local: such names are left out.
 */
export function resolveRelayParameters(parameters: RelayTestParameters, facts: ServerFacts): RelayTestParameters {
  const names = serverNamesOf(facts).filter((name) => !overlaps(name, parameters.remoteDomain));
  const localDomains =
    parameters.localDomains.length > 0
      ? [...parameters.localDomains]
      : localDomainsOfServerNames(names).filter((domain) => !overlaps(domain, parameters.remoteDomain));
  const serverAddress = parameters.serverAddress || facts.remoteAddress || '';
  const ownName = parameters.serverName ?? names[0];
  const serverName = ownName !== undefined && overlaps(ownName, parameters.remoteDomain) ? undefined : ownName;
  return { ...parameters, localDomains, serverAddress, ...(serverName === undefined ? {} : { serverName }) };
}

/** Where the local domains of a run came from, for the report and the JSON. */
export function describeLocalDomains(configured: readonly string[], resolved: RelayTestParameters, facts: ServerFacts): LocalDomainsUsed {
  const source = configured.length > 0 ? 'configured' : resolved.localDomains.length > 0 ? 'inferred' : 'none';
  return { source, domains: [...resolved.localDomains], serverNames: serverNamesOf(facts), remoteDomain: resolved.remoteDomain };
}

/**
 * The domains the classifier treats as local: the local domains, plus the server's own host name and
 * address, which are destinations of the host itself (mail to a host by its own name or [IP] is delivered
 * there, not relayed; mailAddress.ts matches the address bare). They only decide tests addressed to the
 * server by name or literal, whose routing forms stay ambiguous without proof; they never widen the local
 * domains of the report, and never cover the remote test domain.
 */
export function classificationDomains(parameters: RelayTestParameters): string[] {
  const domains = parameters.localDomains.filter((domain) => !overlaps(domain, parameters.remoteDomain));
  for (const own of [parameters.serverName, parameters.serverAddress]) {
    if (own && !domains.includes(own) && !overlaps(own, parameters.remoteDomain)) {
      domains.push(own);
    }
  }
  return domains;
}

function nameReply(name: string): SmtpReply {
  return { code: 250, lines: [name], text: name };
}
