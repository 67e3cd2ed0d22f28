import * as vscode from 'vscode';
import { DisposableStore } from '../disposableStore';
import { commandIds, languageIds } from '../ids';
import type { LabContext } from '../labContext';
import { LiveTranscriptDocuments } from './liveTranscripts';
import { ParsedSmtpDocuments } from './parsedSmtpDocuments';
import { SmtpCodeLensProvider } from './smtpCodeLens';
import { blockAtLine } from '../../core/smtpFile/smtpDocument';
import { SmtpFileDiagnostics } from './smtpFileDiagnostics';
import { SmtpFileEnvironments } from './fileEnvironments';
import { SmtpFileRunDiagnostics } from './smtpFileRunDiagnostics';
import { SmtpFileSessions, type SmtpFileRun } from './smtpFileSessions';

/**
 * The `.smtp` file face: CodeLens "Send" / "Run file", the live transcript beside the file, and the
 * file's own diagnostics.
 *
 * smtpRelayLab.sendBlock(uri?, blockIndex?): sends one block (0-based) of the document on its connection;
 *   without arguments, the block at the cursor of the active .smtp editor (for a keybinding).
 * smtpRelayLab.runFile(uri?): sends every block in order; without an argument, the active .smtp editor.
 * Both resolve with { transcript, results } (the live transcript's URI and each block's replies), or
 * undefined when nothing was sent.
 */
export function registerSmtpFiles(lab: LabContext): vscode.Disposable {
  const store = new DisposableStore();
  const environments = store.add(new SmtpFileEnvironments(lab.extension.workspaceState));
  const parsed = new ParsedSmtpDocuments((text) => ({ environment: environments.variablesFor(text) }));
  const live = store.add(new LiveTranscriptDocuments());
  const runDiagnostics = store.add(new SmtpFileRunDiagnostics());
  const sessions = store.add(new SmtpFileSessions(lab, parsed, live, runDiagnostics));
  const diagnostics = store.add(new SmtpFileDiagnostics(parsed));
  environments.onDidChange(
    () => {
      parsed.invalidate();
      diagnostics.refreshAll();
    },
    undefined,
    store.listenerArray,
  );
  store.add(vscode.languages.registerCodeLensProvider({ language: languageIds.smtp }, store.add(new SmtpCodeLensProvider(parsed, sessions))));

  store.add(
    vscode.commands.registerCommand(commandIds.sendBlock, async (uri?: unknown, blockIndex?: unknown): Promise<SmtpFileRun | undefined> => {
      const editor = activeSmtpEditor();
      const documentUri = uri instanceof vscode.Uri ? uri : editor?.document.uri;
      if (!documentUri) {
        void vscode.window.showInformationMessage('Send Block works in a .smtp file: open one, or create one with the kb-suite snippet.');
        return undefined;
      }
      let index = typeof blockIndex === 'number' ? blockIndex : undefined;
      if (index === undefined && editor && editor.document.uri.toString() === documentUri.toString()) {
        index = blockAtLine(parsed.get(editor.document), editor.selection.active.line)?.index;
      }
      if (index === undefined) {
        void vscode.window.showInformationMessage('Put the cursor in the block to send (blocks start with ###).');
        return undefined;
      }
      return sessions.send(documentUri, index);
    }),
  );
  store.add(
    vscode.commands.registerCommand(commandIds.runFile, async (uri?: unknown): Promise<SmtpFileRun | undefined> => {
      const documentUri = uri instanceof vscode.Uri ? uri : activeSmtpEditor()?.document.uri;
      if (!documentUri) {
        void vscode.window.showInformationMessage('Run File works in a .smtp file: open one, or create one with the kb-suite snippet.');
        return undefined;
      }
      return sessions.send(documentUri, 'all');
    }),
  );
  return store;
}

function activeSmtpEditor(): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor;
  return editor?.document.languageId === languageIds.smtp ? editor : undefined;
}
