/**
 * Issue 9, §8 "where CLI and editor defaults differ": they do not any more. Without --tls the CLI speaks TLS
 * as the editor's target picker suggests (core's suggestedTlsMode: STARTTLS offered, implicit on 465), goes
 * on in clear text with a warning when the server does not advertise STARTTLS, and runs the same test set
 * as the editor's smtpRelayLab.relay.tests default. An explicit --tls starttls is strict.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { suggestedTlsMode } from '../../src/core/relay/target';
import { defaultRelayTestSelection } from '../../src/core/relay/relayParameters';
import { selectRelayTests } from '../../src/core/relay/relayCatalogue';
import type { RelayReportJson } from '../../src/core/relay/relayJson';
import { startTlsNotAdvertisedWarning } from '../../src/core/relay/relayRunner';
import { relayDefaults, tlsChoiceOf } from '../../src/cli/relayCommand';
import { settingDefaults } from '../../src/extension/settingValues';
import * as editorTarget from '../../src/extension/target';
import { startPracticeServer, type PracticeServer } from '../../src/lab/practiceServer';
import { runCli } from '../support/cliProcess';

describe('CLI and editor defaults are one set of defaults', () => {
  test('TLS: the CLI without --tls takes the mode core suggests for the port, the function the editor uses', () => {
    assert.equal(editorTarget.suggestedTlsMode, suggestedTlsMode, 'the editor re-exports core\'s function (src/core/relay/target.ts), no copy');
    for (const port of [25, 587, 2525, 465]) {
      assert.deepEqual(tlsChoiceOf(undefined, port, false), { tls: suggestedTlsMode(port), requireStartTls: false }, `port ${port}`);
      assert.equal(editorTarget.newTarget('mx.example.com', port).tls, suggestedTlsMode(port), `editor, port ${port}`);
    }
    assert.equal(suggestedTlsMode(465), 'implicit');
    assert.equal(suggestedTlsMode(25), 'starttls');
    assert.equal(suggestedTlsMode(587), 'starttls');
  });

  test('TLS: --lab talks to the practice server in clear text, as the editor\'s practice target does; an explicit --tls starttls is required', () => {
    assert.deepEqual(tlsChoiceOf(undefined, 25, true), { tls: 'none', requireStartTls: false });
    assert.deepEqual(tlsChoiceOf('starttls', 25, false), { tls: 'starttls', requireStartTls: true });
    assert.deepEqual(tlsChoiceOf('none', 25, false), { tls: 'none', requireStartTls: false });
    assert.deepEqual(tlsChoiceOf('implicit', 25, false), { tls: 'implicit', requireStartTls: false });
  });

  test('tests: the CLI\'s --tests default and the editor\'s relay.tests default are core\'s one constant, every test', () => {
    assert.equal(relayDefaults.tests, defaultRelayTestSelection);
    assert.equal(settingDefaults['relay.tests'], defaultRelayTestSelection);
    assert.equal(defaultRelayTestSelection, 'all');
    const ids = selectRelayTests(defaultRelayTestSelection).map((relayTest) => relayTest.id);
    assert.ok(ids.includes('control') && ids.includes('kb7') && ids.includes('x-bang-path'), ids.join(','));
  });
});

describe('smtp-relay-lab relay without --tls against a server that does not advertise STARTTLS', { concurrency: true }, () => {
  let server: PracticeServer;
  before(async () => {
    server = await startPracticeServer({ persona: 'postfix', host: '127.0.0.1', port: 0, startTls: false });
  });
  after(async () => {
    await server?.close();
  });

  const target = () => ['relay', '--host', server.host, '--port', String(server.port), '--local-domain', server.localDomains[0]];

  test('--json: the TLS mode used, clear text, the warning; every default test settled, exit 0 (closed)', async () => {
    const run = await runCli([...target(), '--json']);
    assert.equal(run.code, 0, run.stderr);
    const json = JSON.parse(run.stdout) as RelayReportJson;
    assert.deepEqual(json.tls, { mode: 'starttls', required: false, clearText: true });
    assert.ok(json.warnings.includes(startTlsNotAdvertisedWarning), json.warnings.join('\n'));
    assert.ok((json.connections ?? []).length > 0);
    assert.ok(json.connections?.every((connection) => connection.tls === 'none'));
    assert.deepEqual(
      json.tests.map((relayTest) => relayTest.id),
      selectRelayTests(defaultRelayTestSelection).map((relayTest) => relayTest.id),
    );
    assert.equal(json.verdict, 'closed');
    assert.match(json.transcript, /did not advertise STARTTLS: this connection continues in clear text/);
  });

  test('text: a TLS line and the warning line', async () => {
    const run = await runCli([...target(), '--tests', 'kb']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^TLS: +STARTTLS offered, not advertised by the server: clear text$/m);
    assert.match(run.stdout, /^ {2}! The server did not advertise STARTTLS: the tests ran in clear text/m);
  });

  test('an explicit --tls starttls requires it: exit 3, one line that says so, no test sent', async () => {
    // A server of its own, so its log holds this run's commands only.
    const strict = await startPracticeServer({ persona: 'postfix', host: '127.0.0.1', port: 0, startTls: false });
    try {
      const run = await runCli(['relay', '--host', strict.host, '--port', String(strict.port), '--tls', 'starttls', '--tests', 'kb']);
      assert.equal(run.code, 3, run.stdout + run.stderr);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /TLS failed: 127\.0\.0\.1:\d+ did not advertise STARTTLS, which was required; no test was sent \(without --tls/);
      const sent = strict.log.commands();
      assert.ok(sent.some((line) => /^EHLO /i.test(line)), sent.join('\n'));
      assert.ok(!sent.some((line) => /^(MAIL|RCPT|STARTTLS)/i.test(line)), sent.join('\n'));
    } finally {
      await strict.close();
    }
  });
});

describe('smtp-relay-lab relay without --tls against a server that advertises STARTTLS', () => {
  test('STARTTLS is started (--insecure for the practice server\'s own certificate), no clear-text warning', async () => {
    const server = await startPracticeServer({ persona: 'postfix', host: '127.0.0.1', port: 0 });
    try {
      const run = await runCli(['relay', '--host', server.host, '--port', String(server.port), '--insecure', '--tests', 'kb', '--json']);
      assert.equal(run.code, 0, run.stderr);
      const json = JSON.parse(run.stdout) as RelayReportJson;
      assert.deepEqual(json.tls, { mode: 'starttls', required: false, clearText: false });
      assert.ok(json.connections?.every((connection) => connection.tls === 'starttls'));
      assert.ok(!json.warnings.includes(startTlsNotAdvertisedWarning));
      assert.equal(json.verdict, 'closed');
    } finally {
      await server.close();
    }
  });

  test('without --insecure, a certificate no CA vouches for is exit 3 with the hint, as in the editor', async () => {
    const server = await startPracticeServer({ persona: 'postfix', host: '127.0.0.1', port: 0 });
    try {
      const run = await runCli(['relay', '--host', server.host, '--port', String(server.port), '--tests', 'kb1']);
      assert.equal(run.code, 3, run.stdout + run.stderr);
      assert.match(run.stderr, /certificate .* not accepted: .*\(--insecure turns the check off\)$/m);
    } finally {
      await server.close();
    }
  });
});
