import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { relayCatalogue } from '../../src/core/relay/relayCatalogue';
import { runRelaySuite } from '../../src/core/relay/relayRunner';
import type { RelayReport, RelayTestResult } from '../../src/core/relay/relayTypes';
import { trustedNetworkWarning } from '../../src/core/relay/relayVerdict';
import type { TranscriptEvent } from '../../src/core/transcript/transcriptEvent';
import { readEventLine } from '../../src/core/transcript/transcriptFormat';
import { newTarget, type Target } from '../../src/extension/target';
import {
  confirmationRequest,
  relayProof,
  runIntroduction,
  testItemStateFor,
  testResultOutput,
  transcriptOutputLine,
  verdictOutput,
} from '../../src/extension/testing/testResultMapping';
import { groupNodeById, selectTestsForRun, sortTextFor, testGroupNodes, testsInGroup } from '../../src/extension/testing/testTree';
import { relayParametersFor, relayRunOptionsFor, relayRunTranscript } from '../../src/extension/verdict/relayRunSetup';
import { startPracticeServer, type PracticeServer } from '../../src/lab/practiceServer';
import type { PersonaName } from '../../src/lab/persona';
import { resultFor } from '../support/relayResults';

const kbIds = ['control', 'kb1', 'kb2', 'kb3', 'kb4', 'kb5', 'kb6', 'kb7'];

/** A practice target as the extension makes one: the server's own domain and user, no certificate check. */
function practiceTarget(server: PracticeServer, overrides: Partial<Target> = {}): Target {
  return {
    ...newTarget(server.host, server.port, 'none'),
    label: `Practice server (${server.persona})`,
    rejectUnauthorized: false,
    localDomains: [...server.localDomains],
    localUser: server.localUsers[0]!,
    practicePersona: server.persona,
    ...overrides,
  };
}

function setupFor(target: Target) {
  return { target, timeouts: { replyMs: 10_000 }, addressForm: 'bracketed' as const, remoteUser: 'relay-test', confirmByDelivery: false };
}

const servers: PracticeServer[] = [];
async function practice(persona: PersonaName): Promise<PracticeServer> {
  const server = await startPracticeServer({ persona });
  servers.push(server);
  return server;
}
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});


describe('Test Explorer tree: groups and run selection', () => {
  test('three groups, KB first, and every catalogue test in exactly one of them', () => {
    assert.deepEqual(
      testGroupNodes.map((node) => node.label),
      ['KB 304897 tests', 'Control', 'Extended variants'],
    );
    const grouped = testGroupNodes.flatMap((node) => testsInGroup(node.group).map((test) => test.id));
    assert.deepEqual([...grouped].sort(), relayCatalogue.map((test) => test.id).sort());
    assert.deepEqual(testsInGroup('kb').map((test) => test.id), kbIds.slice(1));
    assert.equal(groupNodeById('group:control')?.group, 'control');
  });

  test('items sort in catalogue order, so kb10 could never come before kb2', () => {
    const sortTexts = relayCatalogue.map(sortTextFor);
    assert.deepEqual([...sortTexts].sort(), sortTexts);
  });

  test('a run of everything runs every catalogue test, control first, with nothing added', () => {
    assert.deepEqual(selectTestsForRun(undefined), { testIds: relayCatalogue.map((test) => test.id), controlAdded: false });
  });

  test('running one relay test adds the control in front of it, and says so', () => {
    assert.deepEqual(selectTestsForRun(['kb6']), { testIds: ['control', 'kb6'], controlAdded: true });
  });

  test('running the KB group runs the control and kb1-kb7, in order', () => {
    assert.deepEqual(selectTestsForRun(['group:kb']), { testIds: kbIds, controlAdded: true });
  });

  test('running the control alone runs only the control', () => {
    assert.deepEqual(selectTestsForRun(['group:control']), { testIds: ['control'], controlAdded: false });
  });

  test('exclusions apply after inclusions, but never remove the control from a relay run', () => {
    assert.deepEqual(selectTestsForRun(['group:kb', 'control'], ['kb3', 'control']), {
      testIds: ['control', 'kb1', 'kb2', 'kb4', 'kb5', 'kb6', 'kb7'],
      controlAdded: true,
    });
    assert.deepEqual(selectTestsForRun(undefined, ['group:extended', 'group:kb']).testIds, ['control']);
  });

  test('ids the catalogue does not know (an item from an older version) select nothing', () => {
    assert.deepEqual(selectTestsForRun(['kb99', 'group:nothing']), { testIds: [], controlAdded: false });
  });
});

