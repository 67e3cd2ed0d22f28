// Issue 10 §4: time bounds, greylisting and latency. The deadline bounds a whole run; a greylisting 4yz
// is retried with the same sender and recipient and never read as "closed"; every reply keeps its latency.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { relayReportToJson } from '../../src/core/relay/relayJson';
import { runRelaySuite } from '../../src/core/relay/relayRunner';
import type { RelayReport, RelayRunOptions } from '../../src/core/relay/relayTypes';
import { greylistDelayBeforeRetry, judgeGreylisting, namedDelay } from '../../src/core/reach/greylisting';
import { pause, RunDeadline } from '../../src/core/reach/runDeadline';
import { startScriptedServer, type ConnectionScript, type ScriptedServer } from '../support/scriptedServer';
import { outcomesOf, resultFor, scriptedRelayParameters } from '../support/relayResults';

const servers: ScriptedServer[] = [];
async function serve(script: ConnectionScript): Promise<ScriptedServer> {
  const server = await startScriptedServer(script);
  servers.push(server);
  return server;
}
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

function run(server: ScriptedServer, options: Partial<RelayRunOptions> = {}): Promise<RelayReport> {
  return runRelaySuite({
    session: { host: server.host, port: server.port, tls: 'none', timeouts: { replyMs: 10_000 } },
    parameters: scriptedRelayParameters,
    testIds: ['control', 'kb1'],
    greylistRetry: { backoffMs: [20, 40, 80] },
    ...options,
  });
}

const remote = (line: string): boolean => /@example\.net>?$/i.test(line.replace(/^RCPT TO:/i, ''));

/**
 * A greylisting MTA like postgrey in front of a closed Postfix: a (sender, recipient) pair is deferred
 * `deferrals` times, then answered for real (local recipients 250, remote ones `remoteAnswer`).
 */
function greylistingMta(deferrals: number, remoteAnswer = '554 5.7.1 <victim@example.net>: Relay access denied', deferral = '450 4.2.0 <x>: Recipient address rejected: Greylisted, see https://postgrey.example.org/'): ConnectionScript {
  const seen = new Map<string, number>();
  return async (peer) => {
    let sender = '';
    await peer.send('220 mx.example.com ESMTP\r\n');
    await peer.converse([
      [/^EHLO /i, '250-mx.example.com\r\n250 ENHANCEDSTATUSCODES\r\n'],
      [/^RSET$/i, '250 2.0.0 Ok\r\n'],
      [/^MAIL FROM:/i, (line, p) => { sender = line; return p.send('250 2.1.0 Ok\r\n'); }],
      [
        /^RCPT TO:/i,
        (line, p) => {
          if (remote(line) && remoteAnswer.startsWith('554')) {
            // Postfix checks reject_unauth_destination before the greylisting policy service.
            return p.send(`${remoteAnswer}\r\n`);
          }
          const key = `${sender}|${line}`;
          const count = (seen.get(key) ?? 0) + 1;
          seen.set(key, count);
          if (count <= deferrals) {
            return p.send(`${deferral}\r\n`);
          }
          return p.send(remote(line) ? `${remoteAnswer}\r\n` : '250 2.1.5 Ok\r\n');
        },
      ],
    ]);
  };
}

describe('greylisting replies', () => {
  test('postgrey\'s 450 4.2.0 Greylisted and a 451 4.7.1 "try again later" are greylisting', () => {
    assert.equal(judgeGreylisting({ code: 450, enhanced: '4.2.0', lines: [], text: '<a@example.net>: Recipient address rejected: Greylisted' }).greylisted, true);
    assert.equal(judgeGreylisting({ code: 451, enhanced: '4.7.1', lines: [], text: 'Please try again later' }).greylisted, true);
  });

  test('a 4yz relay denial is a denial, not greylisting; a 5yz never is', () => {
    const denial = { code: 454, enhanced: '4.7.1', lines: [], text: '<a@example.net>: Relay access denied' };
    assert.equal(judgeGreylisting(denial, ['relay-denied']).greylisted, false);
    assert.equal(judgeGreylisting({ code: 550, lines: [], text: 'Greylisted forever' }).greylisted, false);
  });

  test('421 at the greeting is waited out; 421 elsewhere needs delay words', () => {
    assert.equal(judgeGreylisting({ code: 421, lines: [], text: 'mx.example.com busy' }, [], 'greeting').greylisted, true);
    assert.equal(judgeGreylisting({ code: 421, lines: [], text: 'mx.example.com closing' }).greylisted, false);
  });

  test('the delay the server names is used (plus a second); otherwise the growing schedule', () => {
    assert.equal(namedDelay('Greylisted, please retry in 60 seconds'), 61_000);
    assert.equal(namedDelay('try again in 5 minutes'), 301_000);
    assert.equal(namedDelay('Greylisted'), undefined);
    assert.equal(greylistDelayBeforeRetry(1, { greylisted: true }), 5_000);
    assert.equal(greylistDelayBeforeRetry(2, { greylisted: true }), 15_000);
    assert.equal(greylistDelayBeforeRetry(4, { greylisted: true }), 300_000);
    assert.equal(greylistDelayBeforeRetry(5, { greylisted: true }), undefined);
    assert.equal(greylistDelayBeforeRetry(1, { greylisted: true, namedDelayMs: 61_000 }), 61_000);
  });
});

