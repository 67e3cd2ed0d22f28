// The relay runner against a REAL Postfix (the Debian package), started by the test on loopback, once
// closed and once open. What the practice personas only imitate is checked here against the real thing:
// the KB tests are refused with Postfix's own "Relay access denied", the control is accepted, the full
// catalogue never trips Postfix's error slow-down, and an open instance is called open with the
// trusted-network warning, while nothing it accepts can leave the machine. Needs root and the postfix
// package (scripts/install-debian-deps.sh).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { selectRelayTests } from '../../src/core/relay/relayCatalogue';
import { runRelaySuite } from '../../src/core/relay/relayRunner';
import type { RelayReport, RelayRunOptions, RelayTestResult } from '../../src/core/relay/relayTypes';
import { trustedNetworkWarning } from '../../src/core/relay/relayVerdict';
import { startPostfix, type PostfixInstance } from '../support/postfix';
import {
  allTestIds,
  answersTable,
  assertEndsWithItsRcpt,
  assertNoInventedEnhancedCodes,
  assertRecipientPartDecides,
  isRelayTest,
  routingSubset,
  runAgainstMta,
} from '../support/realMtaRelay';
import { resultFor } from '../support/relayResults';

const kbRelayTests = ['kb1', 'kb2', 'kb3', 'kb4', 'kb5'];

function runAgainst(postfix: PostfixInstance, selection: string, options: Partial<RelayRunOptions> = {}): Promise<RelayReport> {
  return runRelaySuite({
    session: { host: postfix.host, port: postfix.port, tls: 'none' },
    parameters: {
      localDomains: [postfix.localDomain],
      localUser: 'postmaster',
      remoteDomain: 'example.net',
      remoteUser: 'relay-test',
      serverAddress: '',
      heloName: 'relay-lab.example.com',
      addressForm: 'bracketed',
    },
    testIds: selectRelayTests(selection).map((definition) => definition.id),
    ...options,
  });
}


function rcptRecord(result: RelayTestResult) {
  const record = result.replies.find((candidate) => candidate.command.startsWith('RCPT TO:'));
  assert.ok(record, `${result.id} has no RCPT reply: ${JSON.stringify(result.replies)}`);
  return record;
}

function receivedLines(report: RelayReport): string[] {
  return report.transcript.filter((event) => event.kind === 'received').map((event) => event.text);
}

describe('relay runner against a closed Postfix (loopback outside mynetworks)', () => {
  let postfix: PostfixInstance;
  let kbReport: RelayReport;
  before(async () => {
    postfix = await startPostfix({ mode: 'closed' });
    kbReport = await runAgainst(postfix, 'kb');
  });
  after(() => postfix?.stop());

  test('kb1-kb5 are refused at RCPT with Postfix\'s "Relay access denied" (454 or 554) and pass', () => {
    for (const id of kbRelayTests) {
      const result = resultFor(kbReport, id);
      const rcpt = rcptRecord(result);
      assert.ok([454, 554].includes(rcpt.code), `${id} got ${rcpt.code} ${rcpt.text}`);
      assert.match(rcpt.text, /Relay access denied/);
      assert.ok(rcpt.signals?.includes('relay-denied'), `${id} lacks the relay-denied signal`);
      assert.equal(result.outcome, 'passed', `${id}: ${result.reason}`);
    }
  });

  test('the control (postmaster at the local domain) is accepted, so the refusals mean something', () => {
    const control = resultFor(kbReport, 'control');
    assert.equal(control.outcome, 'passed', control.reason);
    assert.equal(control.rcptTo, `<postmaster@${postfix.localDomain}>`);
    assert.equal(rcptRecord(control).code, 250);
  });

  test('the verdict is closed, without the trusted-network warning', () => {
    assert.equal(kbReport.verdict, 'closed');
    assert.ok(!kbReport.warnings.includes(trustedNetworkWarning));
  });

  test('no DATA is sent and nothing is delivered: the instance recorded no delivery', async () => {
    const sent = kbReport.transcript.filter((event) => event.kind === 'sent').map((event) => event.text);
    assert.ok(!sent.includes('DATA'));
    assert.deepEqual(await postfix.deliveries(), []);
  });

  test('every test of the catalogue ends with its own RCPT answered; every relay test is refused there and passes', async () => {
    const report = await runAgainstMta(postfix, allTestIds);
    for (const result of report.tests.filter((candidate) => candidate.id !== 'control')) {
      assertEndsWithItsRcpt(result);
    }
    for (const result of report.tests.filter((candidate) => isRelayTest(candidate.id))) {
      assertRecipientPartDecides(result);
      assert.equal(result.outcome, 'passed', `${result.id}: ${result.reason}\n${answersTable(report)}`);
    }
  });

  test("the full catalogue is closed too, and never reaches Postfix's error limits (no 421, no slowed session)", async () => {
    const report = await runAgainst(postfix, 'all');
    assert.equal(report.verdict, 'closed', report.warnings.join('\n'));
    assert.deepEqual(
      report.tests.filter((result) => result.outcome === 'error').map((result) => `${result.id}: ${result.reason}`),
      [],
    );
    assert.ok(!receivedLines(report).some((line) => line.startsWith('421')), 'Postfix dropped a session for too many errors');
    // Postfix answers "too many errors" only at smtpd_hard_error_limit; the early reconnections keep us far from it.
    assert.doesNotMatch(await postfix.maillog(), /too many errors/);
  });
});

