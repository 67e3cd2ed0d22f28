// Issue 10 §2 against a REAL Postfix: the tester sits inside mynetworks (loopback), so the relay tests
// pass straight through and the server looks open; with XCLIENT ADDR=203.0.113.9 (authorised for
// loopback by smtpd_authorized_xclient_hosts) Postfix judges an outside client and refuses to relay.
// A Postfix that does not authorise XCLIENT makes --as-client fail with a clear error, exit 3.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { selectRelayTests } from '../../src/core/relay/relayCatalogue';
import { runRelaySuite } from '../../src/core/relay/relayRunner';
import type { RelayReport } from '../../src/core/relay/relayTypes';
import { openFromTrustedPlaceWarning } from '../../src/core/reach/clientPosition';
import { startPostfix, type PostfixInstance } from '../support/postfix';
import { resultFor } from '../support/relayResults';
import { runCli } from '../support/cliProcess';

const kbRelayTests = ['kb1', 'kb2', 'kb3', 'kb4', 'kb5'];

function runAgainst(postfix: PostfixInstance, asClient?: string): Promise<RelayReport> {
  return runRelaySuite({
    session: { host: postfix.host, port: postfix.port, tls: 'none', ...(asClient ? { asClient } : {}) },
    parameters: {
      localDomains: [postfix.localDomain],
      localUser: 'postmaster',
      remoteDomain: 'example.net',
      remoteUser: 'relay-test',
      serverAddress: '',
      heloName: 'relay-lab.example.com',
      addressForm: 'bracketed',
    },
    testIds: selectRelayTests('kb').map((definition) => definition.id),
  });
}

describe('XCLIENT against a Postfix that trusts loopback and authorises it for XCLIENT', () => {
  let postfix: PostfixInstance;
  let fromLoopback: RelayReport;
  let asOutsider: RelayReport;
  before(async () => {
    postfix = await startPostfix({ mode: 'open', extraMainCf: { smtpd_authorized_xclient_hosts: '127.0.0.0/8' } });
    fromLoopback = await runAgainst(postfix);
    asOutsider = await runAgainst(postfix, '203.0.113.9');
  });
  after(() => postfix?.stop());

  test('from loopback the server is open, with the warnings that the tester stands on loopback', () => {
    assert.equal(fromLoopback.verdict, 'open');
    assert.equal(fromLoopback.client?.localAddress, '127.0.0.1');
    assert.equal(fromLoopback.client?.kind, 'loopback');
    assert.ok(fromLoopback.warnings.some((warning) => warning.startsWith('The test ran from 127.0.0.1, a loopback address')));
    assert.ok(fromLoopback.warnings.includes(openFromTrustedPlaceWarning));
  });

  test('as client 203.0.113.9 the same server is closed: kb1-kb5 refused with Relay access denied (454 or 554)', () => {
    for (const id of kbRelayTests) {
      const result = resultFor(asOutsider, id);
      const rcpt = result.replies.find((record) => record.command.startsWith('RCPT TO:'));
      assert.ok(rcpt && [454, 554].includes(rcpt.code), `${id}: ${JSON.stringify(rcpt)}`);
      assert.match(rcpt.text, /Relay access denied/);
      assert.equal(result.outcome, 'passed', `${id}: ${result.reason}`);
    }
    assert.equal(resultFor(asOutsider, 'control').outcome, 'passed');
    assert.equal(asOutsider.verdict, 'closed');
  });

  test('the report records the simulated address, and the transcript the XCLIENT exchange and its new 220', () => {
    assert.deepEqual(asOutsider.target, { host: postfix.host, port: postfix.port, asClient: '203.0.113.9' });
    assert.equal(asOutsider.client?.judgedAddress, '203.0.113.9');
    assert.equal(asOutsider.client?.kind, 'public');
    const lines = asOutsider.transcript.map((event) => `${event.kind} ${event.text}`);
    const xclientAt = lines.indexOf('sent XCLIENT ADDR=203.0.113.9 NAME=[UNAVAILABLE]');
    assert.ok(xclientAt > 0, lines.slice(0, 20).join('\n'));
    assert.match(lines[xclientAt + 1], /^received 220 /);
    assert.match(lines.slice(xclientAt + 2).find((line) => line.startsWith('sent ')) ?? '', /^sent EHLO /);
  });

  test('the CLI: --as-client 203.0.113.9 exits 0 (closed); without it exits 1 (open)', async () => {
    const target = ['relay', '--host', postfix.host, '--port', String(postfix.port), '--local-domain', postfix.localDomain, '--tests', 'kb'];
    const outside = await runCli([...target, '--as-client', '203.0.113.9', '--json']);
    assert.equal(outside.code, 0, outside.stderr);
    assert.equal(JSON.parse(outside.stdout).target.asClient, '203.0.113.9');
    const inside = await runCli(target);
    assert.equal(inside.code, 1, inside.stderr);
    assert.match(inside.stdout, /^From: {4}127\.0\.0\.1 \(loopback address\)$/m);
  });
});

describe('--as-client against a Postfix that does not authorise XCLIENT', () => {
  let postfix: PostfixInstance;
  before(async () => {
    postfix = await startPostfix({ mode: 'closed' });
  });
  after(() => postfix?.stop());

  test('stops with an error that names XCLIENT and smtpd_authorized_xclient_hosts, exit 3, and sends no test', async () => {
    const run = await runCli(['relay', '--host', postfix.host, '--port', String(postfix.port), '--as-client', '203.0.113.9', '--tests', 'kb1']);
    assert.equal(run.code, 3, run.stdout);
    assert.match(run.stderr, /XCLIENT/);
    assert.match(run.stderr, /smtpd_authorized_xclient_hosts/);
    const log = await postfix.maillog();
    assert.doesNotMatch(log, /RCPT|from=</);
  });
});
