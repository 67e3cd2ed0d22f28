import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { commandIds, extensionId } from '../../../src/extension/ids';
import type { LabContext } from '../../../src/extension/labContext';
import type { SessionTerminal } from '../../../src/extension/terminal/sessionTerminal';

/**
 * The session terminal inside VS Code, against the practice server: the commands, the Pseudoterminal, the
 * terminal's input path (sendText reaches handleInput as typed text would) and what is written back.
 * The target is passed as the command's argument, so no picker opens.
 */
describe('session terminal', () => {
  let practice: { host: string; port: number } | undefined;
  let session: SessionTerminal | undefined;

  before(async () => {
    await vscode.extensions.getExtension(extensionId)!.activate();
    practice = await vscode.commands.executeCommand<{ host: string; port: number }>(commandIds.startPracticeServer, 'exchange');
    assert.ok(practice, 'the practice server started');
  });

  after(async () => {
    terminalOf(session)?.dispose();
    await vscode.commands.executeCommand(commandIds.stopPracticeServer);
  });

  function terminalOf(pty: SessionTerminal | undefined): vscode.Terminal | undefined {
    return vscode.window.terminals.find((terminal) => 'pty' in terminal.creationOptions && terminal.creationOptions.pty === pty);
  }

  it('opens on the target given as argument and shows the greeting, tagged', async () => {
    session = await vscode.commands.executeCommand<SessionTerminal>(commandIds.openSessionTerminal, {
      target: {
        name: 'Practice (exchange)',
        host: practice!.host,
        port: practice!.port,
        tls: 'none',
        localDomains: ['corp.example'],
        localUser: 'postmaster',
      },
    });
    assert.ok(session, 'the command resolves with the session terminal');
    assert.ok(terminalOf(session), 'a terminal runs it');
    const screen = await session.waitForText(/\r\n220 [^\r]*\r\n\s+\[ok\]/);
    assert.match(screen, /connected to 127\.0\.0\.1:\d+/);
    await session.whenIdle();
    assert.deepEqual(session.connection, { kind: 'connected', tls: false });
  });

  it('sends a typed EHLO and shows the server\'s capabilities', async () => {
    terminalOf(session)!.sendText('EHLO client.example.com', true);
    const screen = await session!.waitForText(/EHLO client\.example\.com\r\n250-[\s\S]*?\r\n250 [^\r]*\r\n\s+\[ok\]/);
    assert.match(screen, /250-STARTTLS\r\n/);
  });

  it('runs the KB tests typed as /test kb: tests 6 and 7 are NDR-pending, the others pass, the verdict is closed', async () => {
    terminalOf(session)!.sendText('/test kb', true);
    const screen = await session!.waitForText(/verdict: \w+/);
    for (const id of ['control', 'kb1', 'kb2', 'kb3', 'kb4', 'kb5']) {
      assert.match(screen, new RegExp(`\\r\\n${id} PASSED: `), `${id} passes`);
    }
    assert.match(screen, /\r\nkb6 NEEDS CONFIRMATION: NDR-pending/);
    assert.match(screen, /\r\nkb7 NEEDS CONFIRMATION: NDR-pending/);
    assert.match(screen, /RCPT TO:<relay-test@example\.net>\r\n550 5\.7\.1 [^\r]*\r\n\s+\[rejection 5\.7\.1: relay denied\]/);
    assert.match(screen, /verdict: CLOSED/);
  });

  it('Run Relay Test uses the open session terminal, as the walkthrough buttons do', async () => {
    const used = await vscode.commands.executeCommand<SessionTerminal>(commandIds.runRelayTest, 'kb1');
    assert.equal(used, session, 'no second terminal was opened');
    const screen = session!.screenText;
    assert.equal(screen.split('=== test kb1:').length - 1, 2, 'kb1 ran a second time in the same terminal');
    assert.match(screen.slice(screen.lastIndexOf('=== test kb1:')), /kb1 PASSED: Rejected at RCPT/);
  });

  it('the session is recorded in the transcripts store, where /save and "Save Transcript" take it from', async () => {
    const lab = (await vscode.extensions.getExtension<LabContext>(extensionId)!.activate())!;
    const recording = lab.transcripts.recordings.find((candidate) => candidate.label === 'Session terminal: Practice (exchange)');
    assert.ok(recording, 'the terminal is tracked under its label');
    assert.ok(recording.events.some((event) => event.kind === 'sent' && event.text === 'EHLO client.example.com'));
    assert.equal(recording.isFinished, false, 'still recording while the terminal is open');
  });

  it('closing the terminal closes the connection and keeps the transcript', async () => {
    const closed = new Promise<void>((resolve) => session!.onDidDispose(() => resolve()));
    terminalOf(session)!.dispose();
    await closed;
    const events = session!.transcript.events;
    assert.ok(events.some((event) => event.kind === 'sent' && event.text === 'EHLO client.example.com'));
    assert.deepEqual(events.at(-1), { ...events.at(-1)!, kind: 'info', text: 'connection closed' });
    session = undefined;
  });
});
