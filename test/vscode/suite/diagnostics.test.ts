import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TranscriptEvent } from '../../../src/core/transcript/transcriptEvent';
import { writeTranscript } from '../../../src/core/transcript/transcriptFormat';
import { commandIds, extensionId, languageIds, settingKeys } from '../../../src/extension/ids';

/**
 * Diagnostics and hovers on transcripts inside VS Code: a saved file in our format, and a raw telnet paste
 * marked with "Annotate as SMTP Transcript". Diagnostics are refreshed after a debounce, so every wait is
 * for VS Code's diagnostics event, never for a time.
 */

const fixtures = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'transcripts');
const startedAt = Date.parse('2026-11-28T22:30:00.000Z');

/** One session against a server that denies tests 1-5, appends its domain for test 6, and relays one. */
const session: [TranscriptEvent['kind'], string][] = [
  ['received', '220 mail.example.com ESMTP'],
  ['sent', 'EHLO client.example.org'],
  ['received', '250-mail.example.com Hello'],
  ['received', '250 ENHANCEDSTATUSCODES'],
  ['sent', 'MAIL FROM:<user@example.net>'],
  ['received', '250 2.1.0 Sender OK'],
  ['sent', 'RCPT TO:<someone@example.net>'],
  ['received', '550 5.7.1 Unable to relay for someone@example.net'],
  ['sent', 'RCPT TO:someone%example.net'],
  ['received', '250 2.1.5 someone%example.net@example.com'],
  ['sent', 'RCPT TO:<victim@example.org>'],
  ['received', '250 2.1.5 Ok'],
  ['sent', 'QUIT'],
  ['received', '221 2.0.0 Bye'],
];

const transcriptText = writeTranscript({
  header: { tool: 'smtp-relay-lab 0.1.0', target: '192.0.2.25:25', startedAt },
  events: session.map(([kind, text], index) => ({ kind, text, tls: false, at: startedAt + index * 10 })),
});

/** 0-based line and the column where the reply text starts, found in the text as written. */
function positionOf(text: string, replyText: string): { line: number; start: number; end: number } {
  const lines = text.split('\n');
  const line = lines.findIndex((candidate) => candidate.endsWith(replyText));
  assert.ok(line >= 0, `"${replyText}" is in the transcript`);
  const start = lines[line].length - replyText.length;
  return { line, start, end: lines[line].length };
}

/** Resolves with the document's diagnostics once `accept` holds, checking at each diagnostics change. */
function diagnosticsWhen(uri: vscode.Uri, accept: (diagnostics: vscode.Diagnostic[]) => boolean): Promise<vscode.Diagnostic[]> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      const diagnostics = vscode.languages.getDiagnostics(uri);
      if (accept(diagnostics)) {
        resolve(diagnostics);
        return true;
      }
      return false;
    };
    if (check()) {
      return;
    }
    const listener = vscode.languages.onDidChangeDiagnostics((event) => {
      if (event.uris.some((changed) => changed.toString() === uri.toString()) && check()) {
        listener.dispose();
      }
    });
  });
}

function ours(diagnostics: readonly vscode.Diagnostic[]): vscode.Diagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.source === 'SMTP Relay Lab');
}

async function hoverText(uri: vscode.Uri, position: vscode.Position): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position);
  return hovers
    .flatMap((hover) => hover.contents)
    .map((content) => (typeof content === 'string' ? content : content.value))
    .join('\n');
}

async function setLevel(level: string | undefined): Promise<void> {
  await vscode.workspace.getConfiguration().update(settingKeys.diagnosticsLevel, level, vscode.ConfigurationTarget.Global);
}

