import { mailboxWithDomain, type MailPath } from './mailPath';

/**
 * What a practice server knows about itself: its name, the domains it receives mail for, the
 * mailboxes that exist, and the addresses it listens on (for `user@[IP]` address literals).
 */
export interface LabSite {
  serverName: string;
  /** The first one is the domain appended to bare user names (the KB's "MAIL FROM:UserName"). */
  localDomains: string[];
  localUsers: string[];
  /** The IP addresses the server listens on, e.g. ["127.0.0.1"]. */
  serverAddresses: string[];
}

export function primaryDomain(site: LabSite): string {
  return site.localDomains[0];
}

/**
 * True when mail for `domain` stays on this server: one of its local domains, its own name, or an
 * address literal of its own ([127.0.0.1], [IPv6:::1]), as MTAs treat their own literals.
 */
export function isLocalDestination(domain: string, site: LabSite): boolean {
  const wanted = domain.toLowerCase();
  if (site.localDomains.some((local) => local.toLowerCase() === wanted)) {
    return true;
  }
  if (wanted === site.serverName.toLowerCase() || wanted === 'localhost') {
    return true;
  }
  const literal = /^\[(?:ipv6:)?([^\]]+)\]$/i.exec(domain);
  return literal !== null && site.serverAddresses.some((address) => address.toLowerCase() === literal[1].toLowerCase());
}

/** A mailbox exists when its local part (quotes removed, case ignored) is one of the local users. */
export function isKnownUser(localPart: string, site: LabSite): boolean {
  const wanted = unquoteLocalPart(localPart).toLowerCase();
  return site.localUsers.some((user) => user.toLowerCase() === wanted);
}

/** `"a b"` -> `a b`, `"a\"b"` -> `a"b`; an unquoted local part is returned as is. */
export function unquoteLocalPart(localPart: string): string {
  if (localPart.length >= 2 && localPart.startsWith('"') && localPart.endsWith('"')) {
    return localPart.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return localPart;
}

/** The sender as an MTA records it: "" for the null sender, the local domain appended to a bare name. */
export function envelopeSender(path: MailPath, site: LabSite): string {
  return path.isNull ? '' : mailboxWithDomain(path, primaryDomain(site));
}
