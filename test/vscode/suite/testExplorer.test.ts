import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { relayCatalogue } from '../../../src/core/relay/relayCatalogue';
import type { RelayReport } from '../../../src/core/relay/relayTypes';
import { readTranscript } from '../../../src/core/transcript/transcriptFormat';
import { commandIds, extensionId, relayReportScheme } from '../../../src/extension/ids';
import { newTarget } from '../../../src/extension/target';
import type { LabContext } from '../../../src/extension/labContext';
import { confirmationRequest } from '../../../src/extension/testing/testResultMapping';
import type { RelayVerdictRecord } from '../../../src/extension/verdict/relayVerdictRecord';
import { saveRelayTranscript } from '../../../src/extension/verdict/relayTranscriptSaving';
import { textOnceItMatches } from './documentText';

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

  async function runAllFromTestingView(): Promise<RelayVerdictRecord> {
    const published = nextVerdict();
    await vscode.commands.executeCommand('testing.runAll');
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
    const text = (await vscode.workspace.openTextDocument(uri)).getText();
    assert.match(text, /^# Relay verdict: OPEN RELAY\n/);
    assert.ok(text.indexOf('trusted networks') > 0 && text.indexOf('trusted networks') < text.indexOf('## Tests'));
    assert.match(text, /\n\| \*\*kb1\*\* KB test 1: remote sender to remote recipient \| \*\*FAILED: relayed\*\* \| `250 2\.1\.5 Ok` \|\n/);
  });

  it('Run Relay Suite runs the relay.tests selection (kb) against the target given, and shows the text report', async () => {
    const practice = await practiceTarget('exchange');
    const published = nextVerdict();
    const report = await vscode.commands.executeCommand<RelayReport>(commandIds.runRelaySuite, {
      target: { name: 'Lab Exchange', host: practice.host, port: practice.port, tls: 'none', localDomains: ['corp.example'], localUser: 'admin' },
    });
    assert.ok(report, 'the command resolves with the report');
    assert.deepEqual(
      report.tests.map((test) => test.id),
      ['control', 'kb1', 'kb2', 'kb3', 'kb4', 'kb5', 'kb6', 'kb7'],
    );
    assert.equal(report.verdict, 'closed');
    const record = await published;
    assert.equal(record.source, 'Run Relay Suite');
    assert.equal(record.report, report);
    const shown = vscode.window.visibleTextEditors.find((editor) => editor.document.uri.scheme === relayReportScheme);
    assert.ok(shown, 'the text report is shown');
    assert.match(shown.document.getText(), /^Verdict: CLOSED: no remote recipient was accepted; kb6, kb7 were accepted/);
  });

  it('the verdict document follows the newest run while it is open', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>(commandIds.showVerdict);
    const text = await textOnceItMatches(uri, /^# Relay verdict: Closed: not an open relay\n/);
    assert.match(text, /\*\*Target:\*\* Lab Exchange at `127\.0\.0\.1:\d+` · 8 tests from the Run Relay Suite · /);
  });

  it("Save Transcript next to a verdict writes exactly that run's transcript, in our format", async () => {
    const record = lab.relayVerdicts.last!;
    const destination = vscode.Uri.file(path.join(scratch, 'relay-run.smtp-transcript'));
    const saved = await saveRelayTranscript(record, destination);
    assert.equal(saved?.toString(), destination.toString());
    const transcript = readTranscript(fs.readFileSync(destination.fsPath, 'utf8'));
    assert.equal(transcript.header.tool, 'SMTP Relay Lab relay suite');
    assert.equal(transcript.header.target, `127.0.0.1:${record.target.port}`);
    assert.deepEqual(transcript.header.extra, { tls: 'none', tests: 'control,kb1,kb2,kb3,kb4,kb5,kb6,kb7' });
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
});