describe('transcript diagnostics', () => {
  let folder: vscode.Uri;

  before(async () => {
    await vscode.extensions.getExtension(extensionId)!.activate();
    const workspaceFolder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspaceFolder, 'the suite runs with a workspace folder');
    folder = workspaceFolder.uri;
  });

  after(async () => {
    await setLevel(undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  describe('a saved transcript in our format', () => {
    let uri: vscode.Uri;
    let document: vscode.TextDocument;

    before(async () => {
      uri = vscode.Uri.joinPath(folder, 'relay-check.smtp-transcript');
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(transcriptText));
      document = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(document);
    });

    it('opens in the smtp-transcript language', () => {
      assert.equal(document.languageId, languageIds.transcript);
    });

    it('gets one diagnostic per relevant reply, with its kind as code, its severity and the reply text as range', async () => {
      const diagnostics = ours(await diagnosticsWhen(uri, (found) => ours(found).length === 3));
      const byCode = new Map(diagnostics.map((diagnostic) => [String(diagnostic.code), diagnostic]));
      assert.deepEqual([...byCode.keys()].sort(), ['ndr-pending', 'relay-denied', 'relayed']);

      const denied = byCode.get('relay-denied')!;
      assert.equal(denied.severity, vscode.DiagnosticSeverity.Information);
      const deniedAt = positionOf(transcriptText, '550 5.7.1 Unable to relay for someone@example.net');
      assert.deepEqual(
        [denied.range.start.line, denied.range.start.character, denied.range.end.line, denied.range.end.character],
        [deniedAt.line, deniedAt.start, deniedAt.line, deniedAt.end],
      );
      assert.match(denied.message, /relay denied: the server refused to forward/);

      // The echo with the local domain appended proves local handling: Information, not a Warning to act on.
      const pending = byCode.get('ndr-pending')!;
      assert.equal(pending.severity, vscode.DiagnosticSeverity.Information);
      assert.equal(pending.range.start.line, positionOf(transcriptText, '250 2.1.5 someone%example.net@example.com').line);
      assert.match(pending.message, /not relayed, an NDR will follow/);

      const relayed = byCode.get('relayed')!;
      assert.equal(relayed.severity, vscode.DiagnosticSeverity.Error);
      assert.equal(relayed.range.start.line, positionOf(transcriptText, '250 2.1.5 Ok').line);
      assert.match(relayed.message, /accepted for remote recipient victim@example\.org: this server relays/);
    });

    it('explains a reply on hover: the code, the enhanced code with its RFC 3463 meaning, the class', async () => {
      const at = positionOf(transcriptText, '550 5.7.1 Unable to relay for someone@example.net');
      const text = await hoverText(uri, new vscode.Position(at.line, at.start + 2));
      assert.match(text, /\*\*550 5\.7\.1\*\*: rejection \(permanent\)/);
      assert.match(text, /Reply code 550: requested action not taken: mailbox unavailable/);
      assert.match(text, /Enhanced code 5\.7\.1: permanent failure: delivery not authorized, message refused \(relay denied\)/);
      assert.match(text, /Class: rejection/);
    });

    it('says a reply\'s reason once: the hover leaves out what its problem, shown in the same hover, already says', async () => {
      const at = positionOf(transcriptText, '550 5.7.1 Unable to relay for someone@example.net');
      const problem = ours(vscode.languages.getDiagnostics(uri)).find((diagnostic) => diagnostic.range.start.line === at.line);
      assert.ok(problem, 'the reply has a problem');
      const text = await hoverText(uri, new vscode.Position(at.line, at.start + 2));
      assert.ok(!text.includes(problem.message), `the hover does not repeat "${problem.message}"`);
      assert.match(text, /Class: rejection/);
    });

    it('explains the reply also when the pointer is on its timestamp', async () => {
      const at = positionOf(transcriptText, '250 2.1.5 Ok');
      const text = await hoverText(uri, new vscode.Position(at.line, 0));
      assert.match(text, /accepted for a remote recipient: \*\*this server relays\*\*/);
    });

    it('gives no hover on a command line', async () => {
      const at = positionOf(transcriptText, 'RCPT TO:<victim@example.org>');
      assert.equal(await hoverText(uri, new vscode.Position(at.line, at.start + 1)), '');
    });

    it('marks every reply at level "all" (acceptances as hints) and none at "off"', async () => {
      const replies = session.filter(([kind]) => kind === 'received').length - 1; // one multiline EHLO reply
      try {
        await setLevel('all');
        const all = ours(await diagnosticsWhen(uri, (found) => ours(found).length === replies));
        const hints = all.filter((diagnostic) => diagnostic.severity === vscode.DiagnosticSeverity.Hint);
        assert.ok(hints.every((diagnostic) => diagnostic.code === 'accepted'));
        assert.equal(hints.length, replies - 3);
        await setLevel('off');
        await diagnosticsWhen(uri, (found) => ours(found).length === 0);
      } finally {
        await setLevel(undefined);
      }
      await diagnosticsWhen(uri, (found) => ours(found).length === 3);
    });

    it('follows an edit: a refusal turned into an acceptance becomes a relay error', async () => {
      const at = positionOf(document.getText(), '550 5.7.1 Unable to relay for someone@example.net');
      const editor = await vscode.window.showTextDocument(document);
      const edited = await editor.edit((edit) =>
        edit.replace(new vscode.Range(at.line, at.start, at.line, at.end), '250 2.1.5 Recipient OK'),
      );
      assert.ok(edited);
      const diagnostics = ours(await diagnosticsWhen(uri, (found) => ours(found).filter((d) => d.code === 'relayed').length === 2));
      assert.equal(diagnostics.some((diagnostic) => diagnostic.code === 'relay-denied'), false);
    });

    it('loses its diagnostics when its editor closes', async () => {
      await vscode.window.showTextDocument(document);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await diagnosticsWhen(uri, (found) => ours(found).length === 0);
    });
  });

  describe('a raw telnet paste marked with "Annotate as SMTP Transcript"', () => {
    let document: vscode.TextDocument;

    before(async () => {
      const paste = fs.readFileSync(path.join(fixtures, 'kb304897-exchange-tests-1-7.lf.telnet.txt'), 'utf8');
      const untitled = await vscode.workspace.openTextDocument({ content: paste, language: 'plaintext' });
      await vscode.window.showTextDocument(untitled);
      assert.deepEqual(ours(vscode.languages.getDiagnostics(untitled.uri)), [], 'plain text gets no diagnostics');
      document = (await vscode.commands.executeCommand<vscode.TextDocument>(commandIds.annotateAsTranscript))!;
    });

    after(async () => {
      if (document) {
        await vscode.window.showTextDocument(document);
        await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      }
    });

    it('switches the document to the smtp-transcript language', () => {
      assert.ok(document, 'the command resolves with the document');
      assert.equal(document.languageId, languageIds.transcript);
    });

    it('marks KB tests 1-5 as relay-denied Information and tests 6 and 7 (proven local by the echo) as NDR-pending Information', async () => {
      const diagnostics = ours(await diagnosticsWhen(document.uri, (found) => ours(found).length === 7));
      const lines = (code: string): number[] =>
        diagnostics.filter((diagnostic) => diagnostic.code === code).map((diagnostic) => diagnostic.range.start.line + 1);
      assert.deepEqual(lines('relay-denied'), [30, 36, 42, 48, 54]);
      assert.deepEqual(lines('ndr-pending'), [60, 66]);
      for (const diagnostic of diagnostics) {
        assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Information);
        assert.equal(diagnostic.range.start.character, 0, 'a telnet reply starts at the start of its line');
      }
    });

    it('explains test 6 on hover as NDR-pending', async () => {
      const text = await hoverText(document.uri, new vscode.Position(59, 5));
      assert.match(text, /NDR-pending: accepted for local delivery, not relayed/);
      assert.match(text, /Answers: `RCPT TO:someone%example\.net` on line 59/);
    });
  });
});
