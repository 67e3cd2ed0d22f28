import type { Target } from '../target';

/**
 * The terminal's /save goes through "SMTP: Save Transcript" (transcripts/registerTranscripts.ts), which
 * names the file itself. This name is kept for the verdict view's own Save Transcript, which imports it;
 * transcripts/transcriptFileNames.ts `suggestedTranscriptFileName` is the shared one to move to.
 */

/** smtp-127.0.0.1-2525-20250101-120000.smtp-transcript: sorts by server, then by time. */
export function suggestedTranscriptName(target: Pick<Target, 'host' | 'port'>, startedAt: number): string {
  const stamp = new Date(startedAt).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const host = target.host.replace(/[^A-Za-z0-9.-]/g, '_');
  return `smtp-${host}-${target.port}-${stamp}.smtp-transcript`;
}
