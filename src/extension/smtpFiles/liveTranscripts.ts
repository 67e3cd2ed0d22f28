import * as vscode from 'vscode';
import { DisposableStore, toDisposable, type Disposable } from '../disposableStore';
import { languageIds } from '../ids';

/**
 * The scheme of the read-only documents that show a .smtp file's conversation as it happens. Their path
 * ends in `.smtp-transcript`, so they open in the transcript language and the transcript diagnostics and
 * hovers work on them as on a saved file.
 */
export const liveTranscriptScheme = 'smtp-transcript';

/** What a live document shows: the transcript text now (our v1 format). */
export type TranscriptText = () => string;

interface Binding {
  text: TranscriptText;
  /** False once the .smtp file let go of it: the document keeps its last text until it is closed. */
  live: boolean;
}

/**
 * While replies stream in, redraw at most this often. VS Code drops a pending update of a virtual document
 * when the next one arrives, so redrawing per line could leave a fast stream unshown until it stops.
 */
const redrawDelayMs = 100;

/**
 * A TextDocumentContentProvider for `smtp-transcript:` documents, one per .smtp file: the transcript
 * beside the file, redrawn as events arrive.
 */
export class LiveTranscriptDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly changeEmitter = this.store.add(new vscode.EventEmitter<vscode.Uri>());
  private readonly bindings = new Map<string, Binding>();
  private readonly redraws = new Map<string, ReturnType<typeof setTimeout>>();
  /** Line counts at the last redraw, to tell whether an editor was following the end. */
  private readonly lineCounts = new Map<string, number>();

  readonly onDidChange = this.changeEmitter.event;

  constructor() {
    this.store.add(vscode.workspace.registerTextDocumentContentProvider(liveTranscriptScheme, this));
    this.store.add(toDisposable(() => this.redraws.forEach((timer) => clearTimeout(timer))));
    vscode.workspace.onDidCloseTextDocument(this.forgetIfReleased, this, this.store.listenerArray);
    vscode.workspace.onDidChangeTextDocument(this.followTail, this, this.store.listenerArray);
  }

  /** relay.smtp -> smtp-transcript:/folder/relay.smtp-transcript?<the .smtp file's URI>. */
  static uriFor(source: vscode.Uri): vscode.Uri {
    const base = source.path.replace(/\.smtp$/i, '');
    const path = `${base.startsWith('/') ? '' : '/'}${base}.smtp-transcript`;
    return vscode.Uri.from({ scheme: liveTranscriptScheme, path, query: source.toString() });
  }

  /** Shows `text` at `uri` from now on; the returned disposable lets go (the last text stays shown). */
  bind(uri: vscode.Uri, text: TranscriptText): Disposable {
    const key = uri.toString();
    const binding: Binding = { text, live: true };
    this.bindings.set(key, binding);
    this.changed(uri);
    return toDisposable(() => {
      binding.live = false;
    });
  }

  /** The transcript at `uri` has new events: redraw soon. */
  changed(uri: vscode.Uri): void {
    const key = uri.toString();
    if (this.redraws.has(key)) {
      return;
    }
    this.redraws.set(
      key,
      setTimeout(() => {
        this.redraws.delete(key);
        this.changeEmitter.fire(uri);
      }, redrawDelayMs),
    );
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.bindings.get(uri.toString())?.text() ?? '';
  }

  /** Opens the transcript beside the active editor, unless it is already on screen. */
  async show(uri: vscode.Uri): Promise<vscode.TextDocument> {
    let document = await vscode.workspace.openTextDocument(uri);
    if (document.languageId !== languageIds.transcript) {
      // A files.associations entry could map the extension elsewhere; this view is a transcript regardless.
      document = await vscode.languages.setTextDocumentLanguage(document, languageIds.transcript);
    }
    if (!vscode.window.visibleTextEditors.some((editor) => editor.document === document)) {
      await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: false });
    }
    return document;
  }

  /**
   * Keeps the newest reply on screen, as a terminal does: an editor that showed the last line before the
   * redraw scrolls to the new last line; one the user scrolled up to read stays where it is.
   */
  private followTail(event: vscode.TextDocumentChangeEvent): void {
    const { document } = event;
    if (document.uri.scheme !== liveTranscriptScheme) {
      return;
    }
    const key = document.uri.toString();
    const previousLastLine = (this.lineCounts.get(key) ?? 1) - 1;
    this.lineCounts.set(key, document.lineCount);
    for (const editor of vscode.window.visibleTextEditors) {
      const shownUntil = editor.visibleRanges.at(-1)?.end.line ?? 0;
      if (editor.document === document && shownUntil >= previousLastLine - 1) {
        const last = document.lineCount - 1;
        editor.revealRange(new vscode.Range(last, 0, last, 0), vscode.TextEditorRevealType.Default);
      }
    }
  }

  dispose(): void {
    this.store.dispose();
    this.bindings.clear();
  }

  private forgetIfReleased(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    if (document.uri.scheme === liveTranscriptScheme) {
      this.lineCounts.delete(key);
      if (this.bindings.get(key)?.live === false) {
        this.bindings.delete(key);
      }
    }
  }
}
