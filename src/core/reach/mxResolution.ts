import { Resolver } from 'node:dns/promises';
import net from 'node:net';

/**
 * A mail domain as its senders see it (issue 10 §3): its MX hosts by preference, or the domain's own
 * A/AAAA when it has no MX (RFC 5321 §5.1), each host resolved to all its IPv4 and IPv6 addresses, and
 * every distinct address listed once with all the MX names that lead to it.
 */

export interface MailHostAddress {
  /** The MX names that resolve to this address, by preference (the domain itself for the A fallback). */
  names: string[];
  preference: number;
  address: string;
}

export interface MailHostProblem {
  name: string;
  preference: number;
  problem: string;
}

export interface MailDomainResolution {
  domain: string;
  /** 'mx', or 'address' when the domain has no MX and its own A/AAAA records were used. */
  source: 'mx' | 'address';
  addresses: MailHostAddress[];
  /** MX hosts that resolved to no address: each is an 'error' host of the domain's report. */
  problems: MailHostProblem[];
}

export class MailDomainError extends Error {
  override name = 'MailDomainError';
}

/** "HOST[:PORT]" or "[v6]:PORT" of --resolver, in the form Resolver.setServers wants. */
export function resolverServer(text: string): string {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const plain = /^([^:]+)(?::(\d+))?$/.exec(text);
  const host = bracketed?.[1] ?? plain?.[1] ?? (net.isIPv6(text) ? text : undefined);
  const port = bracketed?.[2] ?? plain?.[2];
  if (host === undefined || net.isIP(host) === 0) {
    throw new MailDomainError(`--resolver needs an IP address with an optional port (127.0.0.1:5353, [::1]:53), not "${text}"`);
  }
  if (port === undefined) {
    return host;
  }
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

const noRecords = new Set(['ENODATA', 'ENOTFOUND']);

async function addressesOf(resolver: Resolver, name: string): Promise<{ addresses: string[]; problem?: string }> {
  const results = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
  const addresses: string[] = [];
  const problems: string[] = [];
  for (const result of results) {
    if (result.status === 'fulfilled') {
      addresses.push(...result.value);
    } else if (!noRecords.has(code(result.reason) ?? '')) {
      problems.push(code(result.reason) ?? String(result.reason));
    }
  }
  if (addresses.length === 0) {
    return { addresses, problem: problems.length > 0 ? `looking up its address failed (${problems.join(', ')})` : 'it has no A or AAAA record' };
  }
  return { addresses };
}

export async function resolveMailDomain(domain: string, options: { resolver?: string; timeoutMs?: number } = {}): Promise<MailDomainResolution> {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 5000, tries: 2 });
  if (options.resolver) {
    resolver.setServers([resolverServer(options.resolver)]);
  }
  let mx: { exchange: string; priority: number }[] = [];
  try {
    mx = await resolver.resolveMx(domain);
  } catch (error) {
    if (code(error) === 'ENOTFOUND') {
      throw new MailDomainError(`the domain ${domain} does not exist (NXDOMAIN)`);
    }
    if (code(error) !== 'ENODATA') {
      throw new MailDomainError(`cannot look up the MX records of ${domain}: ${code(error) ?? (error as Error).message}`);
    }
  }
  // RFC 7505 null MX ("0 .") means the domain takes no mail.
  if (mx.length === 1 && (mx[0].exchange === '' || mx[0].exchange === '.')) {
    throw new MailDomainError(`${domain} has a null MX (RFC 7505): it accepts no mail`);
  }
  const hosts =
    mx.length > 0 ? [...mx].sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange)).map((record) => ({ name: record.exchange, preference: record.priority })) : [{ name: domain, preference: 0 }];
  const byAddress = new Map<string, MailHostAddress>();
  const problems: MailHostProblem[] = [];
  const looked = await Promise.all(hosts.map(async (host) => ({ host, found: await addressesOf(resolver, host.name) })));
  for (const { host, found } of looked) {
    if (found.problem) {
      problems.push({ name: host.name, preference: host.preference, problem: found.problem });
      continue;
    }
    for (const address of found.addresses) {
      const known = byAddress.get(address);
      if (known) {
        if (!known.names.includes(host.name)) known.names.push(host.name);
        known.preference = Math.min(known.preference, host.preference);
      } else {
        byAddress.set(address, { names: [host.name], preference: host.preference, address });
      }
    }
  }
  if (mx.length === 0 && byAddress.size === 0) {
    throw new MailDomainError(`${domain} has neither MX records nor an address of its own`);
  }
  return { domain, source: mx.length > 0 ? 'mx' : 'address', addresses: [...byAddress.values()], problems };
}
