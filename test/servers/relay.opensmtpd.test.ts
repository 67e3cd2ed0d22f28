// The relay runner against a REAL OpenSMTPD (Debian bookworm's opensmtpd 6.8), started by the test on
// loopback in its own mount namespace, once closed (mail for corp.example only) and once open (`match from
// local for any action "relay"`, relaying to a loopback port where nothing listens). OpenSMTPD accepts
// every sender form the catalogue sends and answers each recipient: "550 Invalid recipient: <…>" for what
// it will not take, "501 Recipient address syntax error" for quoted and double-@ forms, "250 Destination
// address valid: Recipient ok" for what it will. Needs root and the unpacked package (scripts/install-mtas.sh);
// fails, never skips, without them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RelayReport } from '../../src/core/relay/relayTypes';
import { startOpenSmtpd, type OpenSmtpdInstance } from '../support/opensmtpd';
import { resultFor } from '../support/relayResults';
import {
  allTestIds,
  answersTable,
  assertEndsWithItsRcpt,
  assertNoInventedEnhancedCodes,
  assertRecipientPartDecides,
  isRelayTest,
  lastReply,
  routingSubset,
  runAgainstMta,
} from '../support/realMtaRelay';

const kbRemote = ['kb1', 'kb2', 'kb3', 'kb4', 'kb5'];

function sharedExpectations(label: string, get: () => { smtpd: OpenSmtpdInstance; report: RelayReport }): void {
  test(`${label}: the greeting is OpenSMTPD's own`, () => {
    assert.equal(get().smtpd.greeting, '220 mail.corp.example ESMTP OpenSMTPD');
  });

  test(`${label}: the control is accepted ("250 … Recipient ok")`, () => {
    const control = resultFor(get().report, 'control');
    assert.equal(control.outcome, 'passed', control.reason);
    assert.equal(lastReply(control).code, 250);
    assert.match(lastReply(control).text, /Recipient ok/);
  });

  test(`${label}: every test after the control ends with its own RCPT answered (OpenSMTPD takes every sender form), none is an error`, () => {
    for (const result of get().report.tests.filter((candidate) => candidate.id !== 'control')) {
      assert.notEqual(result.outcome, 'error', `${result.id}: ${result.reason}`);
      assertEndsWithItsRcpt(result);
    }
  });

  test(`${label}: no enhanced code is shown that OpenSMTPD did not send`, () => {
    assertNoInventedEnhancedCodes(get().report);
  });

  test(`${label}: the recipient part decides every relay test (refused passes, accepted never passes)`, () => {
    for (const result of get().report.tests.filter((candidate) => isRelayTest(candidate.id))) {
      assertRecipientPartDecides(result);
    }
  });

  test(`${label}: quoted and double-@ recipients are refused as syntax ("501 Recipient address syntax error") and pass`, () => {
    for (const id of ['kb7', 'x-quoted-percent', 'x-double-at-ip-literal', 'x-quoted-ip-literal', 'x-double-at-server-name']) {
      const result = resultFor(get().report, id);
      const rcpt = assertEndsWithItsRcpt(result);
      assert.deepEqual([rcpt.code, rcpt.text], [501, 'Recipient address syntax error'], id);
      assert.equal(result.outcome, 'passed', `${id}: ${result.reason}`);
    }
  });
}

describe('relay runner against a closed OpenSMTPD (mail for corp.example only)', () => {
  let smtpd: OpenSmtpdInstance;
  let report: RelayReport;
  before(async () => {
    smtpd = await startOpenSmtpd({ mode: 'closed' });
    report = await runAgainstMta(smtpd, allTestIds);
  });
  after(() => smtpd?.stop());

  sharedExpectations('closed OpenSMTPD', () => ({ smtpd, report }));

  test('kb1-kb5 are refused at RCPT with "550 Invalid recipient: <…>" and pass', () => {
    for (const id of kbRemote) {
      const result = resultFor(report, id);
      const rcpt = assertEndsWithItsRcpt(result);
      assert.equal(rcpt.code, 550, id);
      assert.equal(rcpt.text, `Invalid recipient: ${result.rcptTo}`);
      assert.equal(result.outcome, 'passed', `${id}: ${result.reason}`);
    }
  });

  test('"550 Invalid recipient" is a harvest finding only for the local domain: not for a remote recipient it will not relay to', () => {
    for (const id of kbRemote) {
      const rcpt = assertEndsWithItsRcpt(resultFor(report, id));
      assert.ok(!rcpt.signals?.includes('harvest'), `${id}: ${JSON.stringify(rcpt)}`);
    }
    const probe = assertEndsWithItsRcpt(resultFor(report, 'x-unknown-local-user'));
    assert.equal(probe.text, 'Invalid recipient: <relay-lab-no-such-user@corp.example>');
    assert.ok(probe.signals?.includes('harvest'), JSON.stringify(probe));
  });

  test('every relay test is refused at RCPT; the verdict is closed', () => {
    for (const result of report.tests.filter((candidate) => isRelayTest(candidate.id))) {
      assert.equal(result.outcome, 'passed', `${result.id}: ${result.reason}`);
    }
    assert.equal(report.verdict, 'closed', answersTable(report));
  });
});

describe('relay runner against an open OpenSMTPD (match from local for any action "relay")', () => {
  let smtpd: OpenSmtpdInstance;
  let report: RelayReport;
  before(async () => {
    smtpd = await startOpenSmtpd({ mode: 'open' });
    report = await runAgainstMta(smtpd, allTestIds);
  });
  after(() => smtpd?.stop());

  sharedExpectations('open OpenSMTPD', () => ({ smtpd, report }));

  test('kb1-kb5 are accepted at RCPT and fail as relays; the verdict is open', () => {
    for (const id of kbRemote) {
      const result = resultFor(report, id);
      assert.equal(assertEndsWithItsRcpt(result).code, 250, id);
      assert.equal(result.outcome, 'failed', `${id}: ${result.reason}`);
    }
    assert.equal(report.verdict, 'open', answersTable(report));
  });

  test('the %/quoted/bang subset alone is never closed: OpenSMTPD accepts the percent and bang forms with 250, and none of them passes', async () => {
    const subset = await runAgainstMta(smtpd, routingSubset);
    for (const id of ['kb6', 'x-percent-ip-literal', 'x-bang-path']) {
      const result = resultFor(subset, id);
      assert.equal(assertEndsWithItsRcpt(result).code, 250, id);
      assert.notEqual(result.outcome, 'passed', `${id}: ${result.reason}`);
    }
    assert.notEqual(subset.verdict, 'closed', answersTable(subset));
  });
});
