import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { relayReportToJson } from '../../src/core/relay/relayJson';
import { renderRelayReport, verdictSummary } from '../../src/core/relay/relayReport';
import type { RelayReport } from '../../src/core/relay/relayTypes';
import { readTranscript, transcriptTitle } from '../../src/core/transcript/transcriptFormat';

const startedAt = Date.UTC(2026, 10, 28, 22, 30, 0);

const report: RelayReport = {
  target: { host: '127.0.0.1', port: 2525 },
  verdict: 'closed',
  warnings: ['Test kb6 was accepted for local delivery (NDR-pending), not shown to relay.'],
  startedAt,
  durationMs: 420,
  transcript: [
    { kind: 'info', at: startedAt, tls: false, text: 'connected to 127.0.0.1:2525' },
    { kind: 'received', at: startedAt + 4, tls: false, text: '220 mx.example.com Microsoft ESMTP MAIL Service ready' },
    { kind: 'sent', at: startedAt + 10, tls: false, text: 'RCPT TO:<victim@example.net>' },
    { kind: 'received', at: startedAt + 12, tls: false, text: '550 5.7.1 Unable to relay for victim@example.net' },
  ],
  tests: [
    {
      id: 'kb1',
      title: 'KB test 1: remote sender to remote recipient',
      group: 'kb',
      mailFrom: '<admin@example.net>',
      rcptTo: '<victim@example.net>',
      outcome: 'passed',
      reason: 'Rejected at RCPT: 550 5.7.1: relay denied: the server refused to forward to a domain it does not host.',
      durationMs: 3,
      replies: [
        { command: 'MAIL FROM:<admin@example.net>', code: 250, enhanced: '2.1.0', text: 'admin@example.net....Sender OK', class: 'acceptance', temporary: false, reason: 'ok' },
        {
          command: 'RCPT TO:<victim@example.net>',
          code: 550,
          enhanced: '5.7.1',
          text: 'Unable to relay for victim@example.net',
          class: 'rejection',
          temporary: false,
          reason: 'relay denied',
          signals: ['relay-denied'],
        },
      ],
    },
    {
      id: 'kb6',
      title: 'KB test 6: percent hack (R%RD)',
      group: 'kb',
      mailFrom: '<admin>',
      rcptTo: '<victim%example.net>',
      outcome: 'needs-confirmation',
      reason: 'NDR-pending: accepted for local delivery.',
      proof: 'echo',
      durationMs: 2,
      replies: [
        {
          command: 'RCPT TO:<victim%example.net>',
          code: 250,
          enhanced: '2.1.5',
          text: 'victim%example.net@example.com',
          class: 'ndr-pending',
          temporary: false,
          reason: 'local',
          signals: ['local-domain-appended'],
        },
      ],
    },
  ],
};

describe('renderRelayReport', () => {
  const text = renderRelayReport(report);
  const lines = text.split('\n');

  test('the verdict comes first', () => {
    assert.equal(lines[0], `Verdict: ${verdictSummary(report)}`);
    assert.match(lines[0], /^Verdict: CLOSED: no remote recipient was accepted; kb6 was accepted for local delivery \(proven by the server's echo of its domain\)/);
  });

  test('the target line names host and port, and the run\'s duration (under a second in ms, not "0.4 s")', () => {
    assert.match(lines[1], /^Target: +127\.0\.0\.1:2525, 2 tests in 420 ms$/);
  });

  test('the table of tests is aligned: every outcome and title starts in the same column', () => {
    const rows = lines.filter((line) => /^ {2}kb\d /.test(line));
    assert.equal(rows.length, 2);
    assert.equal(rows[0].indexOf('passed'), rows[1].indexOf('needs-confirmation'));
    assert.equal(rows[0].indexOf('KB test 1'), rows[1].indexOf('KB test 6'));
  });

  test('each test shows its addresses, the deciding reply and the reason', () => {
    assert.ok(lines.includes('    sent:    MAIL FROM:<admin@example.net>  RCPT TO:<victim@example.net>'));
    assert.ok(lines.includes('    reply:   RCPT TO:<victim@example.net> -> 550 5.7.1 Unable to relay for victim@example.net'));
    assert.ok(text.includes('reason:  Rejected at RCPT: 550 5.7.1: relay denied'));
  });

  test('long reasons wrap under the text, within the width', () => {
    const narrow = renderRelayReport(report, { width: 60 });
    for (const line of narrow.split('\n').filter((candidate) => candidate.startsWith('    reason:') || candidate.startsWith('             '))) {
      assert.ok(line.length <= 60, line);
    }
  });

  test('the deciding reply is never wrapped, however narrow the width', () => {
    const narrow = renderRelayReport(report, { width: 40 }).split('\n');
    assert.ok(narrow.includes('    reply:   RCPT TO:<victim@example.net> -> 550 5.7.1 Unable to relay for victim@example.net'));
  });

  test('warnings come last', () => {
    const warningsAt = lines.indexOf('Warnings:');
    assert.ok(warningsAt > lines.findIndex((line) => line.startsWith('kb6: ')));
    assert.match(lines[warningsAt + 1], /^ {2}! Test kb6 was accepted/);
  });

  test('each test says how its outcome was proven', () => {
    assert.ok(lines.includes("    proof:   echo: the server wrote the recipient back with its local domain"));
  });

  test('an open verdict names the tests that relayed', () => {
    const open: RelayReport = { ...report, verdict: 'open', tests: [{ ...report.tests[0], outcome: 'failed' }] };
    assert.equal(verdictSummary(open), 'OPEN RELAY: the server accepted a test for remote recipients (kb1).');
  });
});

describe('relayReportToJson', () => {
  const json = relayReportToJson(report);

  test('has exactly the documented shape', () => {
    assert.deepEqual(Object.keys(json), ['target', 'verdict', 'warnings', 'tests', 'transcript']);
    assert.deepEqual(json.target, { host: '127.0.0.1', port: 2525 });
    assert.equal(json.verdict, 'closed');
    assert.deepEqual(Object.keys(json.tests[0]), ['id', 'title', 'mailFrom', 'rcptTo', 'outcome', 'reason', 'replies']);
    assert.deepEqual(json.tests[0].replies[1], {
      command: 'RCPT TO:<victim@example.net>',
      code: 550,
      enhanced: '5.7.1',
      text: 'Unable to relay for victim@example.net',
      class: 'rejection',
    });
  });

  test('the transcript is in the project transcript format and reads back to the same events', () => {
    assert.ok(json.transcript.startsWith(transcriptTitle));
    const readBack = readTranscript(json.transcript);
    assert.deepEqual(readBack.events, report.transcript);
    assert.equal(readBack.header.target, '127.0.0.1:2525');
  });

  test('survives JSON.stringify and parse unchanged', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
  });
});
