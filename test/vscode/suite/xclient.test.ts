import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as vscode from 'vscode';
import type { RelayReport } from '../../../src/core/relay/relayTypes';
import { commandIds, extensionId, settingKeys } from '../../../src/extension/ids';
import type { LabContext } from '../../../src/extension/labContext';
import { readTarget } from '../../../src/extension/target';
import type { SessionTerminal } from '../../../src/extension/terminal/sessionTerminal';

/**
 * Issue 10 §2 in the editor: a target's asClient and the terminal's /xclient, against the trusted-network
 * practice persona (a Postfix whose mynetworks is loopback and which offers XCLIENT to loopback). From
 * loopback it relays (open); as the outside client 203.0.113.9 it refuses (closed).
 */
describe('XCLIENT in the editor (asClient, /xclient)', () => {
  let lab: LabContext;
  let practice: { host: string; port: number };
  const terminals: SessionTerminal[] = [];

  before(async () => {
    lab = (await vscode.extensions.getExtension<LabContext>(extensionId)!.activate())!;
    const started = await vscode.commands.executeCommand<{ host: string; port: number }>(commandIds.startPracticeServer, 'trusted-network');
    assert.ok(started, 'the trusted-network practice server started');
    practice = started;
  });

  after(async () => {
    for (const session of terminals) {
      terminalOf(session)?.dispose();
    }
    await vscode.commands.executeCommand(commandIds.stopPracticeServer);
  });

  function terminalOf(pty: SessionTerminal | undefined): vscode.Terminal | undefined {
    return vscode.window.terminals.find((terminal) => 'pty' in terminal.creationOptions && terminal.creationOptions.pty === pty);
  }

  function targetEntry(extra: Record<string, unknown> = {}) {
    return { name: 'Trusted network', host: practice.host, port: practice.port, tls: 'none', localDomains: ['corp.example'], localUser: 'admin', ...extra };
  }

  async function openTerminal(entry: Record<string, unknown>): Promise<SessionTerminal> {
    const session = await vscode.commands.executeCommand<SessionTerminal>(commandIds.openSessionTerminal, { target: entry });
    assert.ok(session, 'the command resolves with the session terminal');
    terminals.push(session);
    return session;
  }

  /** A listener on loopback that only counts connections: what "nothing connects" is checked against. */
  async function countingListener(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
    let count = 0;
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => {
      count += 1;
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.address() as net.AddressInfo).port,
      connections: () => count,
      close: () => {
        sockets.forEach((socket) => socket.destroy());
        return new Promise((resolve) => server.close(() => resolve()));
      },
    };
  }

  it('/xclient 203.0.113.9 typed in a session terminal: XCLIENT, the new 220, EHLO again, and the terminal says it now acts as that client', async () => {
    const session = await openTerminal(targetEntry());
    await session.waitForText(/\r\n220 [^\r]*Postfix\r\n/);
    await session.whenIdle();
    terminalOf(session)!.sendText('/xclient 203.0.113.9', true);
    const screen = await session.waitForText(/The server now judges this session as client 203\.0\.113\.9 \(XCLIENT\)/);
    assert.match(screen, /XCLIENT ADDR=203\.0\.113\.9 NAME=\[UNAVAILABLE\]\r\n220 mail\.corp\.example ESMTP Postfix/);
    assert.match(screen.slice(screen.indexOf('XCLIENT ADDR=')), /\r\nEHLO smtp-relay-lab\.example\.com\r\n250-mail\.corp\.example/);

    terminalOf(session)!.sendText('/test kb1', true);
    const tested = await session.waitForText(/\r\nkb1 (PASSED|FAILED|NEEDS CONFIRMATION|INCONCLUSIVE|ERROR)[^\r]*\r\n/);
    assert.match(tested, /RCPT TO:<relay-test@example\.net>\r\n554 5\.7\.1 <relay-test@example\.net>: Relay access denied/);
    assert.match(tested, /\r\nkb1 PASSED: /);
    await session.whenIdle();
    const verdict = lab.relayVerdicts.last;
    assert.equal(verdict?.source, 'session terminal');
    assert.equal(verdict?.report.target.asClient, '203.0.113.9');
    assert.equal(verdict?.report.verdict, 'closed');
  });

  it('a terminal on a target whose asClient is set acts as that client from the first connection', async () => {
    const session = await openTerminal(targetEntry({ name: 'Trusted network, outside', asClient: '203.0.113.9' }));
    const screen = await session.waitForText(/The server now judges this session as client 203\.0\.113\.9 \(XCLIENT\)/);
    assert.match(screen, /This terminal acts as client 203\.0\.113\.9/);
    await session.whenIdle();
    await session.runTests(['kb1']);
    assert.match(session.screenText, /\r\nkb1 PASSED: /);
  });

  it('Run Relay Suite on the same target reads open from loopback and closed with asClient 203.0.113.9', async () => {
    const inside = await vscode.commands.executeCommand<RelayReport>(commandIds.runRelaySuite, { target: targetEntry(), tests: 'control,kb1,kb6' });
    assert.ok(inside, 'the run without asClient resolves with its report');
    assert.equal(inside.verdict, 'open');
    assert.equal(inside.target.asClient, undefined);
    assert.ok(inside.warnings.some((warning) => /trusted/.test(warning)), inside.warnings.join('\n'));

    const outside = await vscode.commands.executeCommand<RelayReport>(commandIds.runRelaySuite, {
      target: targetEntry({ asClient: '203.0.113.9' }),
      tests: 'control,kb1,kb6',
    });
    assert.ok(outside, 'the run with asClient resolves with its report');
    assert.equal(outside.verdict, 'closed');
    assert.deepEqual(outside.target, { host: practice.host, port: practice.port, asClient: '203.0.113.9' });
    assert.deepEqual(
      outside.tests.map((test) => `${test.id} ${test.outcome}`),
      ['control passed', 'kb1 passed', 'kb6 passed'],
    );
    assert.ok(outside.transcript.some((event) => event.kind === 'sent' && event.text === 'XCLIENT ADDR=203.0.113.9 NAME=[UNAVAILABLE]'));
  });

  it('an asClient that is no IP address: Run Relay Suite and the terminal refuse with a clear error, and nothing connects', async () => {
    const listener = await countingListener();
    try {
      const hostile = 'mail.example.com\u001b[2J';
      const entry = { name: 'Bad asClient', host: '127.0.0.1', port: listener.port, tls: 'none', asClient: hostile };
      const report = await vscode.commands.executeCommand<RelayReport | undefined>(commandIds.runRelaySuite, { target: entry, tests: 'control' });
      assert.equal(report, undefined, 'no run, no report');
      const session = await openTerminal(entry);
      const screen = await session.waitForText(/\*\*\* the target's asClient "[^"]*" is not an IP address/);
      assert.match(screen, /asClient "mail\.example\.com\?\[2J" is not an IP address: XCLIENT tests as an IPv4 or IPv6 address such as 203\.0\.113\.9\. Nothing was sent/);
      await session.whenIdle();
      assert.equal(session.connection.kind, 'closed');
      assert.equal(listener.connections(), 0, 'nothing connected to the server');
    } finally {
      await listener.close();
    }
  });

  it('SMTP: Add Target keeps asClient in user settings, the Test Explorer profile says "as 203.0.113.9", and a value that is no IP is not written', async () => {
    const configuration = vscode.workspace.getConfiguration();
    const before = configuration.inspect<unknown[]>(settingKeys.targets)?.globalValue;
    const previous = lab.targets.current;
    const listed = new Promise<void>((resolve) => {
      const listener = lab.settings.targets.onDidChange((targets) => {
        if (targets.some((target) => target.label === 'Outside view (suite)')) {
          listener.dispose();
          resolve();
        }
      });
    });
    try {
      const entry = { name: 'Outside view (suite)', host: practice.host, port: practice.port, tls: 'none', asClient: '203.0.113.9' };
      await vscode.commands.executeCommand(commandIds.addTarget, entry);
      const written = vscode.workspace.getConfiguration().inspect<unknown[]>(settingKeys.targets)?.globalValue;
      assert.deepEqual(written?.at(-1), entry, 'in user settings, asClient included');
      await listed;
      const profiles = lab.testExplorer?.profileLabels ?? [];
      assert.ok(profiles.includes('Run relay tests on Outside view (suite) as 203.0.113.9'), profiles.join(' | '));

      const refused = await vscode.commands.executeCommand(commandIds.addTarget, { ...entry, name: 'Bad (suite)', asClient: 'outside.example.org' });
      assert.equal(refused, undefined);
      const after = vscode.workspace.getConfiguration().inspect<unknown[]>(settingKeys.targets)?.globalValue;
      assert.deepEqual(after, written, 'nothing more was written');
    } finally {
      await configuration.update(settingKeys.targets, before, vscode.ConfigurationTarget.Global);
      if (previous) {
        await lab.targets.setCurrent(previous);
      }
    }
  });

  it('the status bar names the client a target is tested as', async () => {
    const previous = lab.targets.current;
    const outside = readTarget(targetEntry({ name: 'Trusted network, outside', asClient: '203.0.113.9' }))!;
    try {
      await lab.targets.setCurrent(outside);
      assert.match(lab.connectionStatus.text, /SMTP Trusted network, outside as 203\.0\.113\.9$/);
      assert.match(lab.connectionStatus.tooltip, /tested as client 203\.0\.113\.9 through XCLIENT/);
    } finally {
      if (previous) {
        await lab.targets.setCurrent(previous);
      }
    }
  });
});
