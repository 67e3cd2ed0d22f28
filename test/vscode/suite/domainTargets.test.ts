import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DomainReport } from '../../../src/core/reach/domainRun';
import { commandIds, extensionId, relayReportScheme, settingKeys, storageKeys } from '../../../src/extension/ids';
import type { LabContext } from '../../../src/extension/labContext';
import { readTarget, type Target } from '../../../src/extension/target';
import type { TargetPickerHandle } from '../../../src/extension/targets';
import type { SessionTerminal } from '../../../src/extension/terminal/sessionTerminal';
import { addressNodeId, domainNodeId, type ExplorerDomainRun, type TestItemSnapshot } from '../../../src/extension/testing/domainTree';
import { startPracticeServer, type PracticeServer } from '../../../src/lab/practiceServer';
import { startDnsmasq, type DnsmasqInstance } from '../../support/dnsmasq';
import { readTranscript } from '../../../src/core/transcript/transcriptFormat';
import { saveDomainTranscripts } from '../../../src/extension/verdict/relayTranscriptSaving';
import { isDomainVerdict } from '../../../src/extension/verdict/relayVerdictRecord';
import { textOnceItMatches } from './documentText';
import { runAllTests } from './runAllTests';

/** VS Code's own keys in a quick pick, as the keybindings run them. */
const pressEnter = 'workbench.action.acceptSelectedQuickOpenItem';
const pressDown = 'workbench.action.quickOpenSelectNext';

/**
 * Issue 10 §3 in the editor: a target may be a mail domain. Debian's dnsmasq, started here on a loopback
 * port, answers for *.test names; its MX records lead to practice servers started here on one port at
 * 127.0.0.1 (a closed Postfix-like server) and ::1 (an open relay). Nothing leaves loopback.
 */
