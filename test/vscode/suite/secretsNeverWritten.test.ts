import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeTarget } from '../../../src/core/protocol/sessionOptions';
import { commandIds, extensionId, languageIds } from '../../../src/extension/ids';
import type { LabContext } from '../../../src/extension/labContext';
import type { SmtpFileRun } from '../../../src/extension/smtpFiles/smtpFileSessions';
import { newTarget } from '../../../src/extension/target';
import type { SessionTerminal } from '../../../src/extension/terminal/sessionTerminal';
import type { TranscriptRecording } from '../../../src/extension/transcripts/transcriptStore';
import { startPracticeServer, type PracticeServer } from '../../../src/lab/practiceServer';
import { filesUnder, findInFiles, logFoldersOf } from './writtenFiles';
import { imapPasswordVariable } from '../../../src/core/reach/imapCatcher';
import { startDovecot, type DovecotInstance } from '../../support/dovecot';
import { configureCatcher, nextVerdict } from './catcherSettings';
import { runAllTests } from './runAllTests';

/** Waits until `read` gives a value; fails with what it waited for. Polls files, which send no events. */
async function eventually<T>(what: string | (() => string), read: () => Promise<T | undefined>, limitMs = 20_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`gave up waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function readIfPresent(file: string): Promise<string | undefined> {
  return fs.readFile(file, 'utf8').catch(() => undefined);
}

/**
 * The issue's promise, checked from the outside: log in through every face that can (the session
 * terminal's /auth plain and /auth login, a .smtp file's AUTH PLAIN with # @user, and a refused login), with
 * passwords no one could guess, then search every byte the extension host wrote - its log folder and the
 * window's, global and workspace storage, the workspace, the whole user data folder - and the terminal's screen.
 * The passwords come from SecretStorage, as "SMTP: Set AUTH Password" stores them, so no box opens.
 */
describe('AUTH secrets are never written', () => {
  const user = 'alice';
  const secret = `lab-${randomBytes(12).toString('hex')}`;
  /** A second user whose stored password the server refuses: the failure path must not leak it either. */
  const wrongUser = 'mallory';
  const wrongSecret = `lab-${randomBytes(12).toString('hex')}`;
  /** A .smtp file's {{$secret token}}, from SecretStorage: sent to the server, written nowhere. */
  const fileSecret = `lab-${randomBytes(12).toString('hex')}`;
  /** The IMAP catcher's mailbox password, kept by "SMTP: Set IMAP Catcher Password" in SecretStorage. */
  const imapUser = 'relay-test';
  const imapSecret = `lab-${randomBytes(12).toString('hex')}`;
  const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  /** What a leak would look like: the secret, as AUTH LOGIN sends it, and as AUTH PLAIN sends it. */
  const secretForms = new Map<string, string>([
    ['the password', secret],
    ['the password in base64 (AUTH LOGIN)', base64(secret)],
    ['the AUTH PLAIN blob', base64(`\0${user}\0${secret}`)],
    ['the refused password', wrongSecret],
    ['the refused password in base64', base64(wrongSecret)],
    ['the refused AUTH PLAIN blob', base64(`\0${wrongUser}\0${wrongSecret}`)],
    ['the {{$secret token}} value', fileSecret],
    ['the IMAP catcher password', imapSecret],
    ['the IMAP catcher password in base64 (AUTHENTICATE PLAIN)', base64(`\0${imapUser}\0${imapSecret}`)],
  ]);

  let lab: LabContext;
  let withAuth: PracticeServer;
  const terminals: SessionTerminal[] = [];
  let smtpFile: vscode.Uri | undefined;
  let smtpFileRun: SmtpFileRun | undefined;
  let dovecot: DovecotInstance | undefined;

  function terminalOf(pty: SessionTerminal): vscode.Terminal | undefined {
    return vscode.window.terminals.find((terminal) => 'pty' in terminal.creationOptions && terminal.creationOptions.pty === pty);
  }

  before(async () => {
    lab = (await vscode.extensions.getExtension<LabContext>(extensionId)!.activate())!;
    withAuth = await startPracticeServer({ persona: 'exchange', auth: { username: user, password: secret } });
    const target = newTarget(withAuth.host, withAuth.port);
    await lab.passwords.store(target, user, secret);
    await lab.passwords.store(target, wrongUser, wrongSecret);
  });

  after(async () => {
    for (const session of terminals) {
      terminalOf(session)?.dispose();
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (smtpFile) {
      await fs.rm(smtpFile.fsPath, { force: true });
    }
    const target = newTarget(withAuth.host, withAuth.port);
    await lab.passwords.delete(target, user);
    await lab.passwords.delete(target, wrongUser);
    await withAuth.close();
    if (dovecot) {
      await lab.imapCatcherPasswords.delete({ user: imapUser, host: dovecot.host, port: dovecot.imapPort });
      await dovecot.stop();
    }
  });

  async function openTerminal(): Promise<SessionTerminal> {
    const session = await vscode.commands.executeCommand<SessionTerminal>(commandIds.openSessionTerminal, {
      target: { name: 'Secrets check', host: withAuth.host, port: withAuth.port, tls: 'none' },
    });
    assert.ok(session, 'the session terminal opened');
    terminals.push(session);
    await session.waitForText(/\r\n220 [^\r]*\r\n/);
    await session.whenIdle();
    terminalOf(session)!.sendText('EHLO client.example.com', true);
    await session.waitForText(/\r\n250 [^\r]*\r\n/);
    return session;
  }

  async function authenticateInTerminal(typed: string, expectedCode: 235 | 535): Promise<SessionTerminal> {
    const session = await openTerminal();
    terminalOf(session)!.sendText(typed, true);
    const screen = await session.waitForText(new RegExp(`\\r\\n${expectedCode} [^\\r]*\\r\\n`));
    await session.whenIdle();
    for (const [form, needle] of secretForms) {
      assert.equal(screen.includes(needle), false, `the terminal showed ${form}`);
    }
    return session;
  }

  it('the session terminal logs in with /auth plain and the stored password, and never shows it', async () => {
    await authenticateInTerminal(`/auth plain ${user}`, 235);
  });

  it('the session terminal logs in with /auth login and the stored password, and never shows it', async () => {
    await authenticateInTerminal(`/auth login ${user}`, 235);
  });

  it('a password the server refuses is not shown either', async () => {
    await authenticateInTerminal(`/auth plain ${wrongUser}`, 535);
  });

  it('a .smtp file in the workspace logs in with AUTH PLAIN and # @user, and sends a {{$secret token}} from SecretStorage', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the suite runs in a workspace folder');
    smtpFile = vscode.Uri.joinPath(folder.uri, 'secrets-check.smtp');
    const content = [`# @target ${withAuth.host}:${withAuth.port}`, `# @user ${user}`, '### login', 'EHLO client.example.org', 'AUTH PLAIN', 'NOOP', '### secret', 'NOOP {{$secret token}}'].join('\n');
    await vscode.workspace.fs.writeFile(smtpFile, new TextEncoder().encode(content));
    await lab.extension.secrets.store('smtpRelayLab.fileSecret:token', fileSecret);
    const document = await vscode.workspace.openTextDocument(smtpFile);
    assert.equal(document.languageId, languageIds.smtp);
    // On screen, so that closing its editor closes the document, its connection and its recording.
    await vscode.window.showTextDocument(document);
    smtpFileRun = await vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.sendBlock, document.uri, 0);
    assert.ok(smtpFileRun, 'the block was sent');
    assert.deepEqual(
      smtpFileRun.results[0].replies.map(({ command, reply }) => [command, reply.code]),
      [
        ['', 220],
        ['EHLO client.example.org', 250],
        ['AUTH PLAIN', 235],
        ['NOOP', 250],
      ],
    );
    const secretRun = await vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.sendBlock, document.uri, 1);
    assert.ok(secretRun, 'the block with {{$secret token}} was sent');
    assert.deepEqual(
      secretRun.results[0].replies.map(({ command, reply }) => [command, reply.code]),
      [['NOOP ***', 250]],
      'the server got the secret; the results show it redacted',
    );
    assert.ok(withAuth.log.commands().includes(`NOOP ${fileSecret}`), 'the server got the value from SecretStorage');
  });

  it('the IMAP catcher of a Test Explorer run logs in with the password from SecretStorage (SMTP: Set IMAP Catcher Password)', async () => {
    assert.equal(process.env[imapPasswordVariable], undefined, `${imapPasswordVariable} is not set in the extension host, so SecretStorage is what is used`);
    dovecot = await startDovecot({ user: imapUser, password: imapSecret });
    // What the command stores once the user typed the password into its masked box.
    await lab.imapCatcherPasswords.store({ user: imapUser, host: dovecot.host, port: dovecot.imapPort }, imapSecret);
    const practice = await vscode.commands.executeCommand<{ host: string }>(commandIds.startPracticeServer, 'open');
    assert.ok(practice, 'the open practice server started');
    // The practice server hands mail only to a built-in SMTP catcher, so nothing reaches this mailbox: the
    // run looks there (which needs the login) and finds nothing within the short timeout.
    await configureCatcher(lab, `imap://${imapUser}@${dovecot.host}:${dovecot.imapPort}/INBOX`, 2);
    try {
      const published = nextVerdict(lab);
      await runAllTests(lab);
      const record = await published;
      const kb6 = record.report.tests.find((test) => test.id === 'kb6')!;
      assert.equal(kb6.confirmation?.method, 'imap', kb6.reason);
      assert.equal(kb6.confirmation?.result, 'none');
      assert.match(kb6.confirmation!.evidence, new RegExp(`at the IMAP mailbox ${imapUser}@127\\.0\\.0\\.1:${dovecot.imapPort}/INBOX within 2 s`));
      assert.match(await dovecot.log(), new RegExp(`imap-login: (Info: )?Login: user=<${imapUser}>`), 'Dovecot let the catcher in with the stored password');
    } finally {
      await configureCatcher(lab, undefined, undefined);
      await vscode.commands.executeCommand(commandIds.stopPracticeServer);
    }
  });

  it('after every login, no file the extension host wrote holds the password in any form, and the log was searched', async () => {
    // Close everything that records: the terminals finish their recordings, the .smtp file closes its connection.
    for (const session of terminals) {
      const closed = new Promise<void>((resolve) => session.onDidDispose(() => resolve()));
      terminalOf(session)?.dispose();
      await closed;
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    // The stored transcripts: written at once on finish, and they are where the redacted AUTH lines are.
    const ours = lab.transcripts.recordings.filter((recording) => recording.target === describeTarget(withAuth));
    assert.ok(ours.length >= 4, `three terminals and the .smtp file were recorded (${ours.length} recordings)`);
    let waitingFor = '';
    const storedFiles = await eventually(() => `every recording written to global storage, finished (${waitingFor})`, async () => {
      await lab.transcripts.flushAll();
      const entries = await lab.transcripts.stored();
      const files: string[] = [];
      for (const recording of ours) {
        const entry = entries.find((candidate) => candidate.id === recording.id);
        const text = entry && (await readIfPresent(lab.transcripts.uriOf(entry).fsPath));
        if (!recording.isFinished || text === undefined || !writtenInFull(text, recording)) {
          waitingFor = `${recording.label}: ${recording.isFinished ? 'finished' : 'still recording'}, ${text === undefined ? 'no file' : 'file behind'}`;
          return undefined;
        }
        files.push(lab.transcripts.uriOf(entry!).fsPath);
      }
      return files;
    });
    const storedText = (await Promise.all(storedFiles.map((file) => fs.readFile(file, 'utf8')))).join('\n');
    assert.match(storedText, / -> AUTH PLAIN <redacted>\n/, 'the stored transcripts hold the redacted AUTH PLAIN');
    assert.match(storedText, / -> AUTH LOGIN\n/, `and the AUTH LOGIN exchange; stored: ${ours.map((recording) => `${recording.label} (${recording.events.length} events)`).join(', ')}`);

    // The log: a line logged after every login marks the file as written up to there.
    const logDir = lab.extension.logUri.fsPath;
    await vscode.commands.executeCommand(commandIds.startPracticeServer, 'exchange');
    await vscode.commands.executeCommand(commandIds.stopPracticeServer);
    const logFile = await eventually('the extension log with the last line we caused', async () => {
      for (const file of await filesUnder([logDir])) {
        const text = await readIfPresent(file);
        if (text?.includes('Practice server stopped')) {
          return file;
        }
      }
      return undefined;
    });
    const logText = await fs.readFile(logFile, 'utf8');
    assert.match(logText, /secrets-check\.smtp: talking to 127\.0\.0\.1:\d+ \(\w+\)/, `the log has the .smtp file's line, so the search is not vacuous; it reads:\n${logText}`);

    const folders = logFoldersOf(logDir);
    assert.ok(folders, `the extension log folder ${logDir} lies under a logs folder`);
    const roots = [
      logDir,
      folders.sessionLogs,
      folders.userData,
      lab.extension.globalStorageUri.fsPath,
      ...(lab.extension.storageUri ? [lab.extension.storageUri.fsPath] : []),
      ...(vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath),
    ];
    const files = await filesUnder(roots);
    for (const mustBeSearched of [logFile, ...storedFiles, smtpFile!.fsPath]) {
      assert.ok(files.includes(mustBeSearched), `${mustBeSearched} is among the files searched`);
    }
    const leaks = await findInFiles(files, secretForms);
    assert.deepEqual(
      leaks.map(({ file, form }) => `${form} in ${path.relative(folders.userData, file)}`),
      [],
      `searched ${files.length} files`,
    );
  });
});

/** A stored transcript is complete once it ends where the recording does: its connection closed. */
function writtenInFull(text: string, recording: TranscriptRecording): boolean {
  return text.trimEnd() === recording.toText().trimEnd();
}