describe('relay runner against an open Postfix (loopback inside mynetworks)', () => {
  let postfix: PostfixInstance;
  let kbReport: RelayReport;
  before(async () => {
    postfix = await startPostfix({ mode: 'open' });
    kbReport = await runAgainst(postfix, 'kb');
  });
  after(() => postfix?.stop());

  test('the remote-recipient KB tests are accepted with 250 and fail as relays', () => {
    for (const id of kbRelayTests) {
      const result = resultFor(kbReport, id);
      assert.equal(rcptRecord(result).code, 250, `${id}: ${JSON.stringify(result.replies)}`);
      assert.equal(result.outcome, 'failed', `${id}: ${result.reason}`);
    }
  });

  test('the verdict is open, and the trusted-network warning says to repeat the test from outside', () => {
    assert.equal(kbReport.verdict, 'open');
    assert.ok(kbReport.warnings.includes(trustedNetworkWarning), kbReport.warnings.join('\n'));
  });

  test('without confirmByDelivery nothing is sent for delivery: no DATA, and the instance recorded nothing', async () => {
    const sent = kbReport.transcript.filter((event) => event.kind === 'sent').map((event) => event.text);
    assert.ok(!sent.includes('DATA'));
    assert.deepEqual(await postfix.deliveries(), []);
  });

  test('every test of the catalogue reaches its RCPT, and no relay test Postfix accepted there is passed', async () => {
    const report = await runAgainstMta(postfix, allTestIds);
    for (const result of report.tests.filter((candidate) => candidate.id !== 'control')) {
      assertEndsWithItsRcpt(result);
    }
    for (const result of report.tests.filter((candidate) => isRelayTest(candidate.id))) {
      assert.equal(assertEndsWithItsRcpt(result).code, 250, `${result.id}\n${answersTable(report)}`);
      assertRecipientPartDecides(result);
    }
    assertNoInventedEnhancedCodes(report);
    // The harvest probe: an unknown user at the local domain is refused from the local recipient table.
    const probe = assertEndsWithItsRcpt(resultFor(report, 'x-unknown-local-user'));
    assert.equal(probe.code, 550);
    assert.match(probe.text, /User unknown in local recipient table/);
  });

  test('no relay test is passed or called "not relayed": a bare "250 2.1.5 Ok" proves no local handling', async () => {
    const report = await runAgainstMta(postfix, allTestIds);
    for (const result of report.tests.filter((candidate) => isRelayTest(candidate.id))) {
      assert.notEqual(result.outcome, 'passed', `${result.id}: ${result.reason}`);
      assert.doesNotMatch(result.reason, /not relayed/i, result.id);
    }
    assert.equal(report.verdict, 'open');
  });

  test('the %/quoted/bang subset alone (control, kb6, kb7, x-percent-ip-literal, x-quoted-percent, x-bang-path) is never closed', async () => {
    const report = await runAgainstMta(postfix, routingSubset);
    assert.notEqual(report.verdict, 'closed', answersTable(report));
    for (const result of report.tests.filter((candidate) => candidate.id !== 'control')) {
      assert.notEqual(result.outcome, 'passed', `${result.id}: ${result.reason}`);
    }
  });

  test("with confirmByDelivery, the percent hack at the server's IP literal really relays, into the failing pipe: outbound delivery goes nowhere", async () => {
    // x-percent-ip-literal: a bare 250 to a routing form at the server's own address is ambiguous, the kind
    // of acceptance that confirmation by delivery exists for.
    const report = await runAgainst(postfix, 'x-percent-ip-literal', { confirmByDelivery: true });
    const result = resultFor(report, 'x-percent-ip-literal');
    assert.equal(result.rcptTo, '<relay-test%example.net@[127.0.0.1]>');
    const endOfData = result.replies.at(-1);
    assert.equal(endOfData?.code, 250, JSON.stringify(result.replies));
    const deliveries = await postfix.waitForDeliveries(1);
    assert.equal(deliveries.length, 1);
    const [delivery] = deliveries;
    // Postfix took [127.0.0.1] as itself, rewrote relay-test%example.net to relay-test@example.net and
    // routed it to the remote domain...
    assert.equal(delivery.recipient, 'relay-test@example.net');
    assert.equal(delivery.nexthop, 'example.net');
    // ...where the only transport is a pipe that records the message and defers it (EX_TEMPFAIL).
    assert.equal(delivery.service, 'failpipe');
    assert.equal(delivery.exitStatus, 75);
    assert.match(delivery.message, /^X-Relay-Lab-Test: x-percent-ip-literal$/m);
    assert.notEqual(result.outcome, 'passed', result.reason);
  });
});
