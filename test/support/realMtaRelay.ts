// What the real-server suites (Postfix, Exim, OpenSMTPD) assert alike: how a run is started against a lab
// instance, and the evidence rules of issue 7 that hold on every MTA.
import assert from 'node:assert/strict';
import { selectRelayTests } from '../../src/core/relay/relayCatalogue';
import { relayReportToJson } from '../../src/core/relay/relayJson';
import { renderRelayReport } from '../../src/core/relay/relayReport';
import { runRelaySuite } from '../../src/core/relay/relayRunner';
import type { ClassifiedReplyRecord, RelayReport, RelayRunOptions, RelayTestResult } from '../../src/core/relay/relayTypes';

/** Every test of the catalogue: the control, kb1-kb7 and every x- test. */
export const allTestIds = selectRelayTests('all').map((definition) => definition.id);

/** The routing-form subset an open relay must never pass as closed (issue 7: the "older UNIX-based servers" case). */
export const routingSubset = ['control', 'kb6', 'kb7', 'x-percent-ip-literal', 'x-quoted-percent', 'x-bang-path'];

/** Tests that try to relay: all but the control and the harvest probe (an unknown user at the local domain). */
export function isRelayTest(id: string): boolean {
  return id !== 'control' && id !== 'x-unknown-local-user';
}

export function runAgainstMta(
  server: { host: string; port: number; localDomain: string },
  testIds: readonly string[],
  options: Partial<RelayRunOptions> = {},
): Promise<RelayReport> {
  return runRelaySuite({
    session: { host: server.host, port: server.port, tls: 'none', timeouts: { replyMs: 30_000 } },
    parameters: {
      localDomains: [server.localDomain],
      localUser: 'postmaster',
      remoteDomain: 'example.net',
      remoteUser: 'relay-test',
      serverAddress: '',
      heloName: 'relay-lab.example.com',
      addressForm: 'bracketed',
    },
    testIds: [...testIds],
    ...options,
  });
}

export function lastReply(result: RelayTestResult): ClassifiedReplyRecord {
  const record = result.replies.at(-1);
  assert.ok(record, `${result.id} has no reply: ${result.reason}`);
  return record;
}

/** The test's own recipient was answered, and that answer is its last: the recipient form was exercised. */
export function assertEndsWithItsRcpt(result: RelayTestResult): ClassifiedReplyRecord {
  const record = lastReply(result);
  assert.equal(record.command, `RCPT TO:${result.rcptTo}`, `${result.id} must end with its RCPT answered: ${JSON.stringify(result.replies)}`);
  assert.ok(record.code >= 200 && record.code < 600, `${result.id}: RCPT got ${record.code}`);
  return record;
}

/** The enhanced codes the server itself wrote, read from the received lines of the transcript. */
function enhancedCodesSent(report: RelayReport): Set<string> {
  const sent = new Set<string>();
  for (const event of report.transcript) {
    if (event.kind !== 'received') continue;
    const match = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/.exec(event.text);
    if (match) sent.add(match[1]);
  }
  return sent;
}

/**
 * Issue 7 item 4: an enhanced code shown anywhere (the results, the JSON, the text report) is one the
 * server wrote; a meaning inferred from the basic code may only appear marked as inferred.
 */
export function assertNoInventedEnhancedCodes(report: RelayReport): void {
  const sent = enhancedCodesSent(report);
  for (const result of report.tests) {
    for (const record of result.replies) {
      if (record.enhanced !== null) {
        assert.ok(sent.has(record.enhanced), `${result.id}: ${record.code} ${record.enhanced} is shown, but the server never sent ${record.enhanced}`);
      }
    }
  }
  for (const test of relayReportToJson(report).tests) {
    for (const reply of test.replies) {
      if (reply.enhanced !== null) {
        assert.ok(sent.has(reply.enhanced), `JSON ${test.id}: ${reply.code} ${reply.enhanced} was never sent`);
      }
    }
  }
  for (const match of renderRelayReport(report).matchAll(/\b[245]\d\d ([245]\.\d{1,3}\.\d{1,3})\b/g)) {
    assert.ok(sent.has(match[1]), `the text report shows ${match[0]}, an enhanced code the server never sent`);
  }
}

/**
 * Issue 7 item 1, per test: a refused recipient passes; a recipient answered 2yz is never passed nor "not
 * relayed" without proof (a bare 250 proves nothing).
 */
export function assertRecipientPartDecides(result: RelayTestResult): void {
  const rcpt = assertEndsWithItsRcpt(result);
  if (rcpt.code >= 500) {
    assert.equal(result.outcome, 'passed', `${result.id}: refused at RCPT (${rcpt.code} ${rcpt.text}) but ${result.outcome}: ${result.reason}`);
  } else if (rcpt.code < 300) {
    assert.notEqual(result.outcome, 'passed', `${result.id}: accepted at RCPT (${rcpt.code} ${rcpt.text}) yet passed: ${result.reason}`);
  }
}

/** What a real MTA answered, one line per test, for failure messages and the record of the run. */
export function answersTable(report: RelayReport): string {
  return report.tests
    .map((result) => `${result.id}: ${result.outcome} | ${result.replies.map((record) => `${record.command} -> ${record.code} ${record.text.split('\n')[0]}`).join(' ; ')}`)
    .join('\n');
}