describe('a greylisting server, retried with the same sender and recipient', () => {
  test('the control is let through on the retry, and the relay test is judged on the real answer', async () => {
    const server = await serve(greylistingMta(2));
    const report = await run(server);
    assert.deepEqual(outcomesOf(report), { control: 'passed', kb1: 'passed' });
    assert.equal(report.verdict, 'closed');
    const control = resultFor(report, 'control');
    const rcpts = control.replies.filter((record) => record.command.startsWith('RCPT TO:'));
    assert.deepEqual(rcpts.map((record) => record.code), [450, 450, 250]);
    assert.equal(new Set(control.replies.filter((record) => record.command.startsWith('MAIL FROM:')).map((record) => record.command)).size, 1);
    assert.match(control.reason, /Greylisted at first with 450 4\.2\.0 .*let through after/);
    assert.equal(report.greylisting?.[0]?.testId, 'control');
    assert.equal(report.greylisting?.[0]?.retries, 2);
    assert.ok(report.greylisting?.[0]?.letThroughAfterMs !== undefined);
    assert.ok(report.warnings.some((warning) => warning.startsWith('The server greylists') && warning.includes('control after')));
  });

  test('a relayed test behind greylisting is found once the server lets it through: open', async () => {
    const server = await serve(greylistingMta(1, '250 2.1.5 Ok'));
    const report = await run(server);
    assert.deepEqual(outcomesOf(report), { control: 'passed', kb1: 'failed' });
    assert.equal(report.verdict, 'open');
  });

  test('still greylisted when the schedule is used up: inconclusive, never passed or closed', async () => {
    const server = await serve(greylistingMta(100));
    const report = await run(server, { testIds: ['control', 'kb1'] });
    assert.equal(resultFor(report, 'control').outcome, 'inconclusive');
    assert.match(resultFor(report, 'control').reason, /^Greylisted: 450 4\.2\.0 .*still deferred after 3 retries/);
    assert.notEqual(report.verdict, 'closed');
    assert.ok(report.warnings.some((warning) => warning.includes('control never got past it')));
  });

  test('a wait the deadline cannot hold is not started: inconclusive, naming the deadline', async () => {
    const server = await serve(greylistingMta(100));
    const report = await run(server, { greylistRetry: { backoffMs: [60_000] }, deadlineMs: 5_000, testIds: ['control'] });
    assert.equal(resultFor(report, 'control').outcome, 'inconclusive');
    assert.match(resultFor(report, 'control').reason, /the deadline leaves no time for a retry in 60 s/);
    assert.equal(report.verdict, 'inconclusive');
  });

  test('a 421 greeting is waited out and the run goes on on the next connection', async () => {
    let connections = 0;
    const inner = greylistingMta(0);
    const server = await serve(async (peer) => {
      connections++;
      if (connections === 1) {
        await peer.send('421 4.3.2 mx.example.com busy, try again later\r\n');
        await peer.end();
        return;
      }
      await inner(peer);
    });
    const report = await run(server);
    assert.deepEqual(outcomesOf(report), { control: 'passed', kb1: 'passed' });
    assert.ok(report.transcript.some((event) => event.kind === 'info' && /the greeting was 421 4\.3\.2 .*connecting again in/.test(event.text)));
  });
});

describe('the run deadline', () => {
  test('a server that stops answering: the tests left are error with the deadline as reason, verdict inconclusive', async () => {
    const server = await serve(async (peer) => {
      await peer.send('220 mx.example.com ESMTP\r\n');
      await peer.converse([
        [/^EHLO /i, '250 mx.example.com\r\n'],
        [/^RSET$/i, '250 2.0.0 Ok\r\n'],
        [/^MAIL FROM:/i, '250 2.1.0 Ok\r\n'],
        [/^RCPT TO:/i, (line, p) => (remote(line) ? p.hang() : p.send('250 2.1.5 Ok\r\n'))],
      ]);
    });
    const report = await run(server, { testIds: ['control', 'kb1', 'kb2', 'kb3'], deadlineMs: 500 });
    assert.equal(resultFor(report, 'control').outcome, 'passed');
    for (const id of ['kb1', 'kb2', 'kb3']) {
      assert.equal(resultFor(report, id).outcome, 'error', id);
      assert.match(resultFor(report, id).reason, /the run's deadline of 500 ms passed/, id);
    }
    assert.equal(report.verdict, 'inconclusive');
    assert.ok(report.warnings.some((warning) => warning.startsWith("The run's deadline of 500 ms passed")));
  });

  test('RunDeadline aborts its signal when it passes; pause() ends early on abort', async () => {
    const deadline = new RunDeadline(10);
    assert.equal(await pause(60_000, deadline.signal), false);
    assert.equal(deadline.passed, true);
    assert.equal(deadline.remainingMs(), 0);
    assert.equal(await pause(1), true);
  });
});

describe('reply latency', () => {
  test('every reply of every test carries its latency, in the report and in the JSON, and each connection its greeting latency', async () => {
    const server = await serve(greylistingMta(0));
    const report = await run(server);
    for (const result of report.tests) {
      assert.ok(result.replies.length > 0);
      for (const record of result.replies) {
        assert.equal(typeof record.latencyMs, 'number', `${result.id} ${record.command}`);
        assert.ok(record.latencyMs! >= 0);
      }
    }
    const json = relayReportToJson(report);
    assert.ok(json.tests.every((entry) => entry.replies.every((reply) => typeof reply.latencyMs === 'number')));
    assert.equal(report.connections?.length, 1);
    assert.equal(typeof report.connections?.[0]?.greetingLatencyMs, 'number');
    assert.equal(typeof json.connections?.[0]?.greetingLatencyMs, 'number');
  });
});
