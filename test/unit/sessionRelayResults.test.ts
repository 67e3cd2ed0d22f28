import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { relayCatalogue } from '../../src/core/relay/relayCatalogue';
import type { RelayTestOutcome, RelayTestResult } from '../../src/core/relay/relayTypes';
import { noControlWarning } from '../../src/core/relay/relayVerdict';
import type { TranscriptEvent } from '../../src/core/transcript/transcriptEvent';
import { SessionRelayResults, type SessionRelayReportFacts } from '../../src/extension/terminal/sessionRelayResults';

const catalogueOrder = relayCatalogue.map((test) => test.id);

function result(id: string, outcome: RelayTestOutcome, durationMs = 10): RelayTestResult {
  return {
    id,
    title: id,
    group: id === 'control' ? 'control' : id.startsWith('kb') ? 'kb' : 'extended',
    mailFrom: '<postmaster>',
    rcptTo: '<relay-test@example.net>',
    outcome,
    reason: `${id} ${outcome}`,
    replies: [],
    durationMs,
  };
}

const sent: TranscriptEvent = { kind: 'sent', at: 1, tls: false, text: 'RCPT TO:<relay-test@example.net>' };
const facts: SessionRelayReportFacts = { target: { host: '127.0.0.1', port: 2525 }, transcript: [sent], addressForm: 'bracketed' };

/** The walkthrough's order: one button per KB test, kb1 first. */
function walkthroughResults(): SessionRelayResults {
  const results = new SessionRelayResults(catalogueOrder);
  for (const id of ['kb1', 'kb2', 'kb3', 'kb4', 'kb5']) {
    results.record(result(id, 'passed'), 1_000);
  }
  // NDR-pending proven by the server's echo of its local domain: what lets the verdict be closed (evidence rules).
  results.record({ ...result('kb6', 'needs-confirmation'), proof: 'echo' }, 2_000);
  results.record({ ...result('kb7', 'needs-confirmation'), proof: 'echo' }, 3_000);
  return results;
}

describe("a session terminal's relay results", () => {
  test('there is no report before the first test', () => {
    assert.equal(new SessionRelayResults(catalogueOrder).report(facts), undefined);
  });

  test('kb1..kb7 run one at a time add up to one closed verdict over all seven, with the no-control warning', () => {
    const report = walkthroughResults().report(facts)!;
    assert.equal(report.verdict, 'closed');
    assert.deepEqual(
      report.tests.map((test) => test.id),
      ['kb1', 'kb2', 'kb3', 'kb4', 'kb5', 'kb6', 'kb7'],
    );
    assert.ok(report.warnings.includes(noControlWarning));
    assert.ok(report.warnings.some((warning) => warning.startsWith('Tests kb6 and kb7 were accepted for local delivery')));
  });

  test('a control run after the relay tests counts too, listed first, and takes the no-control warning away', () => {
    const results = walkthroughResults();
    results.record(result('control', 'passed'), 4_000);
    const report = results.report(facts)!;
    assert.equal(report.tests[0]?.id, 'control');
    assert.equal(report.tests.length, 8);
    assert.ok(!report.warnings.includes(noControlWarning));
  });

  test('a refused control makes the terminal\'s verdict inconclusive, whenever it ran', () => {
    const results = walkthroughResults();
    results.record(result('control', 'inconclusive'), 4_000);
    assert.equal(results.report(facts)!.verdict, 'inconclusive');
  });

  test('a re-run replaces the earlier result of that test: a relayed kb1 makes the server open', () => {
    const results = walkthroughResults();
    results.record(result('kb1', 'failed'), 5_000);
    const report = results.report(facts)!;
    assert.equal(report.verdict, 'open');
    assert.equal(report.tests.filter((test) => test.id === 'kb1').length, 1);
    assert.equal(report.tests[0]?.outcome, 'failed');
  });

  test('the report starts with the earliest counted test, lasts the tests\' own time, and carries the transcript and target', () => {
    const results = new SessionRelayResults(catalogueOrder);
    results.record(result('kb2', 'passed', 40), 7_000);
    results.record(result('kb1', 'passed', 25), 9_000);
    const report = results.report(facts)!;
    assert.equal(report.startedAt, 7_000);
    assert.equal(report.durationMs, 65);
    assert.equal(report.elapsedMs, 2_025, 'from the start of the first test (7 000) to the end of the last (9 025)');
    assert.deepEqual(report.target, { host: '127.0.0.1', port: 2525 });
    assert.deepEqual(report.transcript, [sent]);
    assert.deepEqual(
      report.tests.map((test) => test.id),
      ['kb1', 'kb2'],
      'catalogue order, not the order they ran',
    );
  });
});