describe('Test Explorer results against an Exchange-like practice server', () => {
  let report: RelayReport;
  before(async () => {
    const server = await practice('exchange');
    report = await runRelaySuite(relayRunOptionsFor(setupFor(practiceTarget(server)), kbIds));
  });

  test('a relay test refused at RCPT passes, without a note', () => {
    assert.deepEqual(testItemStateFor(resultFor(report, 'kb1')), { state: 'passed' });
  });

  test('test 6 is NDR-pending: it passes (the server is closed) with a request to confirm in its output', () => {
    assert.equal(resultFor(report, 'kb6').outcome, 'needs-confirmation');
    assert.deepEqual(testItemStateFor(resultFor(report, 'kb6')), { state: 'passed', note: confirmationRequest });
    assert.match(confirmationRequest, /NDR/);
    assert.match(confirmationRequest, /Run with delivery confirmation/);
  });

  test('the accepted control passes', () => {
    assert.deepEqual(testItemStateFor(resultFor(report, 'control')), { state: 'passed' });
  });

  test('an acceptance nothing proves (no echo of the local domain) is no pass: skipped, as the Problems call it a Warning', () => {
    const kb6 = resultFor(report, 'kb6');
    const unproven = { ...kb6, replies: kb6.replies.map((record) => ({ ...record, signals: [] })) };
    assert.deepEqual(testItemStateFor(unproven), { state: 'skipped' });
  });

  test('replies that decide nothing about relay are [ok] in the output, as in the terminal', () => {
    const output = testResultOutput(resultFor(report, 'kb1'));
    assert.match(output, /MAIL FROM:<admin@example\.net> -> 250 [^\r\n]* {2}\[ok\]\r\n/);
  });

  test("a test's output names what was sent, every reply with its class, and the reason, in CRLF lines", () => {
    const output = testResultOutput(resultFor(report, 'kb1'));
    assert.match(output, /^--- kb1: passed - KB test 1: remote sender to remote recipient\r\n/);
    assert.match(output, /\r\n {4}sent: {3}MAIL FROM:<admin@example\.net> {2}RCPT TO:<relay-test@example\.net>\r\n/);
    assert.match(output, /\r\n {4}reply: {2}RCPT TO:<relay-test@example\.net> -> 550 5\.7\.1 [^\r\n]* {2}\[rejection\]\r\n/);
    assert.match(output, /\r\n {4}reason: Rejected at RCPT: 550 5\.7\.1/);
    assert.doesNotMatch(output.replace(/\r\n/g, ''), /[\r\n]/, 'no bare CR or LF');
  });

  test('every live transcript line is the line a saved transcript holds, and ends with CRLF', () => {
    const startedAt = report.startedAt;
    for (const event of report.transcript) {
      const line = transcriptOutputLine(event, startedAt);
      assert.match(line, /\r\n$/);
      assert.doesNotMatch(line.slice(0, -2), /[\r\n]/);
      const read = readEventLine(line.slice(0, -2), 1, startedAt);
      assert.ok('event' in read, `"${line}" reads back as an event`);
      assert.deepEqual(read.event, event);
    }
  });

  test('the verdict output says closed and asks to confirm the NDR-pending tests', () => {
    const output = verdictOutput(report);
    assert.match(output, /\r\nVerdict: CLOSED: no remote recipient was accepted; kb6, kb7 were accepted for local delivery/);
    assert.match(output, /\r\n {2}! Tests kb6 and kb7 were accepted for local delivery \(NDR-pending\)/);
  });
});

