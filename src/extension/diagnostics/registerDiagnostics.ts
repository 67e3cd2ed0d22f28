import * as vscode from 'vscode';
import { DisposableStore } from '../disposableStore';
import { commandIds, languageIds } from '../ids';
import type { LabContext } from '../labContext';
import { annotateAsTranscript } from './annotateAsTranscriptCommand';
import { ReplyHoverProvider } from './replyHoverProvider';
import { TranscriptDiagnostics } from './transcriptDiagnostics';

/**
 * The transcript face of the editor: a diagnostic per reply (per smtpRelayLab.diagnostics.level), a hover
 * that explains each reply, and "Annotate as SMTP Transcript" for pasted text.
 */
export function registerDiagnostics(lab: LabContext): vscode.Disposable {
  const store = new DisposableStore();
  const diagnostics = store.add(new TranscriptDiagnostics(lab.settings));
  store.add(vscode.languages.registerHoverProvider({ language: languageIds.transcript }, new ReplyHoverProvider(diagnostics)));
  store.add(
    vscode.commands.registerCommand(commandIds.annotateAsTranscript, (uri?: unknown) =>
      annotateAsTranscript(diagnostics, lab.settings, uri instanceof vscode.Uri ? uri : undefined),
    ),
  );
  return store;
}
