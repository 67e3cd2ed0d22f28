import type { TranscriptHeader } from './transcriptEvent';

/**
 * The domains a session treated as local, kept in the transcript header as `=== local-domains: a, b`.
 * Without them a reader must guess from the banner, and a guess that misses the server's real domain
 * would turn the positive control (a local recipient, accepted) into a false "relays" verdict.
 */
export const localDomainsHeaderKey = 'local-domains';

/** The domains written in the header, or undefined when it names none. */
export function localDomainsOfHeader(header: TranscriptHeader | undefined): string[] | undefined {
  const written = header?.extra?.[localDomainsHeaderKey];
  if (written === undefined) {
    return undefined;
  }
  const domains = written
    .split(',')
    .map((domain) => domain.trim())
    .filter((domain) => domain !== '');
  return domains.length > 0 ? domains : undefined;
}

/** The header entry for these domains, to spread into `header.extra`; nothing for an empty list. */
export function localDomainsHeaderEntry(domains: readonly string[]): Record<string, string> {
  const cleaned = domains.map((domain) => domain.trim()).filter((domain) => domain !== '' && !domain.includes(','));
  return cleaned.length > 0 ? { [localDomainsHeaderKey]: cleaned.join(', ') } : {};
}
