import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { SmtpSession } from '../../../src/core/protocol/session';
import type { TranscriptEvent } from '../../../src/core/transcript/transcriptEvent';
import { readTranscript } from '../../../src/core/transcript/transcriptFormat';
import { localDomainsOfHeader } from '../../../src/core/transcript/transcriptLocalDomains';
import { commandIds, extensionId, languageIds, settingKeys } from '../../../src/extension/ids';
import type { LabContext } from '../../../src/extension/labContext';
import type { StoredTranscriptEntry } from '../../../src/extension/transcripts/transcriptIndex';
import type { TranscriptRecording } from '../../../src/extension/transcripts/transcriptStore';

/**
 * The transcripts store inside VS Code: sessions tracked through `lab.transcripts`, kept in the
 * extension's global storage, saved with "Save Transcript" and reopened with "Open Recent Transcript".
 */

/** A session-like source whose events the test fires by hand. */
class ScriptedSource {
  private readonly emitter = new vscode.EventEmitter<TranscriptEvent>();

  onEvent(listener: (event: TranscriptEvent) => void): () => void {
    const subscription = this.emitter.event(listener);
    return () => subscription.dispose();
  }

  say(kind: TranscriptEvent['kind'], text: string): void {
    this.emitter.fire({ kind, text, tls: false, at: Date.now() });
  }
}

function converse(source: ScriptedSource): void {
  source.say('received', '220 mail.example.com ESMTP');
  source.say('sent', 'EHLO client.example.org');
  source.say('received', '250 mail.example.com');
  source.say('sent', 'MAIL FROM:<user@example.net>');
  source.say('received', '250 2.1.0 Ok');
  source.say('sent', 'RCPT TO:<someone@example.net>');
  source.say('received', '554 5.7.1 <someone@example.net>: Relay access denied');
}

