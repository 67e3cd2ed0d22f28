import * as vscode from 'vscode';
import { writeTranscript } from '../../core/transcript/transcriptFormat';
import { describeTarget } from '../../core/protocol/sessionOptions';
import { suggestedTranscriptFileName } from '../transcripts/transcriptFileNames';
import type { DomainVerdictRecord, RelayVerdictRecord } from './relayVerdictRecord';

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

/**
 * "Save Transcripts" next to a mail domain's verdict: one .smtp-transcript file per address tested, each the
 * transcript of exactly that address's run, into one folder (`folder` skips the dialog: tests). Resolves with
 * the files written, or undefined when cancelled.
 */
export async function saveDomainTranscripts(record: DomainVerdictRecord, folder?: vscode.Uri): Promise<vscode.Uri[] | undefined> {
  const chosen =
    folder ??
    (
      await vscode.window.showOpenDialog({
        title: `Save the SMTP Transcripts of ${record.report.domain}'s Addresses`,
        openLabel: 'Save Transcripts Here',
        canSelectFiles: false,
        canSelectFolders: true,
        canSelectMany: false,
        ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
      })
    )?.[0];
  if (!chosen) {
    return undefined;
  }
  const written: vscode.Uri[] = [];
  for (const host of record.records.values()) {
    const uri = vscode.Uri.joinPath(chosen, suggestedTranscriptFileName(describeTarget(host.target), host.report.startedAt));
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(writeTranscript(host.transcript)));
    written.push(uri);
  }
  return written;
}
