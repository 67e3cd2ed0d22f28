import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { commandIds, diagnosticCodes, extensionId, languageIds } from '../../../src/extension/ids';
import type { LabContext } from '../../../src/extension/labContext';
import type { SmtpFileRun } from '../../../src/extension/smtpFiles/smtpFileSessions';
import { newTarget } from '../../../src/extension/target';
import { startPracticeServer, type PracticeServer } from '../../../src/lab/practiceServer';

/** Waits until `read` gives a value, re-reading as the editor changes; fails with what it last saw. */
async function eventually<T>(what: string, read: () => T | undefined, limitMs = 20_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = read();
    if (value !== undefined && value !== false) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`gave up waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function openDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
}

async function lensesOf(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
  return vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri);
}

async function runLens(lens: vscode.CodeLens | undefined): Promise<SmtpFileRun | undefined> {
  assert.ok(lens?.command, 'the CodeLens is there');
  return vscode.commands.executeCommand<SmtpFileRun | undefined>(lens.command.command, ...(lens.command.arguments ?? []));
}

async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/**
 * A .smtp file inside VS Code, against the practice server (Exchange persona): its CodeLens, the live
 * transcript beside it with the transcript diagnostics on it, and the file's own diagnostics.
 */
describe('.smtp files', () => {
  let practice: { host: string; port: number };

  before(async () => {
    await vscode.extensions.getExtension(extensionId)!.activate();
    practice = (await vscode.commands.executeCommand<{ host: string; port: number }>(commandIds.startPracticeServer, 'exchange'))!;
    assert.ok(practice, 'the practice server started');
  });

  after(async () => {
    await closeAllEditors();
    await vscode.commands.executeCommand(commandIds.stopPracticeServer);
  });

  function relayFile(): string {
    return [
      `# @target ${practice.host}:${practice.port}`,
      '# @local-domain corp.example',
      '# @confirm',
      '@user = postmaster',
      '',
      '### greet',
      'EHLO client.example.org',
      '',
      '### kb1',
      'RSET',
      'MAIL FROM:<{{user}}@example.net>',
      'RCPT TO:<relay-test@example.net>',
      '',
      '### kb6',
      'RSET',
      'MAIL FROM:<{{user}}>',
      'RCPT TO:<relay-test%example.net>',
    ].join('\n');
  }

  it('shows Send above each block and Run file above the first', async () => {
    const document = await vscode.workspace.openTextDocument({ language: languageIds.smtp, content: relayFile() });
    const lenses = await lensesOf(document);
    const send = lenses.filter((lens) => lens.command?.command === commandIds.sendBlock);
    assert.deepEqual(
      send.map((lens) => [lens.range.start.line, ...(lens.command!.arguments ?? []).slice(1)]),
      [
        [5, 0],
        [8, 1],
        [13, 2],
      ],
    );
    const runFile = lenses.filter((lens) => lens.command?.command === commandIds.runFile);
    assert.deepEqual(runFile.map((lens) => lens.range.start.line), [5]);
  });

  it('Run file from its CodeLens streams the conversation into a live transcript beside the file, with diagnostics on it', async () => {
    const document = await vscode.workspace.openTextDocument({ language: languageIds.smtp, content: relayFile() });
    await vscode.window.showTextDocument(document);
    const run = await runLens((await lensesOf(document)).find((lens) => lens.command?.command === commandIds.runFile));
    assert.ok(run, 'the run resolves with the transcript and the results');
    assert.deepEqual(
      run.results.map((result) => result.replies.at(-1)!.reply.code),
      [250, 550, 250],
      'EHLO accepted, kb1 refused at RCPT, kb6 accepted for local delivery',
    );

    const transcript = await eventually('the transcript document', () => openDocument(run.transcript));
    assert.equal(transcript.languageId, languageIds.transcript);
    assert.ok(
      vscode.window.visibleTextEditors.some((editor) => editor.document === transcript),
      'the transcript is on screen beside the file',
    );
    const text = await eventually('the last reply in the transcript', () =>
      /<- {2}250 [^\n]*\n?$/.test(transcript.getText()) && transcript.getText().includes('relay-test%example.net') ? transcript.getText() : undefined,
    );
    assert.match(text, /^=== SMTP Relay Lab transcript v1\n=== tool: SMTP Relay Lab \.smtp file\n/);
    assert.match(text, new RegExp(`=== target: 127\\.0\\.0\\.1:${practice.port}\\n`));
    assert.match(text, /=== local-domains: corp\.example\n/);
    assert.match(text, /=== block 2: kb1 \(line 9\)\n[^\n]* -> RSET\n[^\n]*<- {2}250[^\n]*\n[^\n]* -> MAIL FROM:<postmaster@example\.net>\n/);
    assert.match(text, / -> RCPT TO:<relay-test@example\.net>\n[^\n]*<- {2}550 5\.7\.1 /);

    const diagnostics = await eventually('diagnostics on the transcript', () => {
      const found = vscode.languages.getDiagnostics(transcript.uri);
      return found.some((diagnostic) => diagnostic.code === 'ndr-pending') ? found : undefined;
    });
    const relayDenied = diagnostics.find((diagnostic) => diagnostic.code === 'relay-denied');
    assert.ok(relayDenied, 'the 550 5.7.1 to kb1 is marked as a relay denial');
    assert.match(transcript.lineAt(relayDenied.range.start.line).text, /<- {2}550 5\.7\.1 /);
  });

  it('Send reuses the connection and shows what the block came to above it', async () => {
    const document = await vscode.workspace.openTextDocument({ language: languageIds.smtp, content: relayFile() });
    const sendKb1 = async () =>
      runLens((await lensesOf(document)).find((lens) => lens.command?.command === commandIds.sendBlock && lens.command.arguments?.[1] === 1));
    const first = await sendKb1();
    const second = await sendKb1();
    assert.ok(first && second);
    assert.deepEqual(
      first.results[0].replies.map((answered) => answered.command),
      ['', 'EHLO smtp-relay-lab.example.com', 'RSET', 'MAIL FROM:<postmaster@example.net>', 'RCPT TO:<relay-test@example.net>'],
      'a new connection: greeting and EHLO first',
    );
    assert.deepEqual(
      second.results[0].replies.map((answered) => answered.command),
      ['RSET', 'MAIL FROM:<postmaster@example.net>', 'RCPT TO:<relay-test@example.net>'],
      'the same connection: no second greeting',
    );
    const titles = (await lensesOf(document)).filter((lens) => lens.range.start.line === 8).map((lens) => lens.command?.title);
    assert.ok(titles.includes('$(circle-slash) RCPT 550 5.7.1 rejected (relay denied)'), `lenses above kb1: ${titles.join(' | ')}`);
  });

  it('an undefined variable is marked in the file, and Send refuses the block without connecting', async () => {
    const document = await vscode.workspace.openTextDocument({
      language: languageIds.smtp,
      content: [`# @target ${practice.host}:${practice.port}`, '### kb1', 'RSET', 'MAIL FROM:<{{sender}}>'].join('\n'),
    });
    const [problem] = await eventually('a diagnostic on the .smtp file', () => {
      const found = vscode.languages.getDiagnostics(document.uri);
      return found.length > 0 ? found : undefined;
    });
    assert.equal(problem.code, 'undefined-variable');
    assert.equal(problem.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(document.getText(problem.range), '{{sender}}');

    const run = await vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.sendBlock, document.uri, 0);
    assert.equal(run, undefined, 'nothing was sent');
  });

  it('closing the .smtp file closes its connection, and the transcript says so', async () => {
    const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'smtp-file-test-'));
    try {
      const uri = vscode.Uri.file(path.join(folder, 'relay.smtp'));
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(relayFile()));
      const document = await vscode.workspace.openTextDocument(uri);
      assert.equal(document.languageId, languageIds.smtp, 'a .smtp file opens in the smtp language');
      await vscode.window.showTextDocument(document);
      const run = await vscode.commands.executeCommand<SmtpFileRun>(commandIds.sendBlock, document.uri, 0);
      assert.equal(run.transcript.path, path.join(folder, 'relay.smtp-transcript').split(path.sep).join('/'));
      const transcript = await eventually('the transcript document', () => openDocument(run.transcript));

      await vscode.window.showTextDocument(document);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      await eventually('the goodbye in the transcript', () =>
        /=== the \.smtp file was closed\n[^\n]*=== connection closed\n$/.test(transcript.getText()) ? true : undefined,
      );
    } finally {
      await fs.rm(folder, { recursive: true, force: true });
    }
  });

  /**
   * AUTH against a practice server with an account, started here (the one the extension starts never
   * offers AUTH). The password is put in SecretStorage as "SMTP: Set AUTH Password" would: no box to type in.
   */
  describe('AUTH', () => {
    const user = 'alice';
    const secret = 'Tr0ub4dor&3-correct-horse';
    const secretForms = [secret, Buffer.from(secret).toString('base64'), Buffer.from(`\0${user}\0${secret}`).toString('base64')];
    let withAuth: PracticeServer;
    let lab: LabContext;

    before(async () => {
      lab = vscode.extensions.getExtension<LabContext>(extensionId)!.exports;
      withAuth = await startPracticeServer({ persona: 'exchange', auth: { username: user, password: secret } });
      await lab.passwords.store(newTarget(withAuth.host, withAuth.port), user, secret);
    });

    after(async () => {
      await closeAllEditors();
      await lab.passwords.delete(newTarget(withAuth.host, withAuth.port), user);
      await withAuth.close();
    });

    it('AUTH PLAIN alone logs in as # @user with the stored password; the live transcript shows it redacted', async () => {
      const document = await vscode.workspace.openTextDocument({
        language: languageIds.smtp,
        content: [`# @target ${withAuth.host}:${withAuth.port}`, `# @user ${user}`, '### login', 'EHLO client.example.org', 'AUTH PLAIN', 'NOOP'].join('\n'),
      });
      const run = await vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.sendBlock, document.uri, 0);
      assert.ok(run, 'the block was sent');
      assert.deepEqual(
        run.results[0].replies.map(({ command, reply }) => [command, reply.code]),
        [
          ['', 220],
          ['EHLO client.example.org', 250],
          ['AUTH PLAIN', 235],
          ['NOOP', 250],
        ],
      );
      const transcript = await eventually('the transcript document', () => openDocument(run.transcript));
      const text = await eventually('the NOOP reply in the transcript', () => (/ -> NOOP\n[^\n]*<- {2}250/.test(transcript.getText()) ? transcript.getText() : undefined));
      assert.match(text, / -> AUTH PLAIN <redacted>\n[^\n]*<- {2}235 /);
      for (const form of secretForms) {
        assert.equal(text.includes(form), false, `the transcript holds ${form}`);
      }
      assert.deepEqual(vscode.languages.getDiagnostics(document.uri), [], 'the safe form is nothing to remark on');
    });

    it('a credential written in the file gets an Information suggesting the safe form, and is still sent, redacted', async () => {
      const blob = Buffer.from(`\0${user}\0${secret}`).toString('base64');
      const document = await vscode.workspace.openTextDocument({
        language: languageIds.smtp,
        content: [`# @target ${withAuth.host}:${withAuth.port}`, '### login', `AUTH PLAIN ${blob}`].join('\n'),
      });
      const [hint] = await eventually('a diagnostic on the credential', () => {
        const found = vscode.languages.getDiagnostics(document.uri);
        return found.length > 0 ? found : undefined;
      });
      assert.equal(hint.code, diagnosticCodes.credentialInFile);
      assert.equal(hint.severity, vscode.DiagnosticSeverity.Information);
      assert.equal(document.getText(hint.range), blob);
      assert.match(hint.message, /"AUTH PLAIN" or "AUTH LOGIN" alone on its line, with "# @user name"/);

      const run = await vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.sendBlock, document.uri, 0);
      assert.ok(run);
      assert.deepEqual(run.results[0].replies.at(-1) && [run.results[0].replies.at(-1)!.command, run.results[0].replies.at(-1)!.reply.code], [
        'AUTH PLAIN <redacted>',
        235,
      ]);
      const transcript = await eventually('the transcript document', () => openDocument(run.transcript));
      const text = await eventually('the 235 in the transcript', () => (/<- {2}235 /.test(transcript.getText()) ? transcript.getText() : undefined));
      for (const form of secretForms) {
        assert.equal(text.includes(form), false, `the transcript holds ${form}`);
      }
    });
  });
});