async function readText(uri: vscode.Uri): Promise<string> {
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

async function setKeepRecent(value: number | undefined): Promise<void> {
  await vscode.workspace.getConfiguration().update(settingKeys.keepRecentTranscripts, value, vscode.ConfigurationTarget.Global);
}

describe('transcripts store', () => {
  let lab: LabContext;
  let folder: vscode.Uri;

  before(async () => {
    lab = (await vscode.extensions.getExtension(extensionId)!.activate()) as LabContext;
    assert.ok(lab?.transcripts, 'the extension API exposes the transcripts store');
    folder = vscode.workspace.workspaceFolders![0].uri;
  });

  after(async () => {
    await setKeepRecent(undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  function storedEntry(entries: readonly StoredTranscriptEntry[], recording: TranscriptRecording): StoredTranscriptEntry {
    const entry = entries.find((candidate) => candidate.id === recording.id);
    assert.ok(entry, `${recording.label} is in the index`);
    return entry;
  }

  describe('a tracked session', () => {
    let recording: TranscriptRecording;

    before(async () => {
      const source = new ScriptedSource();
      recording = lab.transcripts.track('Test: relay denied', '192.0.2.25:25', source, {
        extra: { tls: 'none' },
        localDomains: ['example.com'],
      });
      converse(source);
      await recording.finish();
    });

    it('records every event, in order, and writes our format with the local domains in the header', () => {
      assert.equal(recording.events.length, 7);
      const read = readTranscript(recording.toText());
      assert.equal(read.header.target, '192.0.2.25:25');
      assert.equal(read.header.extra?.tls, 'none');
      assert.deepEqual(localDomainsOfHeader(read.header), ['example.com']);
      assert.deepEqual(read.events.map((event) => event.text), recording.events.map((event) => event.text));
    });

    it('is kept in the extension global storage: one .smtp-transcript file plus an index entry', async () => {
      const entry = storedEntry(await lab.transcripts.stored(), recording);
      assert.equal(entry.label, 'Test: relay denied');
      assert.equal(entry.target, '192.0.2.25:25');
      const uri = lab.transcripts.uriOf(entry);
      assert.ok(uri.path.startsWith(lab.extension.globalStorageUri.path), `${uri.path} is in global storage`);
      assert.ok(uri.path.endsWith('.smtp-transcript'));
      assert.equal(await readText(uri), recording.toText());
      const index = JSON.parse(await readText(vscode.Uri.joinPath(lab.extension.globalStorageUri, 'transcripts', 'index.json')));
      assert.ok(index.transcripts.some((listed: { id: string }) => listed.id === recording.id));
    });

    it('"Save Transcript" writes it where asked, then opens it as a transcript with its diagnostics', async () => {
      const target = vscode.Uri.joinPath(folder, 'saved-session.smtp-transcript');
      const saved = await vscode.commands.executeCommand<vscode.Uri>(commandIds.saveTranscript, target, recording.id);
      assert.equal(saved?.toString(), target.toString());
      const text = await readText(target);
      assert.equal(text, recording.toText());
      assert.match(text, /^=== SMTP Relay Lab transcript v1\n/);
      assert.match(text, / <- {2}554 5\.7\.1 <someone@example\.net>: Relay access denied\n/);

      const editor = vscode.window.activeTextEditor;
      assert.equal(editor?.document.uri.toString(), target.toString(), 'the saved file is open');
      assert.equal(editor?.document.languageId, languageIds.transcript);
      const diagnostics = await new Promise<vscode.Diagnostic[]>((resolve) => {
        const check = (): boolean => {
          const found = vscode.languages.getDiagnostics(target).filter((diagnostic) => diagnostic.code === 'relay-denied');
          if (found.length > 0) {
            resolve(found);
          }
          return found.length > 0;
        };
        if (!check()) {
          const listener = vscode.languages.onDidChangeDiagnostics(() => check() && listener.dispose());
        }
      });
      assert.equal(diagnostics.length, 1);
    });

    it('"Open Recent Transcript" opens the stored copy in the smtp-transcript language', async () => {
      const document = await vscode.commands.executeCommand<vscode.TextDocument>(commandIds.openRecentTranscript, recording.id);
      assert.ok(document, 'the command resolves with the document');
      assert.equal(document.languageId, languageIds.transcript);
      assert.equal(document.getText(), recording.toText());
      assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), document.uri.toString());
    });
  });

  describe('a real SMTP session against the practice server', () => {
    let practice: { host: string; port: number } | undefined;

    before(async () => {
      practice = await vscode.commands.executeCommand<{ host: string; port: number }>(commandIds.startPracticeServer, 'exchange');
      assert.ok(practice, 'the practice server started');
    });

    after(async () => {
      await vscode.commands.executeCommand(commandIds.stopPracticeServer);
    });

    it('is recorded line by line and on disk as soon as the connection closes', async () => {
      const session = new SmtpSession({ host: practice!.host, port: practice!.port, tls: 'none' });
      const recording = lab.transcripts.track('Test: practice session', `${practice!.host}:${practice!.port}`, session);
      try {
        await session.connect();
        await session.ehlo('client.example.org');
        await session.quit();
      } finally {
        session.close();
      }
      const sentLines = recording.events.filter((event) => event.kind === 'sent').map((event) => event.text);
      assert.deepEqual(sentLines, ['EHLO client.example.org', 'QUIT']);
      assert.deepEqual(recording.events, session.transcript, 'the recording holds exactly what the session recorded');

      // The close already wrote it: stored() waits for writes in progress, not for finish().
      const entry = storedEntry(await lab.transcripts.stored(), recording);
      assert.equal(await readText(lab.transcripts.uriOf(entry)), recording.toText());
      await recording.finish();
    });
  });

  describe('keeping only the most recent', () => {
    it('deletes the oldest finished transcripts beyond smtpRelayLab.transcripts.keepRecent', async () => {
      await setKeepRecent(2);
      try {
        // Start times newer than anything stored (so these three are the ones pruning chooses between), yet in the
        // past: a start in the future would make them "the most recent recording" for the tests that follow.
        const newestStored = Math.max(0, ...(await lab.transcripts.stored()).map((entry) => entry.startedAt));
        while (Date.now() <= newestStored + 3) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        const now = Date.now();
        const recordings: TranscriptRecording[] = [];
        for (const msAgo of [3, 2, 1]) {
          const source = new ScriptedSource();
          const recording = lab.transcripts.track(`Test: keep ${msAgo} ms ago`, '192.0.2.25:25', source, { startedAt: now - msAgo });
          converse(source);
          await recording.finish();
          recordings.push(recording);
        }
        const [oldest, middle, newest] = recordings;
        const entries = await lab.transcripts.stored();
        const ids = entries.map((entry) => entry.id);
        assert.ok(ids.includes(newest.id) && ids.includes(middle.id), 'the two newest are kept');
        assert.equal(ids.includes(oldest.id), false, 'the oldest is no longer listed');
        assert.ok(ids.length <= 2 + lab.transcripts.recordings.filter((recording) => !recording.isFinished).length);
        const oldestFile = vscode.Uri.joinPath(lab.extension.globalStorageUri, 'transcripts', `${oldest.id}.smtp-transcript`);
        assert.equal(await exists(oldestFile), false, 'its file is deleted');
      } finally {
        await setKeepRecent(undefined);
      }
    });

    it('keeps nothing on disk at keepRecent 0, but the recording still works in memory', async () => {
      await setKeepRecent(0);
      try {
        const source = new ScriptedSource();
        const recording = lab.transcripts.track('Test: not kept', '192.0.2.25:25', source);
        converse(source);
        await recording.finish();
        assert.equal(recording.events.length, 7);
        const entries = await lab.transcripts.stored();
        assert.equal(entries.some((entry) => entry.id === recording.id), false);
      } finally {
        await setKeepRecent(undefined);
      }
    });
  });
});
