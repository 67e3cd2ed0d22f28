import { isIP } from 'node:net';

/**
 * An envelope address as an SMTP server splits it (RFC 5321 §4.1.2): the domain is what follows the
 * LAST "@" outside a quoted string, so `"R@RD"@LD` and `R%RD@LD` both belong to LD. The older routing
 * forms the relay tests probe (% hack, bang paths, source routes) are recorded as found, not resolved:
 * whether a server honours them is exactly what a test asks.
 */
export interface ParsedMailAddress {
  /** The text as given, trimmed. */
  raw: string;
  /** Whether it was written inside angle brackets (RFC 5321 form) or bare (the KB's telnet form). */
  bracketed: boolean;
  /** `<>` or empty: the null reverse-path of NDRs. */
  isNull: boolean;
  /** Hosts of an RFC 5321 source route (`<@a,@b:user@d>`), without their "@"; empty when none. */
  sourceRoute: string[];
  /** The mailbox without brackets and source route: `user@domain`. */
  mailbox: string;
  /** Everything before the last "@" outside quotes (the whole mailbox when there is none). */
  localPart: string;
  /** Everything after the last "@" outside quotes; undefined when the address has no domain. */
  domain?: string;
  /** The local part is one quoted string (`"R@RD"`). */
  quotedLocalPart: boolean;
  /** "@" signs outside quotes in the mailbox: more than one is the double-@ trick (`R@RD@LD`). */
  atSignsOutsideQuotes: number;
  /** `user%host` in the local part (outside quotes): the % hack, split at the last "%". */
  percentHack?: { user: string; host: string };
  /** `host!user` in the local part (outside quotes): a UUCP bang path, split at the first "!". */
  bangPath?: { host: string; user: string };
  /** The address inside an address-literal domain (`[192.0.2.1]`, `[IPv6:2001:db8::1]`). */
  addressLiteral?: string;
}

interface QuoteAwareScan {
  /** Offsets of a character outside quoted strings and address literals. */
  positionsOf(character: string): number[];
}

function scanOutsideQuotes(text: string): QuoteAwareScan {
  const outside: boolean[] = [];
  let inQuotes = false;
  let inLiteral = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (inQuotes) {
      outside.push(false);
      if (character === '\\') {
        // RFC 5321 quoted-pair: the next character is literal, even a quote.
        index++;
        outside.push(false);
      } else if (character === '"') {
        inQuotes = false;
      }
      continue;
    }
    if (inLiteral) {
      outside.push(false);
      if (character === ']') {
        inLiteral = false;
      }
      continue;
    }
    if (character === '"') {
      inQuotes = true;
      outside.push(false);
    } else if (character === '[') {
      inLiteral = true;
      outside.push(false);
    } else {
      outside.push(true);
    }
  }
  return {
    positionsOf(wanted: string): number[] {
      const positions: number[] = [];
      for (let index = 0; index < text.length; index++) {
        if (outside[index] && text[index] === wanted) {
          positions.push(index);
        }
      }
      return positions;
    },
  };
}

function splitSourceRoute(path: string): { sourceRoute: string[]; mailbox: string } {
  if (!path.startsWith('@')) {
    return { sourceRoute: [], mailbox: path };
  }
  const colon = scanOutsideQuotes(path).positionsOf(':')[0];
  if (colon === undefined) {
    return { sourceRoute: [], mailbox: path };
  }
  const sourceRoute = path
    .slice(0, colon)
    .split(',')
    .map((hop) => hop.trim().replace(/^@/, ''))
    .filter((hop) => hop.length > 0);
  return { sourceRoute, mailbox: path.slice(colon + 1) };
}

function literalAddress(domain: string): string | undefined {
  if (!domain.startsWith('[') || !domain.endsWith(']')) {
    return undefined;
  }
  const inside = domain.slice(1, -1);
  return inside.toLowerCase().startsWith('ipv6:') ? inside.slice(5) : inside;
}

export function parseMailAddress(text: string): ParsedMailAddress {
  const raw = text.trim();
  let path = raw;
  const bracketed = raw.startsWith('<');
  if (bracketed) {
    path = raw.endsWith('>') ? raw.slice(1, -1) : raw.slice(1);
  }
  path = path.trim();
  const { sourceRoute, mailbox } = splitSourceRoute(path);

  const atSigns = scanOutsideQuotes(mailbox).positionsOf('@');
  const lastAt = atSigns[atSigns.length - 1];
  const localPart = lastAt === undefined ? mailbox : mailbox.slice(0, lastAt);
  const domain = lastAt === undefined ? undefined : mailbox.slice(lastAt + 1);

  const localScan = scanOutsideQuotes(localPart);
  const percents = localScan.positionsOf('%');
  const lastPercent = percents[percents.length - 1];
  const firstBang = localScan.positionsOf('!')[0];

  const parsed: ParsedMailAddress = {
    raw,
    bracketed,
    isNull: path.length === 0,
    sourceRoute,
    mailbox,
    localPart,
    quotedLocalPart: localPart.length >= 2 && localPart.startsWith('"') && localPart.endsWith('"'),
    atSignsOutsideQuotes: atSigns.length,
  };
  if (domain !== undefined) {
    parsed.domain = domain;
    const literal = literalAddress(domain);
    if (literal !== undefined) {
      parsed.addressLiteral = literal;
    }
  }
  if (lastPercent !== undefined) {
    parsed.percentHack = { user: localPart.slice(0, lastPercent), host: localPart.slice(lastPercent + 1) };
  }
  if (firstBang !== undefined) {
    parsed.bangPath = { host: localPart.slice(0, firstBang), user: localPart.slice(firstBang + 1) };
  }
  return parsed;
}

/** The domain a server delivers to: after the last "@" outside quotes; undefined when there is none. */
export function domainOf(address: string): string | undefined {
  return parseMailAddress(address).domain;
}

/** `[192.0.2.1]` or `[IPv6:2001:db8::1]` (RFC 5321 §4.1.3) for an IP address. */
export function addressLiteralFor(ipAddress: string): string {
  return isIP(ipAddress) === 6 ? `[IPv6:${ipAddress}]` : `[${ipAddress}]`;
}

/** One spelling per IP, so that ::ffff:192.0.2.1 (a dual-stack socket's view) matches 192.0.2.1. */
function normaliseIp(ipAddress: string): string {
  const lower = ipAddress.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  return mapped ? mapped[1] : lower;
}

/**
 * A comparable key for a domain or an IP: lower case, no trailing dot, and an address literal reduced
 * to its address, so `[IPv6:::1]`, `[::1]` and `::1` are one key.
 */
function domainKey(domainOrAddress: string): string {
  const trimmed = domainOrAddress.trim();
  const literal = literalAddress(trimmed);
  if (literal !== undefined) {
    return normaliseIp(literal);
  }
  if (isIP(trimmed) !== 0) {
    return normaliseIp(trimmed);
  }
  return trimmed.toLowerCase().replace(/\.$/, '');
}

/**
 * Whether the server hosts `domain`. Case-insensitive and exact: a subdomain of a local domain is not
 * local (mail.example.com is not example.com), because servers accept subdomains only when configured to.
 * An address literal is local when its address is listed (bare or bracketed): that is how the server's
 * own IP is made local.
 */
export function isLocalDomain(domain: string, localDomains: readonly string[]): boolean {
  const key = domainKey(domain);
  if (key.length === 0) {
    return false;
  }
  return localDomains.some((localDomain) => domainKey(localDomain) === key);
}
