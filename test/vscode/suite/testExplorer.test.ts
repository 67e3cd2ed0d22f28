import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { relayCatalogue, selectRelayTests } from '../../../src/core/relay/relayCatalogue';
import { relayDefaults } from '../../../src/cli/relayCommand';
import { startPracticeServer } from '../../../src/lab/practiceServer';
import type { RelayReport } from '../../../src/core/relay/relayTypes';
import { readTranscript } from '../../../src/core/transcript/transcriptFormat';
import { commandIds, extensionId, relayReportScheme } from '../../../src/extension/ids';
import { newTarget } from '../../../src/extension/target';
import type { LabContext } from '../../../src/extension/labContext';
import { confirmationRequest } from '../../../src/extension/testing/testResultMapping';
import type { RelayVerdictRecord } from '../../../src/extension/verdict/relayVerdictRecord';
import { saveRelayTranscript } from '../../../src/extension/verdict/relayTranscriptSaving';
import { textOnceItMatches } from './documentText';
import { runAllTests } from './runAllTests';

/**
 * The relay tests in VS Code's Testing view and the two relay commands, against the practice server.
 * Runs start the way a user starts them ("Run All Tests", the command palette); what they produced is read
 * from the verdict they publish, which carries the state each test item was given.
 */
describe('Test Explorer and relay commands', () => {
  let lab: LabContext;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'smtp-relay-lab-test-explorer-'));

  before(async () => {
    lab = (await vscode.extensions.getExtension(extensionId)!.activate()) as LabContext;
    assert.ok(lab?.relayVerdicts, 'the extension returns its LabContext');
  });

  after(async () => {
    await vscode.commands.executeCommand(commandIds.stopPracticeServer);
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  function nextVerdict(): Promise<RelayVerdictRecord> {
    return new Promise((resolve) => {
      const listener = lab.relayVerdicts.onDidPublish((record) => {
        listener.dispose();
        resolve(record);
      });
    });
  }

  /** Starts the practice server with this persona, which also makes it the current target. */
  async function practiceTarget(persona: string): Promise<{ host: string; port: number }> {
    const practice = await vscode.commands.executeCommand<{ host: string; port: number }>(commandIds.startPracticeServer, persona);
    assert.ok(practice, `the ${persona} practice server started`);
    return practice;
  }

  /** The test's item as the Testing view shows it. */
  function explorerItem(testId: string): vscode.TestItem {
    const item = lab.testExplorer?.testItem(testId);
    assert.ok(item, `the Test Explorer has an item for ${testId}`);
    return item;
  }

  /**
   * Opens the Testing view and clicks Run All, as a user does. Just after activation the workbench may not
   * know the controller's tests yet, and Run All then runs nothing: the click waits until the view lists them.
   */
  async function runAllFromTestingView(): Promise<RelayVerdictRecord> {
    const published = nextVerdict();
    await runAllTests(lab);
    return published;
  }

  it('Run All Tests runs every catalogue test on one connection to the current target: an Exchange-like server is closed', async () => {
    await practiceTarget('exchange');
    const record = await runAllFromTestingView();
    assert.equal(record.source, 'Test Explorer');
    assert.equal(record.target.practicePersona, 'exchange');
    assert.deepEqual(
      record.report.tests.map((test) => test.id),
      relayCatalogue.map((test) => test.id),
    );
    assert.equal(record.report.verdict, 'closed');
  });

  it('tests refused at RCPT pass; tests 6 and 7 (NDR-pending) pass too, with a request to confirm', async () => {
    const record = lab.relayVerdicts.last!;
    assert.deepEqual(record.testItems?.kb1, { state: 'passed' });
    assert.deepEqual(record.testItems?.control, { state: 'passed' });
    assert.deepEqual(record.testItems?.kb6, { state: 'passed', note: confirmationRequest });
    assert.deepEqual(record.testItems?.kb7, { state: 'passed', note: confirmationRequest });
  });

  it('against an open relay, relay tests fail with "a refusal" expected and the reply that relayed as actual', async () => {
    await practiceTarget('open');
    const record = await runAllFromTestingView();
    assert.equal(record.report.verdict, 'open');
    const kb1 = record.testItems?.kb1;
    assert.equal(kb1?.state, 'failed');
    assert.ok(kb1?.state === 'failed');
    assert.equal(kb1.actual, 'RCPT TO:<relay-test@example.net>\n-> 250 2.1.5 Ok', 'command and reply on lines of their own, so the diff view does not cut the reply off');
    assert.match(kb1.expected, /^RCPT TO:<relay-test@example\.net>\n-> a refusal/);
    assert.match(kb1.message, /^Relayed: /);
  });

  it('the run is recorded in the transcripts store as it happens', async () => {
    const record = lab.relayVerdicts.last!;
    assert.ok(record.recordingId, 'the verdict knows its recording');
    const recording = lab.transcripts.recording(record.recordingId);
    assert.ok(recording, 'the store holds the recording');
    assert.equal(recording.label, 'Test Explorer: Practice server (open)');
    assert.deepEqual(recording.events, record.report.transcript);
  });

  it('Show Relay Verdict shows the last run as a Markdown report, the trusted-network warning first', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>(commandIds.showVerdict);
    assert.equal(uri?.scheme, relayReportScheme);
    // Opened by an earlier suite (whose last run may have been an open relay too), the document shows the new
    // run only once VS Code handled the change: wait for this run's own start time and target.
    const last = lab.relayVerdicts.last!.report;
    const started = new Date(last.startedAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
    const thisRun = new RegExp(`at \`${escapeRegExp(last.target.host)}:${last.target.port}\` · .* · started ${escapeRegExp(started)} ·`);
    const text = await textOnceItMatches(uri, thisRun);
    assert.match(text, /^# Relay verdict: OPEN RELAY\n/);
    assert.ok(text.indexOf('trusted networks') > 0 && text.indexOf('trusted networks') < text.indexOf('## Tests'));
    assert.match(text, /\n\| \*\*kb1\*\* KB test 1: remote sender to remote recipient \| \*\*FAILED: relayed\*\* \| `250 2\.1\.5 Ok` \|\n/);
  });

  it("Run Relay Suite with no relay.tests setting runs the CLI's default tests (all of them) against the target given, and shows the text report", async () => {
    const practice = await practiceTarget('exchange');
    const inspected = vscode.workspace.getConfiguration('smtpRelayLab').inspect('relay.tests');
    assert.deepEqual([inspected?.globalValue, inspected?.workspaceValue, inspected?.workspaceFolderValue], [undefined, undefined, undefined], 'no setting');
    const published = nextVerdict();
    const report = await vscode.commands.executeCommand<RelayReport>(commandIds.runRelaySuite, {
      target: { name: 'Lab Exchange', host: practice.host, port: practice.port, tls: 'none', localDomains: ['corp.example'], localUser: 'admin', practicePersona: 'exchange' },
    });
    assert.ok(report, 'the command resolves with the report');
    // What `smtp-relay-lab relay` runs without --tests: the same ids, in the same order.
    assert.deepEqual(
      report.tests.map((test) => test.id),
      selectRelayTests(relayDefaults.tests).map((test) => test.id),
    );
    assert.deepEqual(
      report.tests.map((test) => test.id),
      relayCatalogue.map((test) => test.id),
    );
    assert.equal(report.verdict, 'closed');
    const record = await published;
    assert.equal(record.source, 'Run Relay Suite');
    assert.equal(record.report, report);
    const shown = vscode.window.visibleTextEditors.find((editor) => editor.document.uri.scheme === relayReportScheme);
    assert.ok(shown, 'the text report is shown');
    assert.match(shown.document.getText(), /^Verdict: CLOSED: no remote recipient was accepted; kb6, kb7, x-quoted-ip-sender, /);
  });

  it('the verdict document follows the newest run while it is open', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>(commandIds.showVerdict);
    const text = await textOnceItMatches(uri, /^# Relay verdict: Closed: not an open relay\n/);
    assert.match(text, new RegExp(`\\*\\*Target:\\*\\* Lab Exchange at \`127\\.0\\.0\\.1:\\d+\` · ${relayCatalogue.length} tests from the Run Relay Suite · `));
  });

  it("Save Transcript next to a verdict writes exactly that run's transcript, in our format", async () => {
    const record = lab.relayVerdicts.last!;
    const destination = vscode.Uri.file(path.join(scratch, 'relay-run.smtp-transcript'));
    const saved = await saveRelayTranscript(record, destination);
    assert.equal(saved?.toString(), destination.toString());
    const transcript = readTranscript(fs.readFileSync(destination.fsPath, 'utf8'));
    assert.equal(transcript.header.tool, 'SMTP Relay Lab relay suite');
    assert.equal(transcript.header.target, `127.0.0.1:${record.target.port}`);
    assert.deepEqual(transcript.header.extra, { tls: 'none', tests: relayCatalogue.map((test) => test.id).join(','), persona: 'exchange' });
    assert.deepEqual(transcript.events, record.report.transcript);
  });

  it('cancelling a run from the Testing view aborts its connection, and a cancelled run leaves the last verdict alone', async () => {
    const before = lab.relayVerdicts.last;
    // A server that accepts and never greets: without cancellation the run would wait for the greeting.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    const connected = new Promise<net.Socket>((resolve) => silent.once('connection', resolve));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const settings = vscode.workspace.getConfiguration('smtpRelayLab');
    await settings.update('timeouts.greetingSeconds', 600, vscode.ConfigurationTarget.Global);
    try {
      const { port } = silent.address() as net.AddressInfo;
      await lab.targets.setCurrent({ ...newTarget('127.0.0.1', port, 'none'), label: 'Silent server' });
      const run = vscode.commands.executeCommand('testing.runAll');
      const socket = await connected;
      const closedByClient = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      await vscode.commands.executeCommand('testing.cancelRun');
      await closedByClient;
      await run;
      assert.equal(lab.relayVerdicts.last, before, 'no verdict from a cancelled run');
    } finally {
      await settings.update('timeouts.greetingSeconds', undefined, vscode.ConfigurationTarget.Global);
      sockets.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('a second run against the same target marks the tests whose outcome changed since the first, and only those', async () => {
    // One server address, whose behaviour changes between the runs: an Exchange-like server, then an open relay
    // started on the same port (the same target to the Test Explorer, as a staging server reconfigured would be).
    const closed = await startPracticeServer({ persona: 'exchange' });
    let running = closed;
    try {
      const address = `127.0.0.1:${closed.port}`;
      await lab.targets.setCurrent({ ...newTarget('127.0.0.1', closed.port, 'none'), label: 'Staging relay', localDomains: closed.localDomains, localUser: 'admin' });
      const first = await runAllFromTestingView();
      for (const test of relayCatalogue) {
        assert.equal(first.testItems?.[test.id]?.change, undefined, `${test.id}: nothing to compare with on the first run`);
        assert.equal(explorerItem(test.id).description, test.id, `${test.id}: no mark after the first run`);
      }

      await closed.close();
      running = await startPracticeServer({ persona: 'open', port: closed.port });
      const second = await runAllFromTestingView();
      assert.equal(second.report.verdict, 'open');
      assert.equal(second.target.port, first.target.port, 'the same target both times');

      const before = new Map(first.report.tests.map((test) => [test.id, test.outcome]));
      const changed = second.report.tests.filter((test) => before.get(test.id) !== test.outcome);
      const unchanged = second.report.tests.filter((test) => before.get(test.id) === test.outcome);
      // What the servers do decides the lists; the test only needs both to be there, with kb1 and control as the KB reads them.
      assert.ok(changed.some((test) => test.id === 'kb1'), 'kb1 was refused by the closed server and relayed by the open one');
      assert.ok(unchanged.some((test) => test.id === 'control'), 'both servers accept the control, a local recipient');

      for (const test of changed) {
        const shown = `${before.get(test.id)} -> ${test.outcome}`;
        assert.equal(explorerItem(test.id).description, `${test.id} · changed: ${shown}`, `${test.id}: the tree marks the change`);
        assert.equal(
          second.testItems?.[test.id]?.change,
          `Changed since the last run against Staging relay (${address}): ${shown}`,
          `${test.id}: the message on the test says what it was and what it is`,
        );
      }
      for (const test of unchanged) {
        assert.equal(explorerItem(test.id).description, test.id, `${test.id}: unchanged, unmarked`);
        assert.equal(second.testItems?.[test.id]?.change, undefined, `${test.id}: unchanged, no message`);
      }
      const kb1 = second.testItems?.kb1;
      assert.equal(kb1?.state, 'failed', 'kb1 fails, with its diff message and the change beside it');
      assert.equal(kb1?.change, `Changed since the last run against Staging relay (${address}): passed -> failed`);
    } finally {
      await running.close();
    }
  });

  it('choosing another target clears the changed-outcome marks with the results they were about', async () => {
    assert.match(explorerItem('kb1').description ?? '', /changed: passed -> failed$/, 'the last run left kb1 marked');
    await practiceTarget('postfix');
    for (const test of relayCatalogue) {
      assert.equal(explorerItem(test.id).description, test.id, `${test.id}: no mark left from the other target`);
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
