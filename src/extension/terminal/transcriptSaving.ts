import * as vscode from 'vscode';
import type { Transcript } from '../../core/transcriptEvent';
import { writeTranscript } from '../../core/transcriptFormat';
import type { Target } from '../target';

/**
 * /save in the session terminal: a Save As dialog, then the transcript in our v1 format through
 * workspace.fs (so it works on remote and virtual workspaces too). Resolves with where it went, for the
 * terminal to say, or undefined when the user cancelled.
 */
export async function saveTranscriptAs(transcript: Transcript, target: Target): Promise<string | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const fileName = suggestedTranscriptName(target, transcript.header.startedAt);
  const uri = await vscode.window.showSaveDialog({
    title: 'Save SMTP Transcript',
    saveLabel: 'Save Transcript',
    ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, fileName) } : {}),
    filters: { 'SMTP transcripts': ['smtp-transcript'] },
  });
  if (!uri) {
    return undefined;
  }
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(writeTranscript(transcript)));
  return uri.scheme === 'file' ? uri.fsPath : uri.toString();
}

/** smtp-127.0.0.1-2525-20250101-120000.smtp-transcript: sorts by server, then by time. */
export function suggestedTranscriptName(target: Pick<Target, 'host' | 'port'>, startedAt: number): string {
  const stamp = new Date(startedAt).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const host = target.host.replace(/[^A-Za-z0-9.-]/g, '_');
  return `smtp-${host}-${target.port}-${stamp}.smtp-transcript`;
}
