/**
 * Names of transcript files: the ones kept in the extension's storage, and the one the save dialog
 * proposes. No `vscode` here.
 */

export const transcriptFileExtension = '.smtp-transcript';

/** 2026-11-28T22:30:00.123Z -> 20261128-223000 (UTC, so that names sort by time on every machine). */
function compactStamp(startedAt: number): string {
  const iso = Number.isFinite(startedAt) ? new Date(startedAt).toISOString() : new Date(0).toISOString();
  return iso.slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

/** host:port, [v6]:port or anything else, as a safe piece of a file name: "127.0.0.1-2525", "1-25". */
function fileNamePiece(target: string): string {
  const piece = target
    .replace(/[[\]]/g, '')
    .replace(/[^A-Za-z0-9.]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[-.]+|[-.]+$/g, '');
  return piece.slice(0, 80) || 'session';
}

/**
 * The id of a stored transcript, also its file name without the extension: starts with the time, so a
 * directory listing sorts by age; `unique` keeps two sessions of the same second apart.
 */
export function storedTranscriptId(startedAt: number, target: string, unique: string): string {
  const suffix = unique.replace(/[^A-Za-z0-9]/g, '').slice(0, 12) || '0';
  return `${compactStamp(startedAt)}-${fileNamePiece(target)}-${suffix}`;
}

export function storedTranscriptFileName(id: string): string {
  return `${id}${transcriptFileExtension}`;
}

/** What "Save Transcript" proposes: smtp-127.0.0.1-2525-20261128-223000.smtp-transcript. */
export function suggestedTranscriptFileName(target: string, startedAt: number): string {
  return `smtp-${fileNamePiece(target)}-${compactStamp(startedAt)}${transcriptFileExtension}`;
}
