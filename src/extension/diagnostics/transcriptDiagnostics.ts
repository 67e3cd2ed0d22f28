import { displayText } from '../../core/protocol/displayText';
import * as vscode from 'vscode';
import { annotateImportedTranscript, type AnnotatedReply } from '../../core/transcript/annotateTranscript';
import { parseAnyTranscript } from '../../core/transcript/transcriptImport';
import { localDomainsOfHeader } from '../../core/transcript/transcriptLocalDomains';
import { DisposableStore, toDisposable } from '../disposableStore';
import { diagnosticCollectionName, languageIds } from '../ids';
import { log } from '../log';
import type { LabSettings } from '../settings';
import { findingForReply, type FindingSeverity } from './diagnosticMapping';

/** Long enough to let a burst of typing settle, short enough to feel live. */
const refreshDelayMs = 250;

export const diagnosticSource = 'SMTP Relay Lab';

/**
 * Schemes of documents that are a view of another one (an older version in a diff, say): marking them
 * too would list every finding twice in the Problems view.
 */
const ignoredSchemes = new Set(['git', 'gitfs', 'output', 'vscode-scm', 'review', 'pr']);

const severities: Record<FindingSeverity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

interface DocumentAnnotation {
  version: number;
  replies: AnnotatedReply[];
}

/**
 * The one diagnostic collection of the extension, for documents in the `smtp-transcript` language (our
 * files, and any paste the user marked with "Annotate as SMTP Transcript"). Work happens only on events:
 * a document opens, changes (debounced), becomes visible, or the level setting changes. Nothing is
 * scanned at activation beyond the editors already on screen.
 */
export class TranscriptDiagnostics implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly collection: vscode.DiagnosticCollection;
  /** Keyed by URI string; also what hovers read, so a hover never re-parses an unchanged document. */
  private readonly annotations = new Map<string, DocumentAnnotation>();
  private readonly pendingRefreshes = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly settings: LabSettings) {
    this.collection = this.store.add(vscode.languages.createDiagnosticCollection(diagnosticCollectionName));
    this.store.add(toDisposable(() => this.pendingRefreshes.forEach((timer) => clearTimeout(timer))));
    const listeners = this.store.listenerArray;
    vscode.workspace.onDidOpenTextDocument(this.refreshIfTranscript, this, listeners);
    vscode.workspace.onDidChangeTextDocument((event) => this.scheduleRefresh(event.document), this, listeners);
    vscode.workspace.onDidCloseTextDocument((document) => this.forget(document.uri), this, listeners);
    vscode.window.onDidChangeVisibleTextEditors(this.annotateVisible, this, listeners);
    vscode.window.tabGroups.onDidChangeTabs(this.forgetDocumentsWithoutTabs, this, listeners);
    settings.diagnosticsLevel.onDidChange(this.refreshAnnotated, this, listeners);
    // The transcript that activated the extension was opened before these listeners existed.
    this.annotateVisible(vscode.window.visibleTextEditors);
  }

  static isTranscript(document: vscode.TextDocument): boolean {
    return document.languageId === languageIds.transcript && !ignoredSchemes.has(document.uri.scheme);
  }

  /** The document's replies with their verdicts, for its current version (annotated now if need be). */
  repliesOf(document: vscode.TextDocument): readonly AnnotatedReply[] {
    const known = this.annotations.get(document.uri.toString());
    if (known?.version === document.version) {
      return known.replies;
    }
    return this.refresh(document);
  }

  /** Annotates the document now and replaces its diagnostics; returns its replies. */
  refresh(document: vscode.TextDocument): readonly AnnotatedReply[] {
    const key = document.uri.toString();
    this.cancelPendingRefresh(key);
    const replies = annotateDocument(document);
    this.annotations.set(key, { version: document.version, replies });
    this.collection.set(document.uri, this.diagnosticsFor(replies));
    return replies;
  }

  dispose(): void {
    this.store.dispose();
    this.annotations.clear();
  }

  private diagnosticsFor(replies: readonly AnnotatedReply[]): vscode.Diagnostic[] {
    const level = this.settings.diagnosticsLevel.value;
    const diagnostics: vscode.Diagnostic[] = [];
    for (const reply of replies) {
      const finding = findingForReply(reply, level);
      if (finding === undefined) {
        continue;
      }
      const range = new vscode.Range(reply.line - 1, reply.startColumn, reply.line - 1, reply.endColumn);
      const diagnostic = new vscode.Diagnostic(range, displayText(finding.message), severities[finding.severity]);
      diagnostic.code = finding.code;
      diagnostic.source = diagnosticSource;
      diagnostics.push(diagnostic);
    }
    return diagnostics;
  }

  private refreshIfTranscript(document: vscode.TextDocument): void {
    if (TranscriptDiagnostics.isTranscript(document)) {
      this.refresh(document);
    }
  }

  /** Only documents already annotated: one whose tab closed stays without marks until it is shown again. */
  private scheduleRefresh(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    if (!TranscriptDiagnostics.isTranscript(document) || !this.annotations.has(key)) {
      return;
    }
    this.cancelPendingRefresh(key);
    this.pendingRefreshes.set(
      key,
      setTimeout(() => {
        this.pendingRefreshes.delete(key);
        if (!document.isClosed && this.annotations.has(key)) {
          this.refresh(document);
        }
      }, refreshDelayMs),
    );
  }

  private cancelPendingRefresh(key: string): void {
    const timer = this.pendingRefreshes.get(key);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.pendingRefreshes.delete(key);
    }
  }

  /** Editors on screen whose transcript has no annotation yet (opened before activation, or tab reopened). */
  private annotateVisible(editors: readonly vscode.TextEditor[]): void {
    for (const { document } of editors) {
      if (TranscriptDiagnostics.isTranscript(document) && !this.annotations.has(document.uri.toString())) {
        this.refresh(document);
      }
    }
  }

  private refreshAnnotated(): void {
    for (const document of vscode.workspace.textDocuments) {
      if (this.annotations.has(document.uri.toString())) {
        this.refresh(document);
      }
    }
  }

  /**
   * VS Code disposes a closed document only some time after its last editor closed; the user expects its
   * problems to go with the tab. A tab that shows it again brings them back (annotateVisible).
   */
  private forgetDocumentsWithoutTabs(event: vscode.TabChangeEvent): void {
    if (event.closed.length === 0) {
      return;
    }
    const stillShown = new Set<string>();
    for (const group of vscode.window.tabGroups.all) {
      for (const tab of group.tabs) {
        if (tab.input instanceof vscode.TabInputText) {
          stillShown.add(tab.input.uri.toString());
        }
      }
    }
    for (const tab of event.closed) {
      if (tab.input instanceof vscode.TabInputText && !stillShown.has(tab.input.uri.toString())) {
        this.forget(tab.input.uri);
      }
    }
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    this.cancelPendingRefresh(key);
    this.annotations.delete(key);
    this.collection.delete(uri);
  }
}

function annotateDocument(document: vscode.TextDocument): AnnotatedReply[] {
  try {
    const imported = parseAnyTranscript(document.getText());
    const localDomains = localDomainsOfHeader(imported.header);
    return annotateImportedTranscript(imported, localDomains === undefined ? {} : { localDomains }).replies;
  } catch (error) {
    // The importer promises never to throw; if it ever does, one document loses its marks, not the extension.
    log.error(`Could not annotate ${document.uri.toString(true)}`, error);
    return [];
  }
}
