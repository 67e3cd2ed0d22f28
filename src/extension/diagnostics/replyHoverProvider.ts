import * as vscode from 'vscode';
import type { AnnotatedReply } from '../../core/transcript/annotateTranscript';
import { explainReply } from './replyExplanation';
import { diagnosticSource, TranscriptDiagnostics } from './transcriptDiagnostics';

/**
 * Explains the reply under the pointer: its code (RFC 5321), its enhanced code (RFC 3463), its KB 304897
 * class and the reason. Reads the annotation the diagnostics already made for this version.
 */
export class ReplyHoverProvider implements vscode.HoverProvider {
  constructor(private readonly diagnostics: TranscriptDiagnostics) {}

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    if (!TranscriptDiagnostics.isTranscript(document)) {
      return undefined;
    }
    const reply = replyAtLine(this.diagnostics.repliesOf(document), position.line + 1);
    if (reply === undefined) {
      return undefined;
    }
    const shownAsProblem = vscode.languages
      .getDiagnostics(document.uri)
      .some((diagnostic) => diagnostic.source === diagnosticSource && diagnostic.range.start.line === reply.line - 1);
    const markdown = new vscode.MarkdownString(explainReply(reply, { shownAsProblem }));
    // Server text is untrusted: no command links, no HTML.
    markdown.isTrusted = false;
    markdown.supportHtml = false;
    const replyText = new vscode.Range(reply.line - 1, reply.startColumn, reply.line - 1, reply.endColumn);
    // On the timestamp or marker of our format, or on a continuation line, the whole line is the target.
    const range = replyText.contains(position) ? replyText : document.lineAt(position.line).range;
    return new vscode.Hover(markdown, range);
  }
}

/** The reply whose lines include `line` (1-based). */
function replyAtLine(replies: readonly AnnotatedReply[], line: number): AnnotatedReply | undefined {
  return replies.find((reply) => reply.line <= line && line <= reply.endLine);
}
