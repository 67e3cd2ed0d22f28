// Issue 10 §2: where the tester stands, and XCLIENT as the way to test as an outside client.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyAddress, describeClientPosition, openFromTrustedPlaceWarning, sameSubnet } from '../../src/core/reach/clientPosition';
import { xclientAddress } from '../../src/core/reach/xclient';
import { runRelaySuite } from '../../src/core/relay/relayRunner';
import { startScriptedServer, type ScriptedServer } from '../support/scriptedServer';
import { outcomesOf, scriptedRelayParameters } from '../support/relayResults';

const servers: ScriptedServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

describe('the kind of address the tester stands at', () => {
  test('loopback, RFC 1918, link-local, ULA, shared and public addresses, in both families', () => {
    assert.equal(classifyAddress('127.0.0.1'), 'loopback');
    assert.equal(classifyAddress('::1'), 'loopback');
    assert.equal(classifyAddress('::ffff:127.0.0.1'), 'loopback');
    assert.equal(classifyAddress('10.1.2.3'), 'private');
    assert.equal(classifyAddress('172.16.0.1'), 'private');
    assert.equal(classifyAddress('172.32.0.1'), 'public');
    assert.equal(classifyAddress('192.168.1.20'), 'private');
    assert.equal(classifyAddress('169.254.3.4'), 'link-local');
    assert.equal(classifyAddress('fe80::1'), 'link-local');
    assert.equal(classifyAddress('fd12:3456::1'), 'unique-local');
    assert.equal(classifyAddress('100.64.0.1'), 'shared');
    assert.equal(classifyAddress('203.0.113.9'), 'public');
    assert.equal(classifyAddress('2001:db8::25'), 'public');
  });

  test('same /24 in IPv4 and same /64 in IPv6', () => {
    assert.equal(sameSubnet('198.51.100.7', '198.51.100.25'), true);
    assert.equal(sameSubnet('198.51.100.7', '198.51.101.25'), false);
    assert.equal(sameSubnet('2001:db8:1:2::7', '2001:db8:1:2:ffff::25'), true);
    assert.equal(sameSubnet('2001:db8:1:2::7', '2001:db8:1:3::25'), false);
  });

  test('a public address in the server\'s /24 is warned about as a fact naming the network', () => {
    const position = describeClientPosition({ localAddress: '198.51.100.7', serverAddress: '198.51.100.25' });
    assert.equal(position.kind, 'public');
    assert.equal(position.sameSubnet, true);
    assert.deepEqual(position.warnings, [
      "The test ran from 198.51.100.7, in the same /24 as the server (198.51.100.25): Postfix's default mynetworks_style (subnet) trusts that network.",
    ]);
  });

  test('with XCLIENT the judged address is the simulated one: a public one gets no warning', () => {
    const position = describeClientPosition({ localAddress: '127.0.0.1', serverAddress: '127.0.0.1', asClient: '203.0.113.9' });
    assert.equal(position.localAddress, '127.0.0.1');
    assert.equal(position.judgedAddress, '203.0.113.9');
    assert.deepEqual(position.warnings, []);
  });

  test('XCLIENT wants IPv6 addresses as IPV6:..., and refuses what is not an IP', () => {
    assert.equal(xclientAddress('203.0.113.9'), '203.0.113.9');
    assert.equal(xclientAddress('2001:db8::9'), 'IPV6:2001:db8::9');
    assert.throws(() => xclientAddress('mail.example.com'), /XCLIENT needs an IP address/);
  });
});

