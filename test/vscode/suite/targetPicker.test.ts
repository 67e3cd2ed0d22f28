import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { startPracticeServer, type PracticeServer } from '../../../src/lab/practiceServer';
import { commandIds, extensionId, settingKeys, storageKeys } from '../../../src/extension/ids';
import type { LabContext } from '../../../src/extension/labContext';
import type { TargetPickerHandle } from '../../../src/extension/targets';
import { pickRelayTests } from '../../../src/extension/terminal/registerSessionTerminal';
import type { SessionTerminal } from '../../../src/extension/terminal/sessionTerminal';
import { newTarget } from '../../../src/extension/target';
import { RelayVerdicts } from '../../../src/extension/verdict/relayVerdicts';

/** VS Code's own "Enter" in a quick pick, as the keybinding runs it. */
const pressEnter = 'workbench.action.acceptSelectedQuickOpenItem';

/**
 * "Which server am I probing?": the target picker takes a typed address, the status bar always names the
 * active target, and every command that connects shows the target it will use. Against practice servers the
 * test starts on 127.0.0.1.
 */
describe('targets: the picker, the status bar and the commands that connect', () => {
  let lab: LabContext;
  let first: PracticeServer;
  let second: PracticeServer;
  const terminals: SessionTerminal[] = [];

  before(async () => {
    lab = (await vscode.extensions.getExtension(extensionId)!.activate()) as LabContext;
    first = await startPracticeServer({ persona: 'postfix' });
    second = await startPracticeServer({ persona: 'postfix' });
    // A window that has never chosen a target: the first command that connects asks.
    await lab.extension.workspaceState.update(storageKeys.currentTarget, undefined);
  });

  after(async () => {
    for (const session of terminals) {
      vscode.window.terminals.find((terminal) => 'pty' in terminal.creationOptions && terminal.creationOptions.pty === session)?.dispose();
    }
    await first.close();
    await second.close();
  });

  function nextPicker(): Promise<TargetPickerHandle> {
    return new Promise((resolve) => {
      const listener = lab.targets.onDidShowPicker((handle) => {
        listener.dispose();
        resolve(handle);
      });
    });
  }

  /**
   * Types into the picker and resolves once the workbench highlights the typed row, so that Enter (sent to
   * the workbench) acts on the rows the extension made for that text, as it does after a person's typing.
   */
  function typeAndWait(handle: TargetPickerHandle, value: string): Promise<void> {
    return new Promise((resolve) => {
      const listener = handle.onDidChangeActive((label) => {
        if (label === value) {
          listener.dispose();
          resolve();
        }
      });
      handle.type(value);
    });
  }

  /** The first row that is not a separator's title. */
  function firstRow(handle: TargetPickerHandle, separators: readonly string[]): string | undefined {
    return handle.labels.find((label) => !separators.includes(label) && label !== '');
  }

  it('typing 127.0.0.1:<port> into the first picker offers "Connect to" it as the top row at once, and Enter connects', async () => {
    const picker = nextPicker();
    const opening = vscode.commands.executeCommand<SessionTerminal>(commandIds.openSessionTerminal);
    const handle = await picker;
    await typeAndWait(handle, `127.0.0.1:${first.port}`);
    assert.match(
      handle.rows[0] ?? '',
      new RegExp(`^127\\.0\\.0\\.1:${first.port} — \\$\\(plug\\) Connect to 127\\.0\\.0\\.1:${first.port} · STARTTLS when the server offers it`),
      'the typed address is the top row, with the TLS its port suggests',
    );
    assert.equal(handle.activeLabel, `127.0.0.1:${first.port}`, 'and the one Enter takes');
    await vscode.commands.executeCommand(pressEnter);
    const session = await opening;
    assert.ok(session, 'Enter opened a session terminal');
    terminals.push(session);
    await session.waitForText(/\r\n220 /);
    assert.equal(session.target.port, first.port);
    assert.equal(session.target.tls, 'starttls', 'Enter took the suggested row: STARTTLS offered (the port is not 465), not started');
    assert.equal(session.target.rejectUnauthorized, true);
    assert.equal(lab.targets.current?.port, first.port, 'it became the current target');
  });

  it('Open Session Terminal again reopens the same server without asking', async () => {
    let asked = false;
    const listener = lab.targets.onDidShowPicker(() => (asked = true));
    try {
      const session = await vscode.commands.executeCommand<SessionTerminal>(commandIds.openSessionTerminal);
      assert.ok(session);
      terminals.push(session);
      await session.waitForText(/\r\n220 /);
      assert.equal(asked, false, 'no picker');
      assert.equal(session.target.port, first.port);
    } finally {
      listener.dispose();
    }
  });

  it('the status bar names the active target, and clicking it runs Choose Target', () => {
    assert.match(lab.connectionStatus.text, new RegExp(`SMTP 127\\.0\\.0\\.1:${first.port}$`));
    assert.equal(lab.connectionStatus.command, commandIds.chooseTarget);
    assert.match(lab.connectionStatus.tooltip, /^Active SMTP target: 127\.0\.0\.1:\d+ .*Click to choose another\./);
  });

  it('Choose Target shows the current target first; another typed address becomes the target, and the status bar follows it', async () => {
    const picker = nextPicker();
    const choosing = vscode.commands.executeCommand<unknown>(commandIds.chooseTarget);
    const handle = await picker;
    assert.equal(firstRow(handle, ['Current target']), `$(check) 127.0.0.1:${first.port}`, 'the current target comes first');
    await typeAndWait(handle, `127.0.0.1:${second.port}`);
    await vscode.commands.executeCommand(pressEnter);
    await choosing;
    assert.equal(lab.targets.current?.port, second.port);
    // A terminal still talks to the first server: the item names the target, not the terminal.
    assert.match(lab.connectionStatus.text, new RegExp(`SMTP 127\\.0\\.0\\.1:${second.port}$`));
    assert.match(lab.connectionStatus.tooltip, new RegExp(`Session terminal: connected to 127\\.0\\.0\\.1:${first.port}`));
  });

  it('Run Relay Suite shows the target it will use first, and probes nothing when the user goes back', async () => {
    const verdictBefore = lab.relayVerdicts.last;
    const picker = nextPicker();
    const running = vscode.commands.executeCommand<unknown>(commandIds.runRelaySuite);
    const handle = await picker;
    assert.equal(firstRow(handle, ['Current target']), `$(check) 127.0.0.1:${second.port}`);
    handle.hide();
    assert.equal(await running, undefined, 'no run');
    assert.equal(lab.relayVerdicts.last, verdictBefore, 'no verdict was published');
  });

  it('SMTP: Add Target writes the target to user settings; the Test Explorer then offers a run profile for it, besides Choose Target…', async () => {
    const configuration = vscode.workspace.getConfiguration();
    const before = configuration.inspect<unknown[]>(settingKeys.targets)?.globalValue;
    const listed = new Promise<void>((resolve) => {
      const listener = lab.settings.targets.onDidChange((targets) => {
        if (targets.some((target) => target.label === 'Staging MX (suite)')) {
          listener.dispose();
          resolve();
        }
      });
    });
    try {
      await vscode.commands.executeCommand(commandIds.addTarget, { name: 'Staging MX (suite)', host: '127.0.0.1', port: second.port, tls: 'none' });
      const written = vscode.workspace.getConfiguration().inspect<unknown[]>(settingKeys.targets)?.globalValue;
      assert.deepEqual(written?.at(-1), { name: 'Staging MX (suite)', host: '127.0.0.1', port: second.port, tls: 'none' }, 'in user settings');
      await listed;
      assert.equal(lab.targets.current?.label, 'Staging MX (suite)', 'and it is the target now');
      const profiles = lab.testExplorer?.profileLabels ?? [];
      assert.ok(profiles.includes('Run relay tests on Staging MX (suite)'), profiles.join(' | '));
      assert.ok(profiles.includes('Run relay tests: Choose Target…'), profiles.join(' | '));
      assert.match(profiles[0] ?? '', /^Run relay tests on Staging MX \(suite\) \(current target\)/, 'the default profile names its target');
    } finally {
      await configuration.update(settingKeys.targets, before, vscode.ConfigurationTarget.Global);
    }
  });

  it('Stop Practice Server says whether it stopped one', async () => {
    assert.ok(await vscode.commands.executeCommand(commandIds.startPracticeServer, 'postfix'));
    assert.equal(await vscode.commands.executeCommand(commandIds.stopPracticeServer), true);
    assert.equal(await vscode.commands.executeCommand(commandIds.stopPracticeServer), false, 'nothing to stop: it says so');
  });

  it('Run Relay Test: typing kb1 in the multi-select picker and pressing Enter runs kb1', async () => {
    const picked = pickRelayTests((picker) => {
      picker.value = 'kb1';
      void vscode.commands.executeCommand(pressEnter);
    });
    assert.deepEqual(await picked, ['kb1']);
  });

  it("a relay result completes only its own test's walkthrough step", () => {
    const verdicts = new RelayVerdicts();
    try {
      const result = { id: 'kb3', title: 't', group: 'kb' as const, mailFrom: '<>', rcptTo: '<a@example.net>', outcome: 'passed' as const, reason: 'r', replies: [], durationMs: 1 };
      verdicts.publish({
        report: { target: { host: '127.0.0.1', port: 25 }, verdict: 'closed', warnings: [], tests: [result], transcript: [], startedAt: 0, durationMs: 1 },
        target: newTarget('127.0.0.1', 25),
        source: 'session terminal',
        transcript: { header: { tool: 't', startedAt: 0 }, events: [] },
      });
      assert.deepEqual([...verdicts.testsWithResults], ['kb3']);
    } finally {
      verdicts.dispose();
    }
  });
});
