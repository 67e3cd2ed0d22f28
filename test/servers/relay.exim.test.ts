// The relay runner against a REAL Exim 4 (Debian bookworm's exim4-daemon-light, configured from Debian's
// own template by update-exim4.conf with dc_eximconfig_configtype='local'), started by the test on
// loopback, once closed and once open (127.0.0.0/8 in dc_relay_nets). Exim refuses the KB's unqualified
// sender ("501 <postmaster>: sender address must contain a domain") and every sender at an IP literal
// ("501 …: domain literals not allowed"), and drops a session after smtp_max_synprot_errors (3) such
// errors: the runner must still bring every relay test to its RCPT, with an accepted sender, and stay
// below the limit it learns. Needs root and the unpacked packages (scripts/install-mtas.sh); fails, never
// skips, without them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RelayReport } from '../../src/core/relay/relayTypes';
import { startExim, type EximInstance } from '../support/exim';
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

function infoNotes(report: RelayReport): string[] {
  return report.transcript.filter((event) => event.kind === 'info').map((event) => event.text);
}

function sharedExpectations(label: string, get: () => { exim: EximInstance; report: RelayReport }): void {
  test(`${label}: the greeting is Exim's own`, () => {
    assert.match(get().exim.greeting, /^220 mail\.corp\.example ESMTP Exim 4\.\d+/);
  });

  test(`${label}: the control (postmaster at the local domain) is accepted with "250 Accepted"`, () => {
    const control = resultFor(get().report, 'control');
    assert.equal(control.outcome, 'passed', control.reason);
    assert.deepEqual([lastReply(control).command, lastReply(control).code, lastReply(control).text], ['RCPT TO:<postmaster@corp.example>', 250, 'Accepted']);
  });

  test(`${label}: every test after the control ends with its own RCPT answered, none is an error`, () => {
    const { report } = get();
    for (const result of report.tests.filter((candidate) => candidate.id !== 'control')) {
      assert.notEqual(result.outcome, 'error', `${result.id}: ${result.reason}`);
      assertEndsWithItsRcpt(result);
    }
  });

  test(`${label}: a refused sender form is answered by Exim's 501, then the recipient is tried with the control's sender, and the reason says both parts`, () => {
    const { report } = get();
    const control = resultFor(report, 'control');
    const retried = report.tests.filter((result) => result.replies[0]?.command.startsWith('MAIL FROM:') && result.replies[0].code === 501);
    assert.deepEqual(
      ['kb2', 'kb5', 'kb6', 'kb7'].filter((id) => !retried.some((result) => result.id === id)),
      [],
      'the unqualified and IP-literal senders of the KB are refused',
    );
    for (const result of retried) {
      assert.match(result.replies[0].text, /sender address must contain a domain|domain literals not allowed/, result.id);
      assert.deepEqual(result.senderRetry, { mailFrom: control.mailFrom, refusedSender: result.mailFrom, senderReply: `501 ${result.replies[0].text.split('\n')[0]}` });
      assert.match(result.reason, /^This sender form is refused \(syntax: 501 [^)]*\); with an accepted sender \(<[^>]+>\), the recipient form is (refused|accepted)\. /, result.id);
      assert.equal(result.replies.at(-2)?.command, `MAIL FROM:${control.mailFrom}`);
    }
  });

  test(`${label}: each reconnection is noted in the transcript, and later connections stay below the limit Exim showed`, () => {
    const { report } = get();
    const notes = infoNotes(report);
    const connections = notes.filter((note) => note.startsWith('connected to ')).length;
    const reconnections = notes.filter((note) => /reconnecting/.test(note)).length;
    assert.equal(reconnections, connections - 1, notes.join('\n'));
    const limitShown = report.transcript.findIndex((event) => event.kind === 'received' && /Too many syntax or protocol errors/.test(event.text));
    if (limitShown >= 0) {
      assert.ok(
        notes.some((note) => /closed an earlier connection after \d+ tolerated syntax errors; Exim: smtp_max_synprot_errors/.test(note)),
        'the learned limit is named',
      );
    }
  });

  test(`${label}: no enhanced code is shown that Exim did not send (it sends none)`, () => {
    assertNoInventedEnhancedCodes(get().report);
  });

  test(`${label}: the recipient part decides every relay test (refused passes, accepted never passes)`, () => {
    for (const result of get().report.tests.filter((candidate) => isRelayTest(candidate.id))) {
      assertRecipientPartDecides(result);
    }
  });
}

describe('relay runner against a closed Exim (Debian config, loopback not in relay_from_hosts)', () => {
  let exim: EximInstance;
  let report: RelayReport;
  before(async () => {
    exim = await startExim({ mode: 'closed' });
    report = await runAgainstMta(exim, allTestIds);
  });
  after(() => exim?.stop());

  sharedExpectations('closed Exim', () => ({ exim, report }));

  test('kb1-kb5 reach RCPT and are refused with "550 relay not permitted"', () => {
    for (const id of kbRemote) {
      const rcpt = assertEndsWithItsRcpt(resultFor(report, id));
      assert.deepEqual([rcpt.code, rcpt.text], [550, 'relay not permitted'], `${id}\n${answersTable(report)}`);
    }
  });

  test('every relay test is refused at RCPT and passes; the verdict is closed', () => {
    for (const result of report.tests.filter((candidate) => isRelayTest(candidate.id))) {
      assert.equal(result.outcome, 'passed', `${result.id}: ${result.reason}`);
    }
    assert.equal(report.verdict, 'closed', answersTable(report));
  });

  test('an unknown user at the local domain is refused with "550 Unrouteable address", a harvest finding', () => {
    const rcpt = assertEndsWithItsRcpt(resultFor(report, 'x-unknown-local-user'));
    assert.deepEqual([rcpt.code, rcpt.text], [550, 'Unrouteable address']);
    assert.ok(rcpt.signals?.includes('harvest'), JSON.stringify(rcpt));
  });
});

describe('relay runner against an open Exim (Debian config, 127.0.0.0/8 in dc_relay_nets)', () => {
  let exim: EximInstance;
  let report: RelayReport;
  before(async () => {
    exim = await startExim({ mode: 'open' });
    report = await runAgainstMta(exim, allTestIds);
  });
  after(() => exim?.stop());

  sharedExpectations('open Exim', () => ({ exim, report }));

  test('kb1-kb5 reach RCPT, are accepted with "250 Accepted" and fail as relays, kb2 and kb5 with the control\'s sender', () => {
    for (const id of kbRemote) {
      const result = resultFor(report, id);
      const rcpt = assertEndsWithItsRcpt(result);
      assert.deepEqual([rcpt.code, rcpt.text], [250, 'Accepted'], id);
      assert.equal(result.outcome, 'failed', `${id}: ${result.reason}`);
    }
    assert.ok(resultFor(report, 'kb2').senderRetry);
    assert.ok(resultFor(report, 'kb5').senderRetry);
  });

  test('the verdict is open', () => {
    assert.equal(report.verdict, 'open', answersTable(report));
  });

  test('the routing-form subset alone is never closed', async () => {
    const subset = await runAgainstMta(exim, routingSubset);
    for (const result of subset.tests.filter((candidate) => candidate.id !== 'control')) {
      assertEndsWithItsRcpt(result);
    }
    // Exim refuses these forms at RCPT as syntax (501), so nothing was relayed: closed is the right reading.
    assert.equal(subset.verdict, 'closed', answersTable(subset));
  });
});
