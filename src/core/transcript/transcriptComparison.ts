/**
 * Two runs against one server, made comparable: what differs between any two runs (when they started, the
 * time of each event, the server's queue and message ids, dates in banners) is replaced by a fixed word,
 * so a diff of two normalised transcripts shows only what really changed: a reply that used to be 454 and
 * is now 250. No `vscode` here; SMTP: Compare with Previous Run opens the diff.
 */

/** What each kind of per-run value becomes. */
export const normalisedWords = {
  started: '<start time>',
  queueId: '<queue-id>',
  messageId: '<message-id>',
  date: '<date>',
  time: '<time>',
} as const;

const eventStamp = /^[+-]\d+\.\d{3} |^@\S+ /;
const startedHeader = /^=== started: .*$/;

/**
 * Per-run values inside an event's text. Each is anchored on how MTAs word them, so that an address or
 * a reply code is never taken for an id.
 */
const perRunValues: readonly [RegExp, string][] = [
  // Postfix, the practice server: "250 2.0.0 Ok: queued as 4BXkQ1Z2wz"
  [/\b(queued as) [0-9A-Za-z]+/gi, `$1 ${normalisedWords.queueId}`],
  // Exim: "250 OK id=1tA2bC-000123-Xy"
  [/\b(id=)[0-9A-Za-z-]+/g, `$1${normalisedWords.queueId}`],
  // Exchange: "250 2.6.0 <8f3a...@mail.example.com> [InternalId=1234, Hostname=...] Queued mail for delivery"
  [/<[^<>@\s]+@([^<>\s]+)>(?= \[InternalId| Queued mail)/g, `<${normalisedWords.messageId}@$1>`],
  [/\[InternalId=\d+/g, `[InternalId=${normalisedWords.queueId}`],
  // Sendmail: "250 2.0.0 4B2M0abc012345 Message accepted for delivery"
  [/\b[0-9A-Za-z]{12,16}(?= Message accepted)/g, normalisedWords.queueId],
  // qmail: "250 ok 1733101234 qp 12345"
  [/\bok \d{9,} qp \d+/g, `ok ${normalisedWords.queueId}`],
  // RFC 5322 dates in banners: "Wed, 2 Dec 2026 01:00:00 +0000 (UTC)"
  [/\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|GMT|UTC)(?: \([A-Za-z]+\))?/g, normalisedWords.date],
  // ISO 8601 times in remarks and replies.
  [/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g, normalisedWords.time],
];

/** One line of a transcript with its per-run values replaced. */
export function normaliseTranscriptLine(line: string): string {
  if (startedHeader.test(line)) {
    return `=== started: ${normalisedWords.started}`;
  }
  const text = line.replace(eventStamp, '');
  return perRunValues.reduce((normalised, [pattern, replacement]) => normalised.replace(pattern, replacement), text);
}

/** A whole transcript (our format) normalised for a diff; line for line, so the diff's lines are the file's. */
export function normaliseTranscriptForComparison(text: string): string {
  return text
    .replace(/^\ufeff/, '')
    .split(/\r?\n/)
    .map(normaliseTranscriptLine)
    .join('\n');
}

/** What a stored run is known by (StoredTranscriptEntry of the transcripts index). */
export interface StoredRun {
  id: string;
  /** "Session terminal: …", ".smtp file: relay.smtp": the kind of run. */
  label: string;
  /** host:port. */
  target: string;
  startedAt: number;
}

/**
 * The run before `latest` against the same target: of the same kind (same label: the same .smtp file, the
 * same suite) when there is one, else any.
 */
export function previousRunOf<T extends StoredRun>(latest: T, runs: readonly T[]): T | undefined {
  const earlier = runs
    .filter((run) => run.id !== latest.id && run.target === latest.target && run.startedAt <= latest.startedAt)
    .sort((a, b) => b.startedAt - a.startedAt);
  return earlier.find((run) => run.label === latest.label) ?? earlier[0];
}
