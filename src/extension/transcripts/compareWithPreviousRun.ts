import * as vscode from 'vscode';
import { describeError } from '../../core/protocol/errors';
import { normaliseTranscriptForComparison, previousRunOf } from '../../core/transcript/transcriptComparison';
import { DisposableStore } from '../disposableStore';
import { commandIds } from '../ids';
import type { LabContext } from '../labContext';
import type { StoredTranscriptEntry } from './transcriptIndex';

/** Read-only documents holding a stored transcript normalised for comparison. */
export const comparisonScheme = 'smtp-relay-compare';

/** What the command resolves with: the two sides of the diff (older left, newer right). */
export interface TranscriptComparison {
  previous: vscode.Uri;
  latest: vscode.Uri;
}

/**
 * SMTP: Compare with Previous Run (argument: a stored transcript id, optional). Opens VS Code's diff editor
 * on a stored transcript and the run before it against the same target (of the same kind, the same .smtp
 * file or terminal, when there is one), both normalised: timestamps, queue ids and banner dates do not
 * show as changes, so a reply that was 454 and is now 250 does. Without an argument, the run shown in the
 * active editor, else a pick among the runs that have a previous one.
 */
export function registerCompareWithPreviousRun(lab: LabContext): vscode.Disposable {
  const store = new DisposableStore();
  const contents = new Map<string, string>();
  store.add(
    vscode.workspace.registerTextDocumentContentProvider(comparisonScheme, {
      provideTextDocumentContent: (uri) => contents.get(uri.toString()) ?? '',
    }),
  );
  store.add(
    vscode.commands.registerCommand(commandIds.compareWithPreviousRun, async (id?: unknown): Promise<TranscriptComparison | undefined> => {
      const entries = await lab.transcripts.stored();
      const latest = await chooseLatest(lab, entries, typeof id === 'string' ? id : undefined);
      if (!latest) {
        return undefined;
      }
      const previous = previousRunOf(latest, entries);
      if (!previous) {
        void vscode.window.showInformationMessage(`No earlier stored run against ${latest.target} to compare "${latest.label}" with.`);
        return undefined;
      }
      try {
        const [previousUri, latestUri] = await Promise.all(
          [previous, latest].map(async (entry) => {
            const bytes = await vscode.workspace.fs.readFile(lab.transcripts.uriOf(entry));
            const uri = vscode.Uri.from({ scheme: comparisonScheme, path: `/${entry.id}.smtp-transcript` });
            contents.set(uri.toString(), normaliseTranscriptForComparison(new TextDecoder().decode(bytes)));
            return uri;
          }),
        );
        const when = (entry: StoredTranscriptEntry) => new Date(entry.startedAt).toLocaleString();
        await vscode.commands.executeCommand(
          'vscode.diff',
          previousUri,
          latestUri,
          `${latest.target}: ${when(previous)} ↔ ${when(latest)} (normalised)`,
        );
        return { previous: previousUri, latest: latestUri };
      } catch (error) {
        void vscode.window.showErrorMessage(`Could not compare the runs against ${latest.target}: ${describeError(error)}`);
        return undefined;
      }
    }),
  );
  return store;
}

async function chooseLatest(lab: LabContext, entries: readonly StoredTranscriptEntry[], id: string | undefined): Promise<StoredTranscriptEntry | undefined> {
  if (id !== undefined) {
    const entry = entries.find((candidate) => candidate.id === id);
    if (!entry) {
      void vscode.window.showWarningMessage('That transcript is no longer stored.');
    }
    return entry;
  }
  const active = vscode.window.activeTextEditor?.document.uri.toString();
  const shown = entries.find((entry) => lab.transcripts.uriOf(entry).toString() === active);
  if (shown) {
    return shown;
  }
  const comparable = entries.filter((entry) => previousRunOf(entry, entries) !== undefined);
  if (comparable.length === 0) {
    void vscode.window.showInformationMessage('No target has two stored runs yet: run a file, a suite or a session against the same server twice.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    comparable.map((entry) => ({ label: entry.target, description: entry.label, detail: new Date(entry.startedAt).toLocaleString(), entry })),
    { title: 'Compare a run with the one before it', placeHolder: 'Runs against a target that was run before' },
  );
  return picked?.entry;
}
