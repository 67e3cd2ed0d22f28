import * as vscode from 'vscode';
import { DisposableStore } from '../disposableStore';
import { commandIds, languageIds, settingKeys } from '../ids';
import type { LabContext } from '../labContext';
import { suggestedTranscriptFileName, transcriptFileExtension } from './transcriptFileNames';
import type { StoredTranscriptEntry } from './transcriptIndex';
import type { TranscriptRecording, TranscriptStore } from './transcriptStore';

/**
 * "SMTP: Save Transcript" and "SMTP: Open Recent Transcript", over the store in `lab.transcripts`.
 *
 * smtpRelayLab.saveTranscript(uri?, recordingId?): saves a session of this window (the one with the
 *   latest event, or a quick pick when there are several) to `uri`, or where the save dialog says; then
 *   opens the file so its diagnostics show. Resolves with the URI, or undefined when cancelled.
 * smtpRelayLab.openRecentTranscript(id?): opens a stored transcript (quick pick unless `id` is given).
 *   Resolves with the document, or undefined.
 */
export function registerTranscripts(lab: LabContext): vscode.Disposable {
  const store = new DisposableStore();
  const transcripts = lab.transcripts;
  store.add(
    vscode.commands.registerCommand(commandIds.saveTranscript, (uri?: unknown, recordingId?: unknown) =>
      saveTranscript(transcripts, uri instanceof vscode.Uri ? uri : undefined, typeof recordingId === 'string' ? recordingId : undefined),
    ),
  );
  store.add(
    vscode.commands.registerCommand(commandIds.openRecentTranscript, (id?: unknown) =>
      openRecentTranscript(lab, typeof id === 'string' ? id : undefined),
    ),
  );
  return store;
}

async function saveTranscript(
  transcripts: TranscriptStore,
  uri: vscode.Uri | undefined,
  recordingId: string | undefined,
): Promise<vscode.Uri | undefined> {
  const recording = recordingId === undefined ? await pickRecording(transcripts.recordings) : transcripts.recording(recordingId);
  if (!recording) {
    if (recordingId !== undefined || transcripts.recordings.length === 0) {
      void vscode.window.showInformationMessage(
        'No SMTP session to save in this window. Sessions you start are recorded; "SMTP: Open Recent Transcript" opens earlier ones.',
      );
    }
    return undefined;
  }
  const destination = uri ?? (await askWhereToSave(recording));
  if (!destination) {
    return undefined;
  }
  await vscode.workspace.fs.writeFile(destination, new TextEncoder().encode(recording.toText()));
  await showAsTranscript(await vscode.workspace.openTextDocument(destination));
  return destination;
}

async function pickRecording(recordings: readonly TranscriptRecording[]): Promise<TranscriptRecording | undefined> {
  if (recordings.length <= 1) {
    return recordings[0];
  }
  const chosen = await vscode.window.showQuickPick(
    recordings.map((recording) => ({
      label: recording.label,
      description: recording.target,
      detail: `${recording.isRunning ? 'running' : 'ended'} · started ${new Date(recording.startedAt).toLocaleString()} · ${recording.events.length} lines`,
      recording,
    })),
    { title: 'Save SMTP Transcript', placeHolder: 'Which session? The most recent is first.' },
  );
  return chosen?.recording;
}

async function askWhereToSave(recording: TranscriptRecording): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const fileName = suggestedTranscriptFileName(recording.target, recording.startedAt);
  return vscode.window.showSaveDialog({
    title: 'Save SMTP Transcript',
    saveLabel: 'Save Transcript',
    ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, fileName) } : {}),
    filters: { 'SMTP transcripts': [transcriptFileExtension.slice(1)] },
  });
}

async function openRecentTranscript(lab: LabContext, id: string | undefined): Promise<vscode.TextDocument | undefined> {
  const transcripts = lab.transcripts;
  const entries = await transcripts.stored();
  if (entries.length === 0) {
    const why =
      lab.settings.keepRecentTranscripts.value === 0
        ? `Transcripts are not kept: ${settingKeys.keepRecentTranscripts} is 0.`
        : 'No stored transcripts yet: every session is kept here once it has exchanged a line.';
    void vscode.window.showInformationMessage(why);
    return undefined;
  }
  const entry = id === undefined ? await pickStored(entries, transcripts) : entries.find((candidate) => candidate.id === id);
  if (!entry) {
    return undefined;
  }
  let document: vscode.TextDocument;
  try {
    document = await vscode.workspace.openTextDocument(transcripts.uriOf(entry));
  } catch {
    await transcripts.forget(entry);
    void vscode.window.showErrorMessage(`The transcript of ${entry.label} is no longer stored; it was removed from the list.`);
    return undefined;
  }
  return showAsTranscript(document);
}

async function pickStored(entries: readonly StoredTranscriptEntry[], transcripts: TranscriptStore): Promise<StoredTranscriptEntry | undefined> {
  const chosen = await vscode.window.showQuickPick(
    entries.map((entry) => {
      const running = transcripts.recording(entry.id)?.isRunning === true;
      return {
        label: entry.label,
        description: entry.target,
        detail: `${running ? 'running · ' : ''}started ${new Date(entry.startedAt).toLocaleString()}`,
        entry,
      };
    }),
    { title: 'Open Recent SMTP Transcript', placeHolder: 'Which session? The newest is first.', matchOnDescription: true },
  );
  return chosen?.entry;
}

/** Opens the document in the transcript language whatever its file name, so diagnostics and hovers apply. */
async function showAsTranscript(document: vscode.TextDocument): Promise<vscode.TextDocument> {
  const transcript =
    document.languageId === languageIds.transcript ? document : await vscode.languages.setTextDocumentLanguage(document, languageIds.transcript);
  await vscode.window.showTextDocument(transcript, { preview: false });
  return transcript;
}
