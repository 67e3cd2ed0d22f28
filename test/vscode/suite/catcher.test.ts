import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { commandIds, extensionId } from '../../../src/extension/ids';
import type { LabContext } from '../../../src/extension/labContext';
import type { RelayVerdictRecord } from '../../../src/extension/verdict/relayVerdictRecord';
import { canListenOn, configureCatcher, freeLoopbackPort, nextVerdict } from './catcherSettings';
import { runAllTests } from './runAllTests';

/**
 * Issue 10 §1 in the editor: with relay.confirmByDelivery on and relay.catcher set to HOST:PORT, a Test
 * Explorer run starts the built-in catcher there, and the practice server (open persona) hands what it
 * relays to it on loopback, as a lab Postfix's default_transport would. DATA to the practice server needs
 * no modal (nothing leaves the machine), so the run starts as a user starts it: Run All Tests.
 */
describe('Delivery confirmation with the built-in catcher (editor)', () => {
  let lab: LabContext;
  let catcherPort: number;
  let record: RelayVerdictRecord;

  before(async () => {
    lab = (await vscode.extensions.getExtension(extensionId)!.activate()) as LabContext;
    catcherPort = await freeLoopbackPort();
    const practice = await vscode.commands.executeCommand<{ host: string }>(commandIds.startPracticeServer, 'open');
    assert.ok(practice, 'the open practice server started');
    // Short: tests delivered locally (the control) never reach the catcher and are waited for this long.
    await configureCatcher(lab, `127.0.0.1:${catcherPort}`, 3);
  });

  after(async () => {
    await configureCatcher(lab, undefined, undefined);
    await vscode.commands.executeCommand(commandIds.stopPracticeServer);
  });

  it('Run All Tests on the open practice server: kb6 is confirmed relayed by the copy at the catcher, the test fails, the verdict is open', async () => {
    const published = nextVerdict(lab);
    await runAllTests(lab);
    record = await published;
    assert.equal(record.source, 'Test Explorer');
    assert.equal(record.report.verdict, 'open');
    const kb6 = record.report.tests.find((test) => test.id === 'kb6')!;
    assert.equal(kb6.outcome, 'failed', kb6.reason);
    assert.equal(kb6.confirmation?.method, 'catcher');
    assert.equal(kb6.confirmation?.result, 'relayed');
    assert.match(kb6.confirmation!.token, /^srl-kb6-[0-9a-f]{12}$/);
    assert.match(kb6.confirmation!.evidence, new RegExp(`Message-ID: <${kb6.confirmation!.token}@`));
    assert.equal(kb6.mailFrom, '<relay-lab-ndr@example.net>', 'with a catcher and no relay.mailFrom, an address the catcher receives');
  });

  it('the test item failed with a message that says what arrived at the catcher, and when', () => {
    const state = record.testItems?.kb6;
    assert.equal(state?.state, 'failed');
    assert.ok(state?.state === 'failed');
    assert.match(state.message, /^Relayed, proven by delivery: a copy carrying srl-kb6-[0-9a-f]{12} arrived at the catcher 127\.0\.0\.1:\d+/);
    assert.match(state.message, new RegExp(`\\nArrived: relayed \\(catcher, token srl-kb6-[0-9a-f]{12}\\): a relayed copy arrived at \\d\\d:\\d\\d:\\d\\d UTC`));
  });

  it('the run\'s transcript records what the catcher received and each confirmation', () => {
    const recording = lab.transcripts.recording(record.recordingId!);
    assert.ok(recording, 'the store holds the run');
    const text = recording.events.map((event) => event.text).join('\n');
    assert.match(text, new RegExp(`catcher 127\\.0\\.0\\.1:${catcherPort}: message from <relay-lab-ndr@example\\.net> to <`));
    assert.match(text, new RegExp(`catcher 127\\.0\\.0\\.1:${catcherPort}: kb6 relayed \\(token srl-kb6-`));
  });

  it('Show Relay Verdict says for kb6 what arrived and when', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>(commandIds.showVerdict);
    const text = (await vscode.workspace.openTextDocument(uri)).getText();
    assert.match(text, /\n- Arrived: relayed \(catcher, token srl-kb6-[0-9a-f]{12}\): a relayed copy arrived at \d\d:\d\d:\d\d UTC/);
  });

  it('the catcher listened only for the run, where the setting said: the port is free again', async () => {
    assert.equal(await canListenOn(catcherPort), true);
  });
});
