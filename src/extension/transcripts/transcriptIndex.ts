/**
 * The small JSON index of stored session transcripts (`index.json` next to the `.smtp-transcript` files
 * in the extension's global storage): what "Open Recent Transcript" lists, and what decides which files
 * are deleted once more than `transcripts.keepRecent` are kept. No `vscode` here: tested with plain node.
 *
 *     { "version": 1, "transcripts": [ { "id", "file", "label", "target", "startedAt" }, ... ] }   newest first
 */

export interface StoredTranscriptEntry {
  id: string;
  /** File name inside the transcripts folder; never a path (checked on read, since the index is a file anyone can edit). */
  file: string;
  /** What the session was, for a person: "Session terminal: Practice server (exchange)". */
  label: string;
  /** host:port, as in the transcript header. */
  target: string;
  /** Milliseconds since the epoch. */
  startedAt: number;
}

export const transcriptIndexVersion = 1;

/** A bare file name of ours: no separators, no "..", our extension. Anything else is never joined to a path. */
const storedFileNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]*\.smtp-transcript$/;

export function isStoredFileName(name: string): boolean {
  return storedFileNamePattern.test(name) && !name.includes('..');
}

/**
 * The entries of an index file, newest first. Tolerant: text that is not our JSON gives no entries, and
 * an entry with a missing field or a file name that is not a bare name of ours is skipped, so a damaged
 * index costs the list, never a file outside the folder.
 */
export function readTranscriptIndex(text: string): StoredTranscriptEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const list = (parsed as { transcripts?: unknown } | null)?.transcripts;
  if (!Array.isArray(list)) {
    return [];
  }
  const entries = list.flatMap((raw): StoredTranscriptEntry[] => {
    const entry = readEntry(raw);
    return entry === undefined ? [] : [entry];
  });
  return newestFirst(uniqueById(entries));
}

export function writeTranscriptIndex(entries: readonly StoredTranscriptEntry[]): string {
  return JSON.stringify({ version: transcriptIndexVersion, transcripts: newestFirst(uniqueById(entries)) }, null, 2) + '\n';
}

/** The entries with this one added, or updated in place when its id is already there; newest first. */
export function withEntry(entries: readonly StoredTranscriptEntry[], entry: StoredTranscriptEntry): StoredTranscriptEntry[] {
  return newestFirst([entry, ...entries.filter((known) => known.id !== entry.id)]);
}

export interface Retention {
  kept: StoredTranscriptEntry[];
  dropped: StoredTranscriptEntry[];
}

/**
 * Keeps the `keep` newest entries. Sessions still running in this window (`live`) are always kept, and
 * count toward the limit: a running terminal must not lose its file to a newer one.
 */
export function retainRecent(entries: readonly StoredTranscriptEntry[], keep: number, live: ReadonlySet<string>): Retention {
  const kept: StoredTranscriptEntry[] = [];
  const dropped: StoredTranscriptEntry[] = [];
  for (const entry of newestFirst(entries)) {
    if (live.has(entry.id) || kept.length < keep) {
      kept.push(entry);
    } else {
      dropped.push(entry);
    }
  }
  return { kept, dropped };
}

function readEntry(raw: unknown): StoredTranscriptEntry | undefined {
  if (typeof raw !== 'object' || raw === null) {
    return undefined;
  }
  const { id, file, label, target, startedAt } = raw as Record<string, unknown>;
  if (
    typeof id !== 'string' ||
    id === '' ||
    typeof file !== 'string' ||
    !isStoredFileName(file) ||
    typeof label !== 'string' ||
    typeof target !== 'string' ||
    typeof startedAt !== 'number' ||
    !Number.isFinite(startedAt)
  ) {
    return undefined;
  }
  return { id, file, label, target, startedAt };
}

function uniqueById(entries: readonly StoredTranscriptEntry[]): StoredTranscriptEntry[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    if (seen.has(entry.id)) {
      return false;
    }
    seen.add(entry.id);
    return true;
  });
}

/** Newest first; ties keep their order (Array.prototype.sort is stable). */
function newestFirst(entries: readonly StoredTranscriptEntry[]): StoredTranscriptEntry[] {
  return [...entries].sort((a, b) => b.startedAt - a.startedAt);
}
