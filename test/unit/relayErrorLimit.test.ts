/**
 * The relay runner stays under a server's error limit: Postfix slows every reply down once a session has
 * made smtpd_soft_error_limit (10) errors, so the runner starts a new connection after
 * refusalsPerConnection refusals instead of being slowed (or dropped at the hard limit).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { selectRelayTests } from '../../src/core/relay/relayCatalogue';
import { refusalsPerConnection, runRelaySuite } from '../../src/core/relay/relayRunner';
import { detectTarpit } from '../../src/core/relay/relayTarpit';
import { startScriptedServer, type ScriptedServer } from '../support/scriptedServer';
import { scriptedRelayParameters } from '../support/relayResults';

const parameters = scriptedRelayParameters;

/** Accepts only the control's recipient; refuses every other one the way Postfix does. */
async function refusingServer(): Promise<ScriptedServer> {
  return startScriptedServer(async (peer) => {
    await peer.send('220 mx.example.com ESMTP\r\n');
    await peer.converse([
      [/^EHLO /i, '250-mx.example.com\r\n250 ENHANCEDSTATUSCODES\r\n'],
      [/^RSET$/i, '250 2.0.0 Ok\r\n'],
      [/^MAIL FROM:/i, '250 2.1.0 Ok\r\n'],
      [/^RCPT TO:<postmaster@example\.com>$/i, '250 2.1.5 Ok\r\n'],
      [/^RCPT TO:/i, '554 5.7.1 Relay access denied\r\n'],
    ]);
  });
}

function refusedRecipients(lines: readonly string[]): number {
  return lines.filter((line) => /^RCPT TO:/i.test(line) && line !== 'RCPT TO:<postmaster@example.com>').length;
}

describe('relay runner and server error limits', () => {
  const servers: ScriptedServer[] = [];
  after(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  test('the full catalogue against a server that refuses everything never makes more than refusalsPerConnection errors on one connection', async () => {
    const server = await refusingServer();
    servers.push(server);
    const all = selectRelayTests('all').map((definition) => definition.id);
    const report = await runRelaySuite({
      session: { host: server.host, port: server.port, tls: 'none' },
      parameters,
      testIds: all,
    });

    assert.equal(report.verdict, 'closed');
    const refusals = all.length - 1;
    assert.equal(server.peers.length, Math.ceil(refusals / refusalsPerConnection));
    for (const peer of server.peers) {
      assert.ok(refusedRecipients(peer.received) <= refusalsPerConnection, `a connection got ${refusedRecipients(peer.received)} refusals`);
      assert.equal(peer.received.at(-1), 'QUIT', 'each connection is ended politely');
    }
    assert.equal(server.peers.map((peer) => refusedRecipients(peer.received)).reduce((sum, count) => sum + count, 0), refusals);
  });

  test('each early reconnection is explained in the transcript, between the two connections', async () => {
    const server = await refusingServer();
    servers.push(server);
    const report = await runRelaySuite({
      session: { host: server.host, port: server.port, tls: 'none' },
      parameters,
      testIds: selectRelayTests('all').map((definition) => definition.id),
    });
    const notes = report.transcript.filter((event) => event.kind === 'info' && /before the server's error limit/.test(event.text));
    assert.equal(notes.length, server.peers.length - 1);
    assert.match(notes[0].text, /^7 refusals on this connection: reconnecting/);
    const noteIndex = report.transcript.indexOf(notes[0]);
    const sentAfterNote = report.transcript
      .slice(noteIndex)
      .filter((event) => event.kind === 'sent')
      .slice(0, 2)
      .map((event) => event.text);
    assert.deepEqual(sentAfterNote, ['QUIT', 'EHLO client.example.org'], 'QUIT ends one connection, EHLO starts the next');
  });

  test('the KB tests alone (seven refusals at most) still run on one connection, as the KB does', async () => {
    const server = await refusingServer();
    servers.push(server);
    await runRelaySuite({
      session: { host: server.host, port: server.port, tls: 'none' },
      parameters,
      testIds: selectRelayTests('kb').map((definition) => definition.id),
    });
    assert.equal(server.peers.length, 1);
  });

  test("a server that closes at its own, lower error limit (Exim's smtp_max_synprot_errors 3) is met once: later connections end before it", async () => {
    // Like Exim: the fourth syntax error on a connection is answered "501 Too many syntax or protocol errors", then closed.
    const server = await startScriptedServer(async (peer) => {
      let errors = 0;
      const refuse = async (reply: string): Promise<void> => {
        errors += 1;
        if (errors > 3) {
          await peer.send(`${reply.replace(/^(\d{3}) /, '$1-')}\r\n501 Too many syntax or protocol errors\r\n`);
          await peer.end();
          return;
        }
        await peer.send(`${reply}\r\n`);
      };
      await peer.send('220 mx.example.com ESMTP Exim 4.96\r\n');
      await peer.converse([
        [/^EHLO /i, '250-mx.example.com Hello\r\n250 HELP\r\n'],
        [/^RSET$/i, '250 Reset OK\r\n'],
        [/^MAIL FROM:/i, '250 OK\r\n'],
        [/^RCPT TO:<postmaster@example\.com>$/i, '250 Accepted\r\n'],
        [/^RCPT TO:/i, (line) => refuse(`501 ${line.slice('RCPT TO:'.length)}: malformed address`)],
      ]);
    });
    servers.push(server);
    const all = selectRelayTests('all').map((definition) => definition.id);
    const report = await runRelaySuite({ session: { host: server.host, port: server.port, tls: 'none' }, parameters, testIds: all });

    assert.equal(report.verdict, 'closed');
    assert.deepEqual(report.tests.filter((result) => result.outcome !== 'passed').map((result) => result.id), []);
    const tooMany = report.transcript.filter((event) => event.kind === 'received' && /Too many syntax/.test(event.text));
    assert.equal(tooMany.length, 1, 'only the first connection meets the limit');
    for (const peer of server.peers.slice(1)) {
      assert.ok(refusedRecipients(peer.received) <= 2, `a later connection got ${refusedRecipients(peer.received)} refusals`);
    }
    const notes = report.transcript.filter((event) => event.kind === 'info').map((event) => event.text);
    assert.ok(
      notes.includes('the server met its error limit (501 Too many syntax or protocol errors) and closes the connection; reconnecting'),
      `the drop is noted: ${notes.join('\n')}`,
    );
    assert.ok(notes.some((note) => /^2 syntax errors on this connection: .*closed an earlier connection after 3 tolerated syntax errors; Exim: smtp_max_synprot_errors/.test(note)), notes.join('\n'));
  });

  test("Postfix's fixed error sleep is a tarpit finding even when timer jitter makes the last delay a little shorter", () => {
    // Ten fast refusals, then smtpd_error_sleep_time (1 s) before each reply, measured with jitter.
    const timings = [...Array.from({ length: 10 }, () => 2), 1003.4, 1001.9, 1002.7, 1000.8].map((latencyMs) => ({ latencyMs, rejected: true }));
    assert.deepEqual(detectTarpit(timings), { baselineMs: 2, slowestMs: 1003.4 });
  });
});
