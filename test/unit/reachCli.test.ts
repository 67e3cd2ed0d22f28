// Issue 10 through the CLI: --timeout, --deadline, --no-greylist-retry, where the tester stands, --as-client.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startScriptedServer, type ScriptedServer } from '../support/scriptedServer';
import { runCli } from '../support/cliProcess';

const servers: ScriptedServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

describe('relay --timeout and --deadline', () => {
  test('the JSON keeps every reply\'s latency, the connection\'s greeting latency, and where the tester stood', async () => {
    const run = await runCli(['relay', '--lab', 'exchange', '--tests', 'control,kb1', '--timeout', '5', '--deadline', '60', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const json = JSON.parse(run.stdout);
    for (const entry of json.tests) {
      for (const reply of entry.replies) {
        assert.equal(typeof reply.latencyMs, 'number', `${entry.id} ${reply.command}`);
      }
    }
    assert.equal(typeof json.connections[0].greetingLatencyMs, 'number');
    assert.equal(json.client.localAddress, '127.0.0.1');
    assert.equal(json.client.kind, 'loopback');
    assert.ok(json.warnings.some((warning: string) => warning.startsWith('The test ran from 127.0.0.1, a loopback address')));
  });

  test('a server that stops answering: --deadline ends the run, the tests left are errors, exit 2 (inconclusive)', async () => {
    const server = await startScriptedServer(async (peer) => {
      await peer.send('220 mx.example.com ESMTP\r\n');
      await peer.converse([
        [/^EHLO /i, '250 mx.example.com\r\n'],
        [/^RSET$/i, '250 2.0.0 Ok\r\n'],
        [/^MAIL FROM:/i, '250 2.1.0 Ok\r\n'],
        [/^RCPT TO:<postmaster@/i, '250 2.1.5 Ok\r\n'],
        [/^RCPT TO:/i, (_line, p) => p.hang()],
      ]);
    });
    servers.push(server);
    const run = await runCli([
      'relay', '--host', server.host, '--port', String(server.port), '--local-domain', 'example.com',
      '--tests', 'control,kb1,kb2', '--deadline', '1', '--json',
    ]);
    assert.equal(run.code, 2, run.stderr);
    const json = JSON.parse(run.stdout);
    assert.equal(json.verdict, 'inconclusive');
    const outcomes = Object.fromEntries(json.tests.map((entry: { id: string; outcome: string }) => [entry.id, entry.outcome]));
    assert.deepEqual(outcomes, { control: 'passed', kb1: 'error', kb2: 'error' });
    assert.match(json.tests[2].reason, /the run's deadline of 1 s passed/);
  });

  test('relay --domain refuses what it would ignore, and a malformed --resolver, as usage errors (exit 64) before any lookup', async () => {
    for (const args of [['--save', 'run.smtp-transcript'], ['--catcher', '127.0.0.1:2526'], ['--confirm-timeout', '5'], ['--resolver', 'dns.example.net']]) {
      const run = await runCli(['relay', '--domain', 'example.test', ...args]);
      assert.equal(run.code, 64, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, args[0] === '--resolver' ? /--resolver needs an IP address/ : new RegExp(`${args[0]} cannot go with --domain`));
    }
  });

  test('malformed values are usage errors (exit 64)', async () => {
    for (const args of [['--timeout', 'soon'], ['--deadline', '0'], ['--deadline', '-5']]) {
      const run = await runCli(['relay', '--lab', 'exchange', ...args]);
      assert.equal(run.code, 64, `${args.join(' ')}: ${run.stderr}`);
    }
  });
});

describe('relay --lab trusted-network: the practice server for XCLIENT (mynetworks = loopback)', () => {
  test('from loopback it reads open, with the warning that the client is trusted: exit 1', async () => {
    const run = await runCli(['relay', '--lab', 'trusted-network', '--tests', 'control,kb1,kb6', '--json']);
    assert.equal(run.code, 1, run.stderr);
    const json = JSON.parse(run.stdout);
    assert.equal(json.verdict, 'open');
    assert.equal(json.target.asClient, undefined);
    assert.equal(json.client.kind, 'loopback');
    assert.ok(json.warnings.some((warning: string) => warning.startsWith('The test ran from 127.0.0.1, a loopback address')), json.warnings.join('\n'));
  });

  test('--as-client 203.0.113.9: XCLIENT, then every relay attempt is refused with 554 5.7.1: closed, exit 0', async () => {
    const run = await runCli(['relay', '--lab', 'trusted-network', '--tests', 'control,kb1,kb6', '--as-client', '203.0.113.9', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const json = JSON.parse(run.stdout);
    assert.equal(json.verdict, 'closed');
    assert.equal(json.target.asClient, '203.0.113.9');
    assert.equal(json.client.judgedAddress, '203.0.113.9');
    const kb1 = json.tests.find((entry: { id: string }) => entry.id === 'kb1');
    assert.equal(kb1.outcome, 'passed');
    assert.match(kb1.replies.at(-1).text, /Relay access denied/);
    assert.equal(kb1.replies.at(-1).code, 554);
    assert.ok(json.transcript.includes('XCLIENT ADDR=203.0.113.9 NAME=[UNAVAILABLE]'));
  });
});