describe('Test Explorer results against an open-relay practice server', () => {
  let report: RelayReport;
  before(async () => {
    const server = await practice('open');
    report = await runRelaySuite(relayRunOptionsFor(setupFor(practiceTarget(server)), kbIds));
  });

  test('a relayed test fails with expected "a refusal" and actual the RCPT reply that relayed', () => {
    const state = testItemStateFor(resultFor(report, 'kb1'));
    assert.equal(state.state, 'failed');
    assert.ok(state.state === 'failed');
    assert.match(state.message, /^Relayed: 250/);
    assert.equal(state.actual, 'RCPT TO:<relay-test@example.net>\n-> 250 2.1.5 Ok');
    assert.match(state.expected, /^RCPT TO:<relay-test@example\.net>\n-> a refusal \(4xx or 5xx\)\n {3}\(a closed server rejects at RCPT/);
  });

  test('the diff is short lines, not one long one: the diff view does not wrap, and cut the actual reply off', () => {
    const result = resultFor(report, 'kb1');
    const multiLine: RelayTestResult = {
      ...result,
      replies: [{ command: 'RCPT TO:<relay-test@example.net>', code: 250, enhanced: '2.1.5', text: 'Ok, queued for relay\nsecond line of the reply', class: 'acceptance', temporary: false, reason: 'ok', signals: ['relay'] }],
    };
    const state = testItemStateFor(multiLine);
    assert.ok(state.state === 'failed');
    assert.deepEqual(state.actual.split('\n'), ['RCPT TO:<relay-test@example.net>', '-> 250 2.1.5 Ok, queued for relay', '   second line of the reply']);
    for (const line of [...state.actual.split('\n'), ...state.expected.split('\n')]) {
      assert.ok(line.length <= 100, `a line of ${line.length} characters: ${line}`);
    }
  });

  test('the proof of a relay is the reply classified as relaying, not merely the last one', () => {
    const result = resultFor(report, 'kb1');
    const withLaterReply: RelayTestResult = {
      ...result,
      replies: [...result.replies, { command: 'RSET', code: 250, enhanced: null, text: 'Ok', class: 'acceptance', temporary: false, reason: 'ok' }],
    };
    assert.equal(relayProof(withLaterReply)?.command, 'RCPT TO:<relay-test@example.net>');
  });

  test('the verdict output warns that the client may be inside trusted networks', () => {
    const output = verdictOutput(report);
    assert.match(output, /Verdict: OPEN RELAY/);
    assert.ok(output.includes(`  ! ${trustedNetworkWarning}\r\n`));
  });
});

describe('Test Explorer results when nothing can be decided', () => {
  test('with the control refused (an unknown local user on a harvest-style server), relay tests are skipped', async () => {
    const server = await practice('harvest');
    const target = practiceTarget(server, { localUser: 'no-such-user' });
    const report = await runRelaySuite(relayRunOptionsFor(setupFor(target), ['control', 'kb1']));
    assert.equal(resultFor(report, 'control').outcome, 'inconclusive');
    assert.deepEqual(testItemStateFor(resultFor(report, 'control')), { state: 'skipped' });
    assert.equal(resultFor(report, 'kb1').outcome, 'inconclusive');
    assert.deepEqual(testItemStateFor(resultFor(report, 'kb1')), { state: 'skipped' });
  });

  test('a server that cannot be reached makes every test errored, with the reason as message', async () => {
    const port = await closedPort();
    const target = newTarget('127.0.0.1', port, 'none');
    const report = await runRelaySuite(relayRunOptionsFor(setupFor(target), ['control', 'kb1']));
    const state = testItemStateFor(resultFor(report, 'kb1'));
    assert.equal(state.state, 'errored');
    assert.ok(state.state === 'errored');
    assert.match(state.message, /^Not run: /);
  });

  test('after the user cancelled, tests that never ran are skipped, not errored', async () => {
    const server = await practice('exchange');
    const abort = new AbortController();
    abort.abort();
    const report = await runRelaySuite(relayRunOptionsFor(setupFor(practiceTarget(server)), ['control', 'kb1'], { signal: abort.signal }));
    const result = resultFor(report, 'kb1');
    assert.equal(result.outcome, 'error');
    assert.deepEqual(testItemStateFor(result, { cancelled: true }), { state: 'skipped' });
  });
});

describe('Test Explorer run output and run options', () => {
  test('the introduction says when the control was added and that no DATA is sent', () => {
    const text = runIntroduction({ targetLabel: 'Lab', testIds: ['control', 'kb6'], controlAdded: true, confirmByDelivery: false });
    assert.equal(
      text,
      '=== Relay tests against Lab: control, kb6\r\n' +
        '=== The control test was added: without a local recipient the server accepts, its rejections would prove nothing.\r\n' +
        '=== No DATA is sent: nothing can be relayed by this run.\r\n',
    );
    assert.match(
      runIntroduction({ targetLabel: 'Lab', testIds: ['control'], controlAdded: false, confirmByDelivery: true }),
      /^=== Relay tests against Lab: control\r\n=== Delivery confirmation is ON: DATA is sent/,
    );
  });

  test('live lines use the TLS markers once the session is inside TLS', () => {
    const startedAt = Date.UTC(2026, 0, 1);
    const event: TranscriptEvent = { kind: 'sent', at: startedAt + 1500, tls: true, text: 'RCPT TO:<a@example.net>' };
    assert.equal(transcriptOutputLine(event, startedAt), '+1.500  ~> RCPT TO:<a@example.net>\r\n');
  });

  test('run options come from the target: its TLS and certificate choice, its domains, and no DATA unless asked', () => {
    const target: Target = {
      ...newTarget('mail.example.com', 587),
      rejectUnauthorized: false,
      localDomains: ['example.com'],
      localUser: 'admin',
      heloName: 'client.example.org',
    };
    const options = relayRunOptionsFor({ ...setupFor(target), addressForm: 'bare' }, ['control', 'kb1']);
    assert.deepEqual(options.session, {
      host: 'mail.example.com',
      port: 587,
      tls: 'starttls',
      rejectUnauthorized: false,
      timeouts: { replyMs: 10_000 },
    });
    assert.deepEqual(options.parameters, relayParametersFor({ ...setupFor(target), addressForm: 'bare' }));
    assert.deepEqual(options.parameters, {
      localDomains: ['example.com'],
      localUser: 'admin',
      remoteDomain: 'example.net',
      remoteUser: 'relay-test',
      serverAddress: '',
      heloName: 'client.example.org',
      addressForm: 'bare',
    });
    assert.equal(options.confirmByDelivery, false);
    assert.deepEqual(options.testIds, ['control', 'kb1']);
  });

  test("a run's transcript header names the target, the tool, the TLS mode, the tests and the persona", () => {
    const target: Target = { ...newTarget('127.0.0.1', 2525, 'none'), practicePersona: 'exchange' };
    const transcript = relayRunTranscript(target, { startedAt: 5, events: [], tool: 'SMTP Relay Lab Test Explorer', testIds: ['control', 'kb1'] });
    assert.deepEqual(transcript.header, {
      target: '127.0.0.1:2525',
      startedAt: 5,
      tool: 'SMTP Relay Lab Test Explorer',
      extra: { tls: 'none', tests: 'control,kb1', persona: 'exchange' },
    });
  });
});

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