describe('mail-domain targets: the Test Explorer, Run Relay Suite and the target picker', () => {
  let lab: LabContext;
  let dns: DnsmasqInstance;
  let closed: PracticeServer;
  let open: PracticeServer;
  let settingsBefore: unknown;
  const terminals: SessionTerminal[] = [];
  let resolverBefore: unknown;

  before(async () => {
    lab = (await vscode.extensions.getExtension(extensionId)!.activate()) as LabContext;
    const localDomains = ['two.test', 'down.test'];
    closed = await startPracticeServer({ persona: 'postfix', host: '127.0.0.1', port: 0, localDomains });
    // The domain's port applies to every address: the open relay listens on ::1 on the same port.
    open = await startPracticeServer({ persona: 'open', host: '::1', port: closed.port, localDomains });
    dns = await startDnsmasq({
      mxHosts: [
        ['two.test', 'mx1.two.test', 10],
        ['two.test', 'mx2.two.test', 20],
        ['down.test', 'mx.down.test', 10],
        ['down.test', 'gone.down.test', 20],
      ],
      hostRecords: [
        ['mx1.two.test', '127.0.0.1'],
        ['mx2.two.test', '::1'],
        ['mx.down.test', '127.0.0.1'],
        // Nothing listens there: an address that cannot be reached.
        ['gone.down.test', '127.0.0.3'],
      ],
    });
    const configuration = vscode.workspace.getConfiguration();
    settingsBefore = configuration.inspect(settingKeys.targets)?.globalValue;
    resolverBefore = configuration.inspect(settingKeys.dnsResolver)?.globalValue;
  });

  after(async () => {
    for (const session of terminals) {
      vscode.window.terminals.find((terminal) => 'pty' in terminal.creationOptions && terminal.creationOptions.pty === session)?.dispose();
    }
    // Leave the window as found: the suite report shown here is not the next suite's business.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const configuration = vscode.workspace.getConfiguration();
    await configuration.update(settingKeys.targets, settingsBefore, vscode.ConfigurationTarget.Global);
    await configuration.update(settingKeys.dnsResolver, resolverBefore, vscode.ConfigurationTarget.Global);
    await lab.extension.workspaceState.update(storageKeys.currentTarget, undefined);
    await dns?.stop();
    await open?.close();
    await closed?.close();
  });

  function domainEntry(domain: string): Record<string, unknown> {
    return { domain, resolver: dns.address, port: closed.port, tls: 'none' };
  }

  /** Writes these domain targets to the user's targets setting and waits until the extension has read them. */
  async function configureTargets(entries: Record<string, unknown>[]): Promise<Target[]> {
    const wanted = entries.map((entry) => readTarget(entry)!);
    const holdsThem = (targets: readonly Target[]) => JSON.stringify(targets) === JSON.stringify(wanted);
    // The same list written again fires no change: wait only when the extension does not hold it yet.
    const read = holdsThem(lab.settings.targets.value)
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const listener = lab.settings.targets.onDidChange((targets) => {
            if (holdsThem(targets)) {
              listener.dispose();
              resolve();
            }
          });
        });
    await vscode.workspace.getConfiguration().update(settingKeys.targets, entries, vscode.ConfigurationTarget.Global);
    await read;
    return wanted;
  }

  function nextDomainRun(): Promise<ExplorerDomainRun> {
    return new Promise((resolve) => {
      const listener = lab.testExplorer!.onDidFinishDomainRun((run) => {
        listener.dispose();
        resolve(run);
      });
    });
  }

  /** Makes the target current and runs all tests from the Testing view, as a user would. */
  async function runAllOn(target: Target): Promise<ExplorerDomainRun> {
    await lab.targets.setCurrent(target);
    const finished = nextDomainRun();
    await runAllTests(lab);
    return finished;
  }

  function child(node: TestItemSnapshot | undefined, label: string): TestItemSnapshot | undefined {
    return node?.children.find((candidate) => candidate.label === label);
  }

  it('a domain target in settings is a node of the Testing view; expanding it resolves the MX hosts: one child per address, with MX names and preference', async () => {
    const [two] = await configureTargets([domainEntry('two.test')]);
    const id = domainNodeId(two!);
    await lab.testExplorer!.expand(id);
    const node = lab.testExplorer!.snapshot(id);
    assert.equal(node?.label, 'two.test');
    assert.equal(node?.error, undefined);
    assert.deepEqual(
      node?.children.map(({ id: childId, label, description }) => ({ id: childId, label, description })),
      [
        { id: addressNodeId(id, '127.0.0.1'), label: '127.0.0.1', description: 'mx1.two.test · preference 10' },
        { id: addressNodeId(id, '::1'), label: '::1', description: 'mx2.two.test · preference 20' },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
  });

  it('Run All on a domain target tests every address: each has the relay tests with their results, and the domain shows the worst (open)', async () => {
    const [two] = await configureTargets([domainEntry('two.test')]);
    const run = await runAllOn(two!);
    assert.equal(run.error, undefined);
    assert.equal(run.wholeDomain, true);
    assert.deepEqual(
      run.report?.hosts.map((host) => [host.address, host.names, host.port, host.verdict]),
      [
        ['127.0.0.1', ['mx1.two.test'], closed.port, 'closed'],
        ['::1', ['mx2.two.test'], closed.port, 'open'],
      ],
    );
    assert.equal(run.report?.verdict, 'open');
    assert.equal(run.domainState?.state, 'failed');
    assert.equal(run.domainState?.message, 'two.test: OPEN RELAY (worst of 2 hosts): ::1 relays');
    assert.equal(run.addressStates['127.0.0.1']?.state, 'passed');
    assert.equal(run.addressStates['::1']?.state, 'failed');
    assert.deepEqual(run.testItems['127.0.0.1']?.kb1, { state: 'passed' });
    assert.equal(run.testItems['::1']?.kb1?.state, 'failed');
    assert.deepEqual(Object.keys(run.testItems['::1'] ?? {}).sort(), Object.keys(run.testItems['127.0.0.1'] ?? {}).sort(), 'the same tests at each address');

    const node = lab.testExplorer!.snapshot(domainNodeId(two!));
    assert.match(node?.description ?? '', / · open \(worst of 2\)$/);
    const openAddress = child(node, '::1');
    assert.equal(openAddress?.description, 'mx2.two.test · preference 20 · open');
    assert.equal(child(node, '127.0.0.1')?.description, 'mx1.two.test · preference 10 · closed');
    const kbGroup = child(openAddress, 'KB 304897 tests');
    assert.deepEqual(
      kbGroup?.children.map((test) => test.description),
      ['kb1', 'kb2', 'kb3', 'kb4', 'kb5', 'kb6', 'kb7'],
      "the address's relay tests, as a host target's tree",
    );
  });

  it('an address that cannot be reached is an error, and makes the domain inconclusive, never closed', async () => {
    const [down] = await configureTargets([domainEntry('down.test')]);
    const run = await runAllOn(down!);
    const byAddress = new Map(run.report?.hosts.map((host) => [host.address, host]));
    assert.equal(byAddress.get('127.0.0.1')?.verdict, 'closed');
    assert.equal(byAddress.get('127.0.0.3')?.verdict, 'error');
    assert.match(byAddress.get('127.0.0.3')?.problem ?? '', /ECONNREFUSED|refused/i);
    assert.equal(run.report?.verdict, 'inconclusive');
    assert.equal(run.addressStates['127.0.0.3']?.state, 'errored');
    assert.equal(run.domainState?.state, 'errored');
    assert.match(run.domainState?.message ?? '', /127\.0\.0\.3 could not be tested, so the domain cannot be called closed/);
  });

  it('a domain that does not exist is a clear error on its node, not a crash', async () => {
    const [missing] = await configureTargets([domainEntry('nx.test')]);
    const run = await runAllOn(missing!);
    assert.match(run.error ?? '', /^The mail servers of nx\.test could not be looked up: the domain nx\.test does not exist \(NXDOMAIN\)/);
    const node = lab.testExplorer!.snapshot(domainNodeId(missing!));
    assert.equal(node?.error, run.error);
    assert.deepEqual(node?.children, []);
  });

  it('Run Relay Suite on a domain target runs the domain (as relay --domain) and shows its table', async () => {
    const report = await vscode.commands.executeCommand<DomainReport>(commandIds.runRelaySuite, { target: domainEntry('two.test'), tests: 'kb' });
    assert.equal(report?.domain, 'two.test');
    assert.equal(report?.verdict, 'open');
    assert.deepEqual(report?.hosts.map((host) => [host.address, host.verdict]), [['127.0.0.1', 'closed'], ['::1', 'open']]);
    const shown = vscode.window.visibleTextEditors.find((editor) => editor.document.uri.scheme === relayReportScheme);
    assert.match(shown?.document.getText() ?? '', /^Domain: {2}two\.test \(MX hosts\)\nVerdict: OPEN \(worst of 2 hosts\)\n/);

    // Show Relay Verdict shows this run: the domain, its worst-of verdict, a row per address, the open one in detail.
    const hostRunBefore = lab.relayVerdicts.last;
    const latest = lab.relayVerdicts.latest;
    assert.ok(latest && isDomainVerdict(latest), 'the domain run is the latest verdict');
    assert.equal(latest.report, report);
    assert.equal(lab.relayVerdicts.last, hostRunBefore, "a domain run is not read as one host's run");
    const uri = await vscode.commands.executeCommand<vscode.Uri>(commandIds.showVerdict);
    // The document may still show an earlier run (this suite's Test Explorer run of two.test): wait for this one.
    const text = await textOnceItMatches(uri, /^# Relay verdict for the mail domain `two\.test`: OPEN RELAY\n[^]*· 2 addresses \(of its MX hosts\) from the Run Relay Suite · /);
    assert.match(text, /The worst of its 2 addresses: open beats inconclusive beats closed/);
    assert.deepEqual(
      text.split('\n').filter((line) => line.startsWith('| `')),
      [`| \`mx1.two.test\` | 10 | \`127.0.0.1\` | ${closed.port} | closed |`, `| \`mx2.two.test\` | 20 | \`::1\` | ${closed.port} | **OPEN RELAY** |`],
    );
    assert.match(text, /\n## ::1 \(mx2\.two\.test\): \*\*OPEN RELAY\*\*\n\n### Relay verdict: OPEN RELAY\n/);
    assert.match(text, /\n\| \*\*kb1\*\* KB test 1: remote sender to remote recipient \| \*\*FAILED: relayed\*\* \|/);
    assert.doesNotMatch(text, /\n## 127\\?\.0\.0\.1/, 'a closed address is a table row only');

    // Save Transcripts next to it: one file per address, each that address's own run.
    const folder = vscode.Uri.file(fs.mkdtempSync(path.join(os.tmpdir(), 'domain-transcripts-')));
    try {
      const written = await saveDomainTranscripts(latest, folder);
      assert.equal(written?.length, 2);
      const targets = written!.map((file) => readTranscript(fs.readFileSync(file.fsPath, 'utf8')).header.target).sort();
      assert.deepEqual(targets, [`127.0.0.1:${closed.port}`, `[::1]:${closed.port}`].sort());
    } finally {
      fs.rmSync(folder.fsPath, { recursive: true, force: true });
    }
  });

  it('the terminal talks to one server: for a domain target it asks which address, and connects to the one chosen', async () => {
    const shown = new Promise<vscode.QuickPick<vscode.QuickPickItem>>((resolve) => {
      const listener = lab.targets.onDidShowHostPicker((picker) => {
        listener.dispose();
        resolve(picker);
      });
    });
    const opening = vscode.commands.executeCommand<SessionTerminal>(commandIds.openSessionTerminal, { target: domainEntry('two.test') });
    const picker = await shown;
    assert.deepEqual(
      picker.items.map((item) => `${item.label} — ${item.description ?? ''}`),
      ['127.0.0.1 — mx1.two.test · preference 10', '::1 — mx2.two.test · preference 20'],
    );
    const onSecond = new Promise<void>((resolve) => {
      const listener = picker.onDidChangeActive((items) => {
        if (items[0]?.label === '::1') {
          listener.dispose();
          resolve();
        }
      });
    });
    await vscode.commands.executeCommand(pressDown);
    await onSecond;
    await vscode.commands.executeCommand(pressEnter);
    const session = await opening;
    assert.ok(session, 'Enter opened a session terminal');
    terminals.push(session);
    await session.waitForText(/\r\n220 /);
    assert.equal(session.target.host, '::1');
    assert.equal(session.target.port, closed.port);
    assert.equal(session.target.mailDomain, undefined, 'a host target: the address chosen');
    assert.equal(session.target.label, `mx2.two.test ([::1]:${closed.port}, MX of two.test)`);
  });

  describe('the target picker (issue 9 §1): typing a domain offers "Test the mail servers of <domain>"', () => {
    function nextPicker(): Promise<TargetPickerHandle> {
      return new Promise((resolve) => {
        const listener = lab.targets.onDidShowPicker((handle) => {
          listener.dispose();
          resolve(handle);
        });
      });
    }

    /** Types the domain, moves down to its "Test the mail servers" row and presses Enter, as a person would. */
    async function chooseMailServersOf(handle: TargetPickerHandle, domain: string): Promise<void> {
      const row = `$(globe) Test the mail servers of ${domain}`;
      const typed = new Promise<void>((resolve) => {
        const listener = handle.onDidChangeActive((label) => {
          if (label === domain) {
            listener.dispose();
            resolve();
          }
        });
      });
      handle.type(domain);
      await typed;
      assert.ok(handle.labels.includes(row), handle.rows.join(' | '));
      // Down, as many times as the workbench's ranking of the rows needs (bounded by the rows shown).
      for (let presses = 0; handle.activeLabel !== row; presses++) {
        assert.ok(presses < handle.labels.length, `no row "${row}" reached with the down key: ${handle.rows.join(' | ')}`);
        const moved = new Promise<void>((resolve) => {
          const listener = handle.onDidChangeActive(() => {
            listener.dispose();
            resolve();
          });
        });
        await vscode.commands.executeCommand(pressDown);
        await moved;
      }
      await vscode.commands.executeCommand(pressEnter);
    }

    it('choosing it in Choose Target makes the domain the target, resolved with the dnsResolver setting, port 25', async () => {
      await configureTargets([]);
      await vscode.workspace.getConfiguration().update(settingKeys.dnsResolver, dns.address, vscode.ConfigurationTarget.Global);
      const picker = nextPicker();
      const choosing = vscode.commands.executeCommand<Target>(commandIds.chooseTarget);
      await chooseMailServersOf(await picker, 'two.test');
      const chosen = await choosing;
      assert.deepEqual(chosen?.mailDomain, { domain: 'two.test', resolver: dns.address });
      assert.equal(chosen?.port, 25);
      assert.deepEqual(lab.targets.current?.mailDomain, { domain: 'two.test', resolver: dns.address });
    });

    it('choosing it in Run Relay Suite tests the domain: the domain target from settings, every address', async () => {
      await configureTargets([domainEntry('two.test')]);
      const picker = nextPicker();
      const running = vscode.commands.executeCommand<DomainReport>(commandIds.runRelaySuite);
      await chooseMailServersOf(await picker, 'two.test');
      const report = await running;
      assert.equal(report?.domain, 'two.test');
      assert.deepEqual(report?.hosts.map((host) => [host.address, host.port, host.verdict]), [['127.0.0.1', closed.port, 'closed'], ['::1', closed.port, 'open']]);
      assert.equal(report?.verdict, 'open');
    });
  });
});
