import type { SmtpReply } from './reply';

/** What a server announced in its EHLO reply (RFC 5321 §4.1.1.1), with the extensions we act on spelled out. */
export interface EhloCapabilities {
  /** The first word of the first line: the name the server gives itself. */
  domain: string;
  /** Every keyword line after the first, upper-cased keyword to its parameters, as sent. */
  keywords: ReadonlyMap<string, readonly string[]>;
  /** SIZE limit in bytes (RFC 1870); undefined when absent or announced without a number. */
  size?: number;
  starttls: boolean;
  /** AUTH mechanisms, upper-cased and without duplicates, from both `AUTH x y` and the old `AUTH=x y`. */
  authMechanisms: string[];
  pipelining: boolean;
  enhancedStatusCodes: boolean;
  eightBitMime: boolean;
  dsn: boolean;
  smtputf8: boolean;
  chunking: boolean;
}

export function parseEhloReply(reply: SmtpReply): EhloCapabilities {
  const [first = '', ...rest] = reply.text.split('\n');
  const keywords = new Map<string, string[]>();
  const authMechanisms = new Set<string>();
  for (const line of rest) {
    // Some servers (old Exchange, some Sendmail) announce AUTH as "AUTH=LOGIN PLAIN" for pre-RFC clients.
    const words = line.trim().split(/[ =]+|\t+/).filter((word) => word.length > 0);
    const legacyAuth = /^AUTH=/i.test(line.trim());
    const keyword = words.shift()?.toUpperCase();
    if (!keyword) {
      continue;
    }
    if (keyword === 'AUTH') {
      for (const mechanism of words) {
        authMechanisms.add(mechanism.toUpperCase());
      }
      if (legacyAuth && keywords.has('AUTH')) {
        continue;
      }
    }
    keywords.set(keyword, words);
  }
  const sizeParameter = keywords.get('SIZE')?.[0];
  const size = sizeParameter !== undefined && /^\d+$/.test(sizeParameter) ? Number(sizeParameter) : undefined;
  const capabilities: EhloCapabilities = {
    domain: first.trim().split(/\s+/)[0] ?? '',
    keywords,
    starttls: keywords.has('STARTTLS'),
    authMechanisms: [...authMechanisms],
    pipelining: keywords.has('PIPELINING'),
    enhancedStatusCodes: keywords.has('ENHANCEDSTATUSCODES'),
    eightBitMime: keywords.has('8BITMIME'),
    dsn: keywords.has('DSN'),
    smtputf8: keywords.has('SMTPUTF8'),
    chunking: keywords.has('CHUNKING'),
  };
  if (size !== undefined) {
    capabilities.size = size;
  }
  return capabilities;
}

/** What a server that only speaks HELO (RFC 821) supports: nothing beyond the basics. */
export function capabilitiesOfHeloReply(reply: SmtpReply): EhloCapabilities {
  return parseEhloReply({ ...reply, text: reply.text.split('\n')[0] ?? '' });
}
