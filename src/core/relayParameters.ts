import { localDomainsOfServerNames, serverNameFromReply } from './localDomains';
import type { SmtpReply } from './reply';
import type { RelayTestParameters } from './relayTypes';

/**
 * The test parameters every face (CLI, terminal, Test Explorer, Run Relay Suite) uses when the user gives
 * none. Reserved names (RFC 2606), so nothing sent by default can reach a real mailbox; the remote user
 * says what it is to whoever reads the server's log.
 */
export const relayParameterDefaults = {
  localUser: 'postmaster',
  remoteDomain: 'example.net',
  remoteUser: 'relay-test',
} as const;

/** What the connection taught us about the server before the first test. */
export interface ServerFacts {
  greeting?: SmtpReply;
  ehloReply?: SmtpReply;
  /** The first word of the EHLO reply, when only parsed capabilities are at hand. */
  ehloName?: string;
  /** The IP actually connected to. */
  remoteAddress?: string;
}

/**
 * The parameters with the gaps the user left filled from the server itself: local domains from its
 * banner and EHLO name (configured ones always win), its address from the socket, its name from the
 * greeting.
 */
export function resolveRelayParameters(parameters: RelayTestParameters, facts: ServerFacts): RelayTestParameters {
  const greetingName = serverNameFromReply(facts.greeting);
  const ehloName = serverNameFromReply(facts.ehloReply) ?? (facts.ehloName ? serverNameFromReply(nameReply(facts.ehloName)) : undefined);
  const localDomains =
    parameters.localDomains.length > 0 ? [...parameters.localDomains] : localDomainsOfServerNames([greetingName, ehloName]);
  const serverAddress = parameters.serverAddress || facts.remoteAddress || '';
  const serverName = parameters.serverName ?? greetingName ?? ehloName;
  return { ...parameters, localDomains, serverAddress, ...(serverName === undefined ? {} : { serverName }) };
}

/**
 * The domains the classifier treats as local: the local domains, the server's own name (mail to a host
 * by its own name is delivered there, not relayed) and its address, so that an address literal of the
 * server ([IP]) counts as local (mailAddress.ts matches it bare).
 */
export function classificationDomains(parameters: RelayTestParameters): string[] {
  const domains = [...parameters.localDomains];
  for (const own of [parameters.serverName, parameters.serverAddress]) {
    if (own && !domains.includes(own)) {
      domains.push(own);
    }
  }
  return domains;
}

function nameReply(name: string): SmtpReply {
  return { code: 250, lines: [name], text: name };
}
