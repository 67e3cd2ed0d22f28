import * as vscode from 'vscode';
import { languageIds, settingKeys } from '../ids';
import type { LabSettings } from '../settings';
import type { TranscriptDiagnostics } from './transcriptDiagnostics';

/**
 * "SMTP: Annotate as SMTP Transcript": a telnet paste or swaks output in any document becomes an
 * `smtp-transcript` document, so it gets the transcript grammar, diagnostics and hovers. Changing the
 * language is VS Code's own idiom for "read this file as X", and the user can switch it back the same way.
 * Takes an optional document URI (explorer menu, tests); resolves with the annotated document.
 */
export async function annotateAsTranscript(
  diagnostics: TranscriptDiagnostics,
  settings: LabSettings,
  uri?: vscode.Uri,
): Promise<vscode.TextDocument | undefined> {
  const target = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
  if (!target) {
    void vscode.window.showErrorMessage('Annotate as SMTP Transcript: open the pasted transcript in an editor first.');
    return undefined;
  }
  const document =
    target.languageId === languageIds.transcript
      ? target
      : await vscode.languages.setTextDocumentLanguage(target, languageIds.transcript);
  const replies = diagnostics.refresh(document);
  if (replies.length === 0) {
    void vscode.window.showInformationMessage(
      'Annotate as SMTP Transcript: no SMTP replies found. Server lines start with a three-digit code (telnet) or "<- " (swaks).',
    );
  } else if (settings.diagnosticsLevel.value === 'off') {
    void vscode.window.showInformationMessage(
      `Annotated ${replies.length} replies. Diagnostics are off (${settingKeys.diagnosticsLevel}); hover a reply for its meaning.`,
    );
  }
  return document;
}
