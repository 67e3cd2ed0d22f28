import * as vscode from 'vscode';
import { writeTranscript } from '../../core/transcript/transcriptFormat';
import { describeTarget } from '../../core/protocol/sessionOptions';
import { suggestedTranscriptFileName } from '../transcripts/transcriptFileNames';
import type { RelayVerdictRecord } from './relayVerdictRecord';

/**
 * "Save Transcript" next to a verdict: the transcript of exactly that run (not whichever session is
 * active), in our .smtp-transcript format through workspace.fs, then opened so its diagnostics show.
 * `destination` skips the dialog (tests). Resolves with where it went, or undefined when cancelled.
 */
export async function saveRelayTranscript(record: RelayVerdictRecord, destination?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const uri = destination ?? (await askWhereToSave(record));
  if (!uri) {
    return undefined;
  }
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(writeTranscript(record.transcript)));
  await vscode.window.showTextDocument(uri, { preview: false });
  return uri;
}

function askWhereToSave(record: RelayVerdictRecord): Thenable<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const fileName = suggestedTranscriptFileName(describeTarget(record.target), record.report.startedAt);
  return vscode.window.showSaveDialog({
    title: 'Save SMTP Transcript of the Relay Run',
    saveLabel: 'Save Transcript',
    ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, fileName) } : {}),
    filters: { 'SMTP transcripts': ['smtp-transcript'] },
  });
}
