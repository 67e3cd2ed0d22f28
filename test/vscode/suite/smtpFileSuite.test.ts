import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { commandIds, diagnosticCodes, extensionId, languageIds, settingKeys } from '../../../src/extension/ids';
import type { LabContext } from '../../../src/extension/labContext';
import type { SmtpFileRun } from '../../../src/extension/smtpFiles/smtpFileSessions';
import type { TranscriptComparison } from '../../../src/extension/transcripts/compareWithPreviousRun';
import { startPracticeServer, type PracticeServer } from '../../../src/lab/practiceServer';
import { LiveTranscriptDocuments } from '../../../src/extension/smtpFiles/liveTranscripts';
import { newTarget } from '../../../src/extension/target';
import { startServerHoldingSecondBlock, twoBlockFile } from '../../support/heldReplyServer';

/** Waits until `read` gives a value, re-reading as the editor changes; fails with what it last saw. */
async function eventually<T>(what: string, read: () => T | undefined | Promise<T | undefined>, limitMs = 20_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await read();
    if (value !== undefined && value !== false) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`gave up waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function lensTitles(document: vscode.TextDocument, line: number): Promise<string[]> {
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri);
  return lenses.filter((lens) => lens.range.start.line === line).map((lens) => lens.command?.title ?? '');
}

async function openSmtp(content: string): Promise<vscode.TextDocument> {
  const document = await vscode.workspace.openTextDocument({ language: languageIds.smtp, content });
  await vscode.window.showTextDocument(document);
  return document;
}

/**
 * .smtp files as a suite (issue 9): # @expect judged on Run File (CodeLens, Problems, live transcript), the
 * missing-RSET quick fix, environments, and Compare with Previous Run, against practice servers.
 */
describe('.smtp files as a test suite', () => {
  let lab: LabContext;
  let open: PracticeServer;
  let postfix: PracticeServer;

  before(async () => {
    lab = (await vscode.extensions.getExtension<LabContext>(extensionId)!.activate())!;
    open = await startPracticeServer({ persona: 'open' });
    postfix = await startPracticeServer({ persona: 'postfix' });
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration().update(settingKeys.environments, undefined, vscode.ConfigurationTarget.Global);
    await open.close();
    await postfix.close();
  });

  it("while a .smtp file is in front, the status bar names the server it talks to (its # @target) beside the active target, and drops it once another editor is in front", async () => {
    await lab.targets.setCurrent({ ...newTarget('127.0.0.1', postfix.port), tls: 'none' });
    const current = new RegExp(`SMTP 127\\.0\\.0\\.1:${postfix.port}$`);
    await eventually('the current target in the status bar', () => current.test(lab.connectionStatus.text));
    const document = await openSmtp([`# @target 127.0.0.1:${open.port}`, '# @tls none', '', '### greet', 'EHLO client.example.org'].join('\n'));
    const fileItem = await eventually('the file\'s server in the status bar', () => lab.connectionStatus.fileText);
    assert.match(fileItem, new RegExp(`→ 127\\.0\\.0\\.1:${open.port}$`));
    assert.match(lab.connectionStatus.fileTooltip, new RegExp(`sends to 127\\.0\\.0\\.1:${open.port} \\(no TLS\\).*use 127\\.0\\.0\\.1:${postfix.port}`));
    assert.match(lab.connectionStatus.text, current, 'the active target is still named beside it');

    const other = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'notes' });
    await vscode.window.showTextDocument(other);
    await eventually('no file item once a plain editor is in front', () => lab.connectionStatus.fileText === undefined);

    await vscode.window.showTextDocument(document);
    await eventually('the file\'s server again', () => lab.connectionStatus.fileText?.endsWith(`→ 127.0.0.1:${open.port}`));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await eventually('no file item once no .smtp file is in front', () => lab.connectionStatus.fileText === undefined);
    assert.match(lab.connectionStatus.text, current);
  });

  it('Run File judges each # @expect: ✓ above a block that held, ✗ and an Error on the command with the reply above one that failed, and the live transcript marks both', async () => {
    const document = await openSmtp(
      [
        `# @target 127.0.0.1:${open.port}`,
        '# @tls none',
        '# @local-domain corp.example',
        '',
        '### greet',
        '# @expect 250',
        'EHLO client.example.org',
        '',
        '### kb1',
        '# @confirm',
        'MAIL FROM:<relay-test@example.net>',
        '# @expect rejection|relay-denied',
        'RCPT TO:<relay-test@example.net>',
      ].join('\n'),
    );
    const run = await vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.runFile, document.uri);
    assert.ok(run, 'the file ran');
    assert.deepEqual(
      run.blocks.map((block) => block.expectations.map((verdict) => verdict.passed)),
      [[true], [false]],
    );

    assert.ok((await lensTitles(document, 4)).includes('✓ @expect 250 held'), (await lensTitles(document, 4)).join(' | '));
    const failedLens = (await lensTitles(document, 8)).find((title) => title.startsWith('✗'));
    assert.match(failedLens ?? '', /^✗ @expect rejection\|relay-denied: got 250 /);

    const errors = await eventually('the failed expectation in the Problems panel', () => {
      const found = vscode.languages.getDiagnostics(document.uri).filter((diagnostic) => diagnostic.code === diagnosticCodes.expectationFailed);
      return found.length > 0 ? found : undefined;
    });
    assert.equal(errors.length, 1);
    assert.equal(errors[0].severity, vscode.DiagnosticSeverity.Error);
    assert.equal(errors[0].range.start.line, 12, 'on the RCPT line');
    assert.match(errors[0].message, /expected rejection\|relay-denied, got 250/);

    const transcript = await eventually('the live transcript with the marks', () => {
      const shown = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === run.transcript.toString());
      return shown?.getText().includes('FAILED: expected') ? shown.getText() : undefined;
    });
    assert.match(transcript, /=== @expect on line 6 held: 250: 250 /);
    assert.match(transcript, /\*\*\* @expect on line 12 FAILED: expected rejection\|relay-denied, got 250/);
  });

  it('each block\'s ✓/✗ reaches the live transcript, the CodeLens and Problems as it finishes, while the next block still waits for its reply', async () => {
    // Block 2's RSET gets its reply only when the test says so: block 1 is then certainly done, block 2 not.
    const { server, release } = await startServerHoldingSecondBlock();
    try {
      const document = await openSmtp(twoBlockFile(server.port, '5xx'));
      const liveUri = LiveTranscriptDocuments.uriFor(document.uri).toString();
      const liveText = (): string | undefined => vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === liveUri)?.getText();
      const running = vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.runFile, document.uri);

      const [peer] = await server.waitForPeers(1);
      await eventually('block 2 sent and waiting for its reply', () => peer.received.includes('RSET'));
      const midRun = await eventually('block 1\'s mark in the live transcript while block 2 waits', () => {
        const text = liveText();
        return text?.includes('@expect on line 4 FAILED') ? text : undefined;
      });
      assert.match(midRun, /\*\*\* @expect on line 4 FAILED: expected 5xx, got 250 2\.0\.0 Ok/);
      assert.doesNotMatch(midRun, /@expect on line 7/, 'block 2 has no reply yet, so no mark');
      assert.ok(!peer.sentBytes.toString('latin1').includes('Flushed'), 'the server still holds block 2\'s reply');
      const failedLens = await eventually('block 1\'s ✗ CodeLens while block 2 waits', async () => (await lensTitles(document, 2)).find((title) => title.startsWith('✗')));
      assert.match(failedLens, /^✗ @expect 5xx: got 250 /);
      assert.ok((await lensTitles(document, 5)).includes('$(sync~spin) Sending…'), (await lensTitles(document, 5)).join(' | '));
      const error = await eventually('block 1\'s failed expectation in Problems while block 2 waits', () =>
        vscode.languages.getDiagnostics(document.uri).find((diagnostic) => diagnostic.code === diagnosticCodes.expectationFailed),
      );
      assert.equal(error.range.start.line, 4, 'on the NOOP line');

      release();
      const run = await running;
      assert.ok(run, 'the file ran');
      assert.deepEqual(
        run.blocks.map((block) => block.expectations.map((verdict) => verdict.passed)),
        [[false], [true]],
      );
      const done = await eventually('block 2\'s mark in the live transcript', () => {
        const text = liveText();
        return text?.includes('@expect on line 7 held') ? text : undefined;
      });
      assert.ok(done.indexOf('@expect on line 4 FAILED') < done.indexOf('block 2: two'), 'block 1\'s mark precedes block 2 in the transcript');
      assert.ok((await lensTitles(document, 5)).includes('✓ @expect 250 held'), (await lensTitles(document, 5)).join(' | '));
      assert.deepEqual(server.scriptErrors, []);
    } finally {
      release();
      await server.close();
    }
  });

  it('# @target 127.0.0.1:{{$processEnv NAME}} connects where the environment says; an unset variable is an Error on the directive and nothing is sent', async () => {
    const variable = 'SMTP_RELAY_LAB_SUITE_PORT';
    process.env[variable] = String(postfix.port);
    try {
      const document = await openSmtp([`# @target 127.0.0.1:{{$processEnv ${variable}}}`, '# @tls none', '### greet', '# @expect 250', 'EHLO client.example.org'].join('\n'));
      const run = await vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.runFile, document.uri);
      assert.ok(run, 'the file ran');
      assert.match(run.results[0].replies[0].reply.text, /Postfix/, 'it talked to the practice Postfix');
      assert.deepEqual(run.blocks[0].expectations.map((verdict) => verdict.passed), [true]);
      const transcript = await eventually('the live transcript with the mark', () => {
        const text = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === run.transcript.toString())?.getText();
        return text?.includes('@expect on line 4 held') ? text : undefined;
      });
      assert.match(transcript, new RegExp(`^=== target: 127\\.0\\.0\\.1:${postfix.port}$`, 'm'));

      const unset = await openSmtp(['# @tls none', '# @target 127.0.0.1:{{$processEnv SMTP_RELAY_LAB_SUITE_UNSET}}', '### greet', 'EHLO client.example.org'].join('\n'));
      const connectionsBefore = postfix.log.entries.filter((entry) => entry.kind === 'connect').length;
      const refused = await vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.runFile, unset.uri);
      assert.equal(refused, undefined, 'nothing was sent');
      const problem = await eventually('the Error on the directive', () =>
        vscode.languages.getDiagnostics(unset.uri).find((diagnostic) => diagnostic.severity === vscode.DiagnosticSeverity.Error),
      );
      assert.deepEqual([problem.range.start.line, problem.range.start.character], [1, 10]);
      assert.match(problem.message, /@target: \{\{\$processEnv SMTP_RELAY_LAB_SUITE_UNSET\}\} has no value: that environment variable is not set/);
      assert.equal(postfix.log.entries.filter((entry) => entry.kind === 'connect').length, connectionsBefore);
    } finally {
      delete process.env[variable];
    }
  });

  it('# @target {{$secret name}} connects where the secret says, and no transcript, CodeLens or result names it', async () => {
    const secret = `127.0.0.1:${postfix.port}`;
    await lab.extension.secrets.store('smtpRelayLab.fileSecret:suiteTarget', secret);
    try {
      const document = await openSmtp(['# @target {{$secret suiteTarget}}', '# @tls none', '### greet', '# @expect 250', 'EHLO client.example.org'].join('\n'));
      const run = await vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.runFile, document.uri);
      assert.ok(run, 'the file ran');
      assert.match(run.results[0].replies[0].reply.text, /Postfix/, 'it talked to the server the secret names');
      assert.deepEqual(run.blocks[0].expectations.map((verdict) => verdict.passed), [true]);
      const transcript = await eventually('the live transcript with the mark', () => {
        const text = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === run.transcript.toString())?.getText();
        return text?.includes('@expect on line 4 held') ? text : undefined;
      });
      assert.match(transcript, /^=== target: \*\*\*$/m);
      const recording = lab.transcripts.recordings.find((candidate) => candidate.toText() === transcript);
      assert.ok(recording, 'the live transcript is the recording kept in history');
      assert.equal(recording.target, '***');
      for (const [what, text] of [
        ['the live transcript', transcript],
        ['the results', JSON.stringify(run)],
        ['the CodeLens', (await lensTitles(document, 2)).join('\n')],
      ]) {
        assert.ok(!text.includes(secret), `${what} names the secret target:\n${text}`);
      }
    } finally {
      await lab.extension.secrets.delete('smtpRelayLab.fileSecret:suiteTarget');
    }
  });

  it('a MAIL refused as nested gets a missing-rset Warning whose quick fix inserts RSET before it', async () => {
    const document = await openSmtp(
      [`# @target 127.0.0.1:${postfix.port}`, '# @tls none', '### one', 'MAIL FROM:<postmaster@corp.example>', '### two', 'MAIL FROM:<admin@corp.example>', 'NOOP'].join('\n'),
    );
    const run = await vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.runFile, document.uri);
    assert.ok(run);
    assert.equal(run.results[1].replies.find((answered) => answered.line === 5)?.reply.code, 503);
    const warning = await eventually('the missing-rset warning', () =>
      vscode.languages.getDiagnostics(document.uri).find((diagnostic) => diagnostic.code === diagnosticCodes.missingRset),
    );
    assert.equal(warning.range.start.line, 5);
    assert.equal(warning.severity, vscode.DiagnosticSeverity.Warning);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, warning.range);
    const insert = actions.find((action) => action.title === 'Insert RSET before MAIL FROM');
    assert.ok(insert?.edit, `the quick fix is offered (${actions.map((action) => action.title).join(', ')})`);
    assert.ok(await vscode.workspace.applyEdit(insert.edit));
    assert.deepEqual(document.getText().split('\n').slice(4, 7), ['### two', 'RSET', 'MAIL FROM:<admin@corp.example>']);
  });

  it('the environment chosen in the status bar gives {{mx}} to # @target; # @env pins another', async () => {
    await vscode.workspace.getConfiguration().update(
      settingKeys.environments,
      { $shared: { sender: 'postmaster@corp.example' }, closed: { mx: `127.0.0.1:${postfix.port}` }, relay: { mx: `127.0.0.1:${open.port}` } },
      vscode.ConfigurationTarget.Global,
    );
    // The setting reaches the extension through a configuration event: choose once it is there.
    await eventually('the environment "closed" to be choosable', async () =>
      (await vscode.commands.executeCommand<string | undefined>(commandIds.chooseEnvironment, 'closed')) === 'closed' ? true : undefined,
    );
    const text = ['# @target {{mx}}', '# @tls none', '### greet', 'EHLO client.example.org', 'MAIL FROM:<{{sender}}>'];
    const chosen = await openSmtp(text.join('\n'));
    assert.deepEqual(vscode.languages.getDiagnostics(chosen.uri).filter((diagnostic) => diagnostic.severity === vscode.DiagnosticSeverity.Error), []);
    const closedRun = await vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.runFile, chosen.uri);
    assert.ok(closedRun);
    assert.match(closedRun.results[0].replies[0].reply.text, /Postfix/);
    assert.deepEqual(closedRun.results[0].replies.at(-1)?.command, 'MAIL FROM:<postmaster@corp.example>');

    const pinned = await openSmtp(['# @env relay', ...text].join('\n'));
    const relayRun = await vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.runFile, pinned.uri);
    assert.ok(relayRun);
    assert.doesNotMatch(relayRun.results[0].replies[0].reply.text, /Postfix/);
    await vscode.commands.executeCommand(commandIds.chooseEnvironment, '');
  });

  it('Compare with Previous Run opens a diff of the last two runs of the file against its target, with times and queue ids normalised', async () => {
    const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'smtp-compare-'));
    try {
      const uri = vscode.Uri.file(path.join(folder, 'compare.smtp'));
      const content = [`# @target 127.0.0.1:${postfix.port}`, '# @tls none', '# @confirm', '### message', 'MAIL FROM:<postmaster@corp.example>', 'RCPT TO:<admin@corp.example>', 'DATA', 'Subject: compare', '', 'hello', '.', 'QUIT'];
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(content.join('\n')));
      for (let run = 0; run < 2; run += 1) {
        const document = await vscode.workspace.openTextDocument(uri);
        await vscode.window.showTextDocument(document);
        const result = await vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.runFile, uri);
        assert.ok(result, `run ${run + 1}`);
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      }
      const target = `127.0.0.1:${postfix.port}`;
      const latest = await eventually('two stored runs of compare.smtp', async () => {
        await lab.transcripts.flushAll();
        const runs = (await lab.transcripts.stored()).filter((entry) => entry.target === target && entry.label.includes('compare.smtp'));
        return runs.length >= 2 ? runs[0] : undefined;
      });
      const comparison = await vscode.commands.executeCommand<TranscriptComparison | undefined>(commandIds.compareWithPreviousRun, latest.id);
      assert.ok(comparison, 'the diff opened');
      const [left, right] = await Promise.all([comparison.previous, comparison.latest].map((side) => vscode.workspace.openTextDocument(side)));
      assert.match(right.getText(), /queued as <queue-id>/);
      assert.match(right.getText(), /^=== started: <start time>$/m);
      assert.equal(left.getText(), right.getText(), 'two runs with the same replies normalise to the same text');
      const diffTab = vscode.window.tabGroups.all
        .flatMap((group) => group.tabs)
        .find((tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === comparison.latest.toString());
      assert.ok(diffTab, 'a diff editor shows the two runs');
    } finally {
      await fs.rm(folder, { recursive: true, force: true });
    }
  });
});
