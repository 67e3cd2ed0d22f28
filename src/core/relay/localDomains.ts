import type { SmtpReply } from '../protocol/reply';

/**
 * When the user names no local domain, the server's own words are the best guess: the name in its
 * banner ("220 mx.example.com ESMTP") and in the first EHLO line ("250-mx.example.com Hello"),
 * plus the parent domain of that name, which is what most servers receive mail for.
 */

const hostNamePattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const addressLiteralPattern = /^\[[0-9a-f:.]+\]$|^\[ipv6:[0-9a-f:.]+\]$/i;

/**
 * The first word of a greeting or EHLO reply when it is a host name with a dot, "localhost", or an
 * address literal. A dotless word is more often "ESMTP" or a product name than a host.
 */
export function serverNameFromReply(reply: SmtpReply | undefined): string | undefined {
  const firstLine = reply?.lines[0] ?? '';
  const firstWord = firstLine.trim().split(/\s+/)[0] ?? '';
  const named = firstWord.includes('.') || firstWord.toLowerCase() === 'localhost';
  if (named && hostNamePattern.test(firstWord) && !/^[\d.]+$/.test(firstWord)) {
    return firstWord.replace(/\.$/, '').toLowerCase();
  }
  if (addressLiteralPattern.test(firstWord)) {
    return firstWord;
  }
  return undefined;
}

/** mx.example.com -> example.com; a two-label name has no parent worth guessing (example.com -> none). */
function parentDomainOf(name: string): string | undefined {
  if (name.startsWith('[')) {
    return undefined;
  }
  const labels = name.split('.');
  return labels.length >= 3 ? labels.slice(1).join('.') : undefined;
}

/**
 * The domains to treat as local. Configured domains always win; otherwise the names from the greeting
 * and the EHLO reply and their parent domains, without duplicates, in that order.
 */
export function inferLocalDomains(
  greeting: SmtpReply | undefined,
  ehloReply: SmtpReply | undefined,
  configured: readonly string[] = [],
): string[] {
  if (configured.length > 0) {
    return [...configured];
  }
  return localDomainsOfServerNames([serverNameFromReply(greeting), serverNameFromReply(ehloReply)]);
}

/** Each server name and its parent domain, without duplicates (for faces that only have the names). */
export function localDomainsOfServerNames(names: readonly (string | undefined)[]): string[] {
  const domains: string[] = [];
  const add = (domain: string | undefined): void => {
    if (domain && !domains.some((known) => known.toLowerCase() === domain.toLowerCase())) {
      domains.push(domain);
    }
  };
  for (const name of names) {
    add(name);
    add(name === undefined ? undefined : parentDomainOf(name));
  }
  return domains;
}