/** An MTA that trusts loopback (relays for it) unless XCLIENT made the client someone else. */
function xclientMta(options: { offer: boolean; answer?: string }) {
  return async (peer: import('../support/scriptedServer').ScriptedPeer) => {
    let outsider = false;
    await peer.send('220 mx.example.com ESMTP\r\n');
    const ehlo = `250-mx.example.com\r\n${options.offer ? '250-XCLIENT NAME ADDR PROTO HELO\r\n' : ''}250 ENHANCEDSTATUSCODES\r\n`;
    await peer.converse([
      [/^EHLO /i, ehlo],
      [/^XCLIENT /i, (line, p) => {
        if (options.answer) {
          return p.send(`${options.answer}\r\n`);
        }
        outsider = /ADDR=203\.0\.113\.9 NAME=\[UNAVAILABLE\]$/.test(line);
        return p.send('220 mx.example.com ESMTP\r\n');
      }],
      [/^RSET$/i, '250 2.0.0 Ok\r\n'],
      [/^MAIL FROM:/i, '250 2.1.0 Ok\r\n'],
      [/^RCPT TO:/i, (line, p) =>
        p.send(/@example\.com>$/i.test(line) || !outsider ? '250 2.1.5 Ok\r\n' : '554 5.7.1 <victim@example.net>: Relay access denied\r\n')],
    ]);
  };
}

describe('runRelaySuite with asClient (XCLIENT)', () => {
  test('after XCLIENT the server judges the outside client: closed, and the target records the simulated address', async () => {
    const server = await startScriptedServer(xclientMta({ offer: true }));
    servers.push(server);
    const base = { session: { host: server.host, port: server.port, tls: 'none' as const }, parameters: scriptedRelayParameters, testIds: ['control', 'kb1'] };
    const inside = await runRelaySuite(base);
    assert.equal(inside.verdict, 'open');
    assert.ok(inside.warnings.includes(openFromTrustedPlaceWarning));
    const outside = await runRelaySuite({ ...base, session: { ...base.session, asClient: '203.0.113.9' } });
    assert.deepEqual(outcomesOf(outside), { control: 'passed', kb1: 'passed' });
    assert.equal(outside.verdict, 'closed');
    assert.deepEqual(outside.target, { host: server.host, port: server.port, asClient: '203.0.113.9' });
    const sent = server.peers.at(-1)!.received;
    assert.deepEqual(sent.slice(0, 3), ['EHLO client.example.org', 'XCLIENT ADDR=203.0.113.9 NAME=[UNAVAILABLE]', 'EHLO client.example.org']);
  });

  test('no XCLIENT offered: nothing is tested, every test is an error naming XCLIENT and smtpd_authorized_xclient_hosts', async () => {
    const server = await startScriptedServer(xclientMta({ offer: false }));
    servers.push(server);
    const report = await runRelaySuite({
      session: { host: server.host, port: server.port, tls: 'none', asClient: '203.0.113.9' },
      parameters: scriptedRelayParameters,
      testIds: ['control', 'kb1'],
    });
    assert.deepEqual(outcomesOf(report), { control: 'error', kb1: 'error' });
    assert.match(report.tests[0].reason, /does not offer XCLIENT.*smtpd_authorized_xclient_hosts/);
    assert.ok(!server.peers.flatMap((peer) => peer.received).some((line) => line.startsWith('MAIL')));
  });

  test('XCLIENT refused (550 5.7.0): an error quoting the refusal', async () => {
    const server = await startScriptedServer(xclientMta({ offer: true, answer: '550 5.7.0 Error: insufficient authorization' }));
    servers.push(server);
    const report = await runRelaySuite({
      session: { host: server.host, port: server.port, tls: 'none', asClient: '203.0.113.9' },
      parameters: scriptedRelayParameters,
      testIds: ['control'],
    });
    assert.equal(report.tests[0].outcome, 'error');
    assert.match(report.tests[0].reason, /refused XCLIENT ADDR=203\.0\.113\.9: 550 5\.7\.0 Error: insufficient authorization/);
  });

  test('an asClient that is no IP address: every test is an error naming XCLIENT, and no connection is opened', async () => {
    const server = await startScriptedServer(xclientMta({ offer: true }));
    servers.push(server);
    const report = await runRelaySuite({
      session: { host: server.host, port: server.port, tls: 'none', asClient: 'mail.example.com' },
      parameters: scriptedRelayParameters,
      testIds: ['control', 'kb1'],
    });
    assert.deepEqual(outcomesOf(report), { control: 'error', kb1: 'error' });
    assert.match(report.tests[0].reason, /XCLIENT needs an IP address to test as, not "mail\.example\.com"/);
    assert.equal(server.peers.length, 0);
  });
});
