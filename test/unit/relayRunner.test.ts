import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { isLocalDomain, parseMailAddress } from '../../src/core/protocol/mailAddress';
import { UnknownRelayTestError, findRelayTest, selectRelayTests } from '../../src/core/relay/relayCatalogue';
import { relayReportToJson } from '../../src/core/relay/relayJson';
import { runRelaySuite, runRelayTestInSession } from '../../src/core/relay/relayRunner';
import type { RelayReport, RelayRunOptions, RelayTestParameters } from '../../src/core/relay/relayTypes';
import { noControlWarning, trustedNetworkWarning } from '../../src/core/relay/relayVerdict';
import { SmtpSession } from '../../src/core/protocol/session';
import type { TranscriptEvent } from '../../src/core/transcript/transcriptEvent';
import { startPracticeServer, type PracticeServer } from '../../src/lab/practiceServer';
import type { PersonaName } from '../../src/lab/persona';
import { startScriptedServer, type ConnectionScript, type ScriptedServer } from '../support/scriptedServer';
import { closedKbOutcomes, outcomesOf, resultFor } from '../support/relayResults';

const parameters: RelayTestParameters = {
  localDomains: ['example.com'],
  localUser: 'admin',
  remoteDomain: 'example.net',
  remoteUser: 'victim',
  serverAddress: '',
  heloName: 'client.example.org',
  addressForm: 'bracketed',
};

const kbIds = selectRelayTests('kb').map((definition) => definition.id);
const kbIdsWithoutControl = kbIds.filter((id) => id !== 'control');

/** What the fake server knows about the connection when it answers RCPT. */
interface RcptState {
  /** 1 for the first connection of the run. */
  connection: number;
}

interface MtaScript {
  greeting?: string;
  /** Advertise STARTTLS and upgrade on it (with the fixture certificate). */
  starttls?: boolean;
  /** Advertise STARTTLS but refuse it with 454 (without `starttls`). */
  advertiseStarttls?: boolean;
  mail?(address: string): string;
  /** A reply line, or 'drop' to close the connection without answering. */
  rcpt(address: string, state: RcptState): string | 'drop' | 'hang';
}

function addressArgument(line: string): string {
  return line.replace(/^(MAIL FROM|RCPT TO):/i, '').replace(/^<|>$/g, '');
}

/** A small loopback MTA whose MAIL and RCPT answers are functions: enough to drive the runner. */
function scriptedMta(script: MtaScript): ConnectionScript {
  let connections = 0;
  return async (peer) => {
    const connection = ++connections;
    await peer.send(script.greeting ?? '220 mx.example.com ESMTP ready\r\n');
    await peer.converse([
      [
        /^EHLO /i,
        `250-mx.example.com Hello client.example.org\r\n${script.starttls || script.advertiseStarttls ? '250-STARTTLS\r\n' : ''}250 ENHANCEDSTATUSCODES\r\n`,
      ],
      [
        /^STARTTLS$/i,
        async (_line, p) => {
          if (!script.starttls) {
            await p.send('454 4.7.0 TLS not available due to local problem\r\n');
            return;
          }
          await p.send('220 2.0.0 Ready to start TLS\r\n');
          await p.startTls();
        },
      ],
      [/^RSET$/i, '250 2.0.0 Resetting\r\n'],
      [/^MAIL FROM:/i, (line, p) => p.send(`${script.mail?.(addressArgument(line)) ?? '250 2.1.0 Sender OK'}\r\n`)],
      [
        /^RCPT TO:/i,
        async (line, p) => {
          const answer = script.rcpt(addressArgument(line), { connection });
          if (answer === 'drop') {
            await p.end();
          } else if (answer === 'hang') {
            await p.hang();
          } else {
            await p.send(`${answer}\r\n`);
            if (answer.startsWith('421')) {
              await p.end();
            }
          }
        },
      ],
      [
        /^DATA$/i,
        async (_line, p) => {
          await p.send('354 Start mail input; end with <CRLF>.<CRLF>\r\n');
          while ((await p.readLine()) !== '.') {
            // the body is not looked at
          }
          await p.send('250 2.6.0 Queued mail for delivery\r\n');
        },
      ],
    ]);
  };
}

/** Exchange as KB 304897 describes it: only the domain is checked; a bare name gets the local domain. */
function exchangeLikeRcpt(address: string): string {
  const parsed = parseMailAddress(address);
  if (parsed.domain === undefined) {
    return `250 2.1.5 ${parsed.mailbox}@example.com`;
  }
  if (isLocalDomain(parsed.domain, ['example.com', '127.0.0.1'])) {
    return `250 2.1.5 ${parsed.mailbox}`;
  }
  return `550 5.7.1 Unable to relay for ${parsed.mailbox}`;
}

const servers: ScriptedServer[] = [];
async function serve(script: ConnectionScript): Promise<ScriptedServer> {
  const server = await startScriptedServer(script);
  servers.push(server);
  return server;
}
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

function runAgainst(server: { host: string; port: number }, options: Partial<RelayRunOptions> = {}): Promise<RelayReport> {
  return runRelaySuite({
    session: { host: server.host, port: server.port, tls: 'none', timeouts: { replyMs: 10_000 } },
    parameters,
    testIds: kbIds,
    ...options,
  });
}



function everyLineReceived(server: ScriptedServer): string[] {
  return server.peers.flatMap((peer) => peer.received);
}

describe('runRelaySuite against a scripted Exchange-like server (KB 304897)', () => {
  let report: RelayReport;
  let server: ScriptedServer;
  before(async () => {
    server = await serve(scriptedMta({ rcpt: exchangeLikeRcpt }));
    report = await runAgainst(server);
  });

  test('kb1-kb5 pass, kb6 and kb7 are NDR-pending (needs-confirmation), the control passes', () => {
    assert.deepEqual(outcomesOf(report), closedKbOutcomes);
  });

  test('the verdict is closed, with a warning that names kb6 and kb7 and how to confirm them', () => {
    assert.equal(report.verdict, 'closed');
    const pending = report.warnings.find((warning) => warning.includes('NDR-pending'));
    assert.ok(pending);
    assert.match(pending, /kb6 and kb7/);
    assert.match(pending, /re-run with confirmation by delivery \(sends DATA\) against a server you own/);
    assert.ok(!report.warnings.includes(trustedNetworkWarning));
  });

  test("test 6's reason says how to confirm it in words every face can show, naming no command-line flag", () => {
    const reason = resultFor(report, 'kb6').reason;
    assert.match(reason, /^NDR-pending: /);
    assert.match(reason, /re-run with confirmation by delivery \(sends DATA\) against a server you own\.$/);
    assert.doesNotMatch(reason, /--/);
  });

  test('it works like the KB: one connection, EHLO, then RSET, MAIL FROM, RCPT TO per test, and never DATA', () => {
    assert.equal(server.peers.length, 1);
    const lines = server.peers[0].received;
    assert.equal(lines[0], 'EHLO client.example.org');
    const perTest = lines.slice(1, 1 + 3 * kbIds.length);
    for (let index = 0; index < kbIds.length; index++) {
      assert.equal(perTest[3 * index], 'RSET');
      assert.match(perTest[3 * index + 1], /^MAIL FROM:/);
      assert.match(perTest[3 * index + 2], /^RCPT TO:/);
    }
    assert.ok(!lines.includes('DATA'));
    assert.equal(lines[lines.length - 1], 'QUIT');
  });

  test('the control runs first, to the local user at the local domain', () => {
    assert.equal(report.tests[0].id, 'control');
    assert.equal(report.tests[0].rcptTo, '<admin@example.com>');
  });

  test('each test records its classified MAIL and RCPT replies, and the reason cites the deciding reply', () => {
    const kb1 = resultFor(report, 'kb1');
    assert.deepEqual(
      kb1.replies.map((record) => [record.command, record.code, record.class]),
      [
        ['MAIL FROM:<admin@example.net>', 250, 'acceptance'],
        ['RCPT TO:<victim@example.net>', 550, 'rejection'],
      ],
    );
    assert.match(kb1.reason, /550 5\.7\.1: relay denied/);
    const kb6 = resultFor(report, 'kb6');
    assert.equal(kb6.replies[1].class, 'ndr-pending');
    assert.deepEqual(kb6.replies[1].signals, ['local-domain-appended']);
  });

  test('kb5 sends the sender at the address actually connected to', () => {
    assert.equal(resultFor(report, 'kb5').mailFrom, '<admin@[127.0.0.1]>');
  });

  test('the transcript holds the whole conversation', () => {
    const sent = report.transcript.filter((event) => event.kind === 'sent').map((event) => event.text);
    assert.ok(sent.includes('RCPT TO:<victim%example.net>'));
    assert.ok(report.transcript.some((event) => event.kind === 'received' && event.text.startsWith('550 5.7.1 Unable to relay')));
  });
});

describe('runRelaySuite: verdicts and warnings', () => {
  test('a server that accepts every recipient is open, with the trusted-network warning', async () => {
    const server = await serve(scriptedMta({ rcpt: () => '250 2.1.5 Ok' }));
    const report = await runAgainst(server);
    assert.equal(report.verdict, 'open');
    for (const id of ['kb1', 'kb2', 'kb3', 'kb4', 'kb5']) {
      assert.equal(resultFor(report, id).outcome, 'failed', id);
    }
    assert.match(resultFor(report, 'kb1').reason, /^Relayed: 250 2\.1\.5: accepted for remote recipient victim@example\.net/);
    assert.ok(report.warnings.includes(trustedNetworkWarning));
  });

  test('when the control is refused, rejected relay tests are inconclusive, not passed', async () => {
    const blocked = '554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.example.org';
    const server = await serve(scriptedMta({ rcpt: () => blocked }));
    const report = await runAgainst(server);
    assert.equal(resultFor(report, 'control').outcome, 'inconclusive');
    for (const id of kbIdsWithoutControl) {
      assert.equal(resultFor(report, id).outcome, 'inconclusive', id);
    }
    assert.equal(report.verdict, 'inconclusive');
    assert.ok(report.warnings.some((warning) => warning.startsWith('The control (a local recipient) was refused')));
  });

  test('a temporary rejection of the control is inconclusive too (greylisting not retried)', async () => {
    const server = await serve(
      scriptedMta({ rcpt: (address) => (address.endsWith('@example.com') ? '450 4.2.0 Greylisted, try again later' : exchangeLikeRcpt(address)) }),
    );
    const report = await runAgainst(server, { testIds: ['control', 'kb1'], greylistRetry: false });
    assert.equal(resultFor(report, 'control').outcome, 'inconclusive');
    assert.equal(report.verdict, 'inconclusive');
  });

  test('without the control the verdict can be closed, with a warning that says what is missing', async () => {
    const server = await serve(scriptedMta({ rcpt: exchangeLikeRcpt }));
    const report = await runAgainst(server, { testIds: kbIdsWithoutControl });
    assert.equal(report.verdict, 'closed');
    assert.ok(report.warnings.includes(noControlWarning));
  });

  test('530 for remote recipients after an accepted control is a refusal to relay: passed', async () => {
    const server = await serve(
      scriptedMta({ rcpt: (address) => (exchangeLikeRcpt(address).startsWith('550') ? '530 5.7.0 Authentication required' : exchangeLikeRcpt(address)) }),
    );
    const report = await runAgainst(server, { testIds: ['control', 'kb1', 'kb3'] });
    assert.deepEqual(outcomesOf(report), { control: 'passed', kb1: 'passed', kb3: 'passed' });
    assert.ok(report.warnings.some((warning) => warning.includes('asked for authentication (530)')));
  });

  test('530 for everything is inconclusive: the server only talks to clients that log in', async () => {
    const server = await serve(scriptedMta({ rcpt: () => '530 5.7.0 Authentication required' }));
    const report = await runAgainst(server, { testIds: ['control', 'kb1'] });
    assert.deepEqual(outcomesOf(report), { control: 'inconclusive', kb1: 'inconclusive' });
    assert.equal(report.verdict, 'inconclusive');
  });

  test('MAIL refused for a relay test, with no accepted sender known (no control ran): the refusal alone passes it', async () => {
    const server = await serve(
      scriptedMta({
        mail: (address) => (address === '' ? '550 5.7.1 Null sender not accepted from here' : '250 2.1.0 Sender OK'),
        rcpt: exchangeLikeRcpt,
      }),
    );
    const report = await runAgainst(server, { testIds: ['kb3'] });
    assert.equal(resultFor(report, 'kb3').outcome, 'passed');
    assert.match(resultFor(report, 'kb3').reason, /^MAIL FROM refused/);
    assert.equal(resultFor(report, 'kb3').replies.length, 1);
    assert.equal(resultFor(report, 'kb3').senderRetry, undefined);
  });

  test("a refused sender form: the test's recipient is tried again with the control's sender, and the recipient part decides", async () => {
    const server = await serve(
      scriptedMta({
        mail: (address) => (address === '' ? '550 5.7.1 Null sender not accepted from here' : '250 2.1.0 Sender OK'),
        rcpt: exchangeLikeRcpt,
      }),
    );
    const report = await runAgainst(server, { testIds: ['control', 'kb3'] });
    const control = resultFor(report, 'control');
    const kb3 = resultFor(report, 'kb3');
    assert.deepEqual(
      kb3.replies.map((reply) => `${reply.command} -> ${reply.code}`),
      ['MAIL FROM:<> -> 550', `MAIL FROM:${control.mailFrom} -> 250`, 'RCPT TO:<victim@example.net> -> 550'],
    );
    assert.deepEqual(kb3.senderRetry, { mailFrom: control.mailFrom, refusedSender: '<>', senderReply: '550 5.7.1 Null sender not accepted from here' });
    const json = relayReportToJson(report).tests.find((candidate) => candidate.id === 'kb3');
    assert.deepEqual(json?.senderRetry, kb3.senderRetry, '--json carries both parts too');
    assert.equal(json?.replies.length, 3);
    assert.equal(relayReportToJson(report).tests.find((candidate) => candidate.id === 'control')?.senderRetry, undefined);
    assert.equal(kb3.outcome, 'passed');
    assert.match(
      kb3.reason,
      new RegExp(`^This sender form is refused \\(policy: 550 5\\.7\\.1 Null sender not accepted from here\\); with an accepted sender \\(${control.mailFrom}\\), the recipient form is refused\\. `),
    );
  });

  test('a refused sender form whose recipient is then accepted fails the test: the recipient part decides, not the sender', async () => {
    const server = await serve(
      scriptedMta({
        mail: (address) => (address.includes('@') ? '250 2.1.0 Sender OK' : '501 5.1.7 Bad sender address syntax'),
        rcpt: () => '250 2.1.5 Recipient OK',
      }),
    );
    const report = await runAgainst(server, { testIds: ['control', 'kb2'] });
    const kb2 = resultFor(report, 'kb2');
    assert.equal(kb2.outcome, 'failed', kb2.reason);
    assert.match(kb2.reason, /^This sender form is refused \(syntax: 501 5\.1\.7 Bad sender address syntax\); with an accepted sender \(<[^>]+>\), the recipient form is accepted\. /);
    assert.equal(kb2.replies.at(-1)?.command, 'RCPT TO:<victim@example.net>');
    assert.equal(report.verdict, 'open');
  });

  test('550 5.1.1 for unknown local recipients passes the test and warns about directory harvest', async () => {
    const server = await serve(
      scriptedMta({
        rcpt: (address) => {
          const answer = exchangeLikeRcpt(address);
          return answer.startsWith('250') && !address.startsWith('admin@') ? '550 5.1.1 User unknown' : answer;
        },
      }),
    );
    const report = await runAgainst(server);
    assert.equal(resultFor(report, 'kb6').outcome, 'passed');
    assert.equal(report.verdict, 'closed');
    const harvest = report.warnings.find((warning) => warning.includes('harvest'));
    assert.ok(harvest);
    assert.match(harvest, /KB 304897 recommends a tarpit/);
  });

  test('the bare KB address form is sent as typed, and a 501 to it is explained', async () => {
    const server = await serve(
      scriptedMta({
        mail: (address) => (address.startsWith('<') || address === '' ? '250 2.1.0 Ok' : '501 5.5.4 Syntax: MAIL FROM:<address>'),
        rcpt: exchangeLikeRcpt,
      }),
    );
    const report = await runAgainst(server, { parameters: { ...parameters, addressForm: 'bare' }, testIds: ['control', 'kb1'] });
    assert.ok(everyLineReceived(server).includes('MAIL FROM:admin@example.net'));
    assert.equal(report.verdict, 'inconclusive');
    // Every bare address was refused and none accepted: the form is the likely cause, said as such (evidence rules).
    assert.ok(report.warnings.some((warning) => warning.includes('refused every address sent in the bare form')));
  });

  test('local domains are inferred from the greeting when none are configured', async () => {
    const server = await serve(scriptedMta({ greeting: '220 mx.example.org ESMTP\r\n', rcpt: () => '250 2.1.5 Ok' }));
    const report = await runAgainst(server, { parameters: { ...parameters, localDomains: [] }, testIds: ['control', 'kb6'] });
    assert.equal(resultFor(report, 'control').rcptTo, '<admin@mx.example.org>');
    assert.equal(resultFor(report, 'control').outcome, 'passed');
  });
});

describe('runRelaySuite: dropped connections, 421, refusals and cancellation', () => {
  test('a 421 interrupts a test: the runner reconnects, retries it once and carries on', async () => {
    let remoteRecipients = 0;
    const server = await serve(
      scriptedMta({
        // The third RCPT to victim@example.net on the first connection is kb3's.
        rcpt: (address, state) =>
          state.connection === 1 && address === 'victim@example.net' && ++remoteRecipients === 3
            ? '421 4.3.2 Too many errors, closing connection'
            : exchangeLikeRcpt(address),
      }),
    );
    const report = await runAgainst(server);
    assert.deepEqual(Object.values(outcomesOf(report)).filter((outcome) => outcome === 'error'), []);
    // "Too many errors" after kb1's and kb2's refusals: the limit is 2, so each later connection ends after
    // one refusal (a test may make two): kb3, kb4 and kb5 on their own connections, then kb6 and kb7.
    assert.equal(server.peers.length, 5);
    assert.equal(report.transcript.filter((event) => event.kind === 'received' && event.text.startsWith('421')).length, 1, 'the limit is met once');
    assert.ok(report.transcript.some((event) => event.kind === 'info' && /closed an earlier connection after 2 tolerated refusals/.test(event.text)));
    const retried = report.tests.filter((result) => result.reason.includes('Retried on a new connection'));
    assert.deepEqual(retried.map((result) => result.id), ['kb3']);
    assert.equal(retried[0].outcome, 'passed');
    assert.match(retried[0].reason, /421 4\.3\.2/);
    assert.equal(report.verdict, 'closed');
    assert.equal(report.tests.length, kbIds.length);
    assert.ok(report.transcript.some((event) => event.kind === 'info' && event.text.includes('reconnecting')));
  });

  test('a test that loses the connection twice is an error; the others still run; the verdict is inconclusive', async () => {
    const server = await serve(scriptedMta({ rcpt: (address) => (address === 'victim%example.net' ? 'drop' : exchangeLikeRcpt(address)) }));
    const report = await runAgainst(server);
    const kb6 = resultFor(report, 'kb6');
    assert.equal(kb6.outcome, 'error');
    assert.match(kb6.reason, /^Interrupted twice/);
    assert.equal(resultFor(report, 'kb7').outcome, 'needs-confirmation');
    assert.equal(server.peers.length, 3);
    assert.equal(report.verdict, 'inconclusive');
    assert.ok(report.warnings.some((warning) => warning.includes('kb6 could not be completed')));
  });

  test('a server that cannot be reached makes every test an error and the verdict inconclusive', async () => {
    const port = await closedPort();
    const report = await runAgainst({ host: '127.0.0.1', port });
    assert.equal(report.verdict, 'inconclusive');
    for (const result of report.tests) {
      assert.equal(result.outcome, 'error', result.id);
      assert.match(result.reason, /^Not run: could not connect/);
    }
  });

  test('a 554 greeting makes every test inconclusive, citing the greeting', async () => {
    const server = await serve(scriptedMta({ greeting: '554 5.7.1 mx.example.com: no SMTP service for you\r\n', rcpt: () => '250 Ok' }));
    const report = await runAgainst(server, { testIds: ['control', 'kb1'] });
    assert.deepEqual(outcomesOf(report), { control: 'inconclusive', kb1: 'inconclusive' });
    assert.match(report.tests[0].reason, /554 5\.7\.1/);
    assert.equal(report.verdict, 'inconclusive');
  });

  test('cancelling stops the run: the running test and the rest are errors', async () => {
    const controller = new AbortController();
    const server = await serve(
      scriptedMta({
        rcpt: (address) => (address === 'victim%example.net' ? 'hang' : exchangeLikeRcpt(address)),
      }),
    );
    const report = await runAgainst(server, {
      signal: controller.signal,
      onTestStarted: (definition) => {
        if (definition.id === 'kb6') {
          setImmediate(() => controller.abort());
        }
      },
    });
    assert.equal(resultFor(report, 'kb6').outcome, 'error');
    assert.match(resultFor(report, 'kb6').reason, /^Cancelled/);
    assert.match(resultFor(report, 'kb7').reason, /cancelled/);
    assert.equal(resultFor(report, 'kb5').outcome, 'passed');
    assert.equal(report.verdict, 'inconclusive');
  });

  test('with STARTTLS the run upgrades after EHLO, greets again, and runs every test inside TLS', async () => {
    const server = await serve(scriptedMta({ starttls: true, rcpt: exchangeLikeRcpt }));
    const report = await runAgainst(server, {
      session: { host: server.host, port: server.port, tls: 'starttls', rejectUnauthorized: false },
      testIds: ['control', 'kb1'],
    });
    assert.deepEqual(server.peers[0].received.slice(0, 4), ['EHLO client.example.org', 'STARTTLS', 'EHLO client.example.org', 'RSET']);
    assert.deepEqual(outcomesOf(report), { control: 'passed', kb1: 'passed' });
    const rcptEvents = report.transcript.filter((event) => event.kind === 'sent' && event.text.startsWith('RCPT TO:'));
    assert.ok(rcptEvents.length === 2 && rcptEvents.every((event) => event.tls));
  });

  test('a refused STARTTLS stops the run before any test: nothing is sent in the clear', async () => {
    // It advertises STARTTLS, then refuses it: a server that does not advertise it is tested in clear text instead.
    const server = await serve(scriptedMta({ rcpt: exchangeLikeRcpt, advertiseStarttls: true }));
    const report = await runAgainst(server, {
      session: { host: server.host, port: server.port, tls: 'starttls', rejectUnauthorized: false },
      testIds: ['control', 'kb1'],
    });
    assert.ok(!everyLineReceived(server).some((line) => line.startsWith('MAIL FROM')));
    assert.match(report.tests[0].reason, /TLS failed: .* refused STARTTLS with 454 4\.7\.0/);
    assert.deepEqual(outcomesOf(report), { control: 'error', kb1: 'error' });
    assert.equal(report.verdict, 'inconclusive');
  });

  test('unknown test ids are refused before anything is sent', async () => {
    const server = await serve(scriptedMta({ rcpt: exchangeLikeRcpt }));
    await assert.rejects(runAgainst(server, { testIds: ['kb1', 'kb42'] }), UnknownRelayTestError);
    assert.equal(server.peers.length, 0);
  });
});

describe('runRelaySuite: delivery confirmation and events', () => {
  test('only with confirmByDelivery is DATA sent, and only for NDR-pending tests, with a labelled message', async () => {
    const server = await serve(scriptedMta({ rcpt: exchangeLikeRcpt }));
    const report = await runAgainst(server, { confirmByDelivery: true });
    const lines = everyLineReceived(server);
    assert.equal(lines.filter((line) => line === 'DATA').length, 2);
    assert.ok(lines.includes('Subject: SMTP Relay Lab relay test kb6 - please discard'));
    assert.ok(lines.includes('Subject: SMTP Relay Lab relay test kb7 - please discard'));
    const kb6 = resultFor(report, 'kb6');
    assert.equal(kb6.outcome, 'needs-confirmation');
    assert.deepEqual(
      kb6.replies.map((record) => record.command),
      ['MAIL FROM:<admin>', 'RCPT TO:<victim%example.net>', 'DATA', '.'],
    );
    assert.match(kb6.reason, /RFC 5321 §4\.2\.5/);
    assert.equal(report.verdict, 'closed');
  });

  test('onEvent sees every transcript event; onTestStarted and onTestFinished bracket each test, control first', async () => {
    const server = await serve(scriptedMta({ rcpt: exchangeLikeRcpt }));
    const events: TranscriptEvent[] = [];
    const calls: string[] = [];
    const report = await runAgainst(server, {
      testIds: ['kb6', 'kb1', 'control'],
      onEvent: (event) => events.push(event),
      onTestStarted: (definition) => calls.push(`start ${definition.id}`),
      onTestFinished: (result) => calls.push(`finish ${result.id} ${result.outcome}`),
    });
    assert.deepEqual(events, report.transcript);
    assert.deepEqual(calls, [
      'start control',
      'finish control passed',
      'start kb6',
      'finish kb6 needs-confirmation',
      'start kb1',
      'finish kb1 passed',
    ]);
  });
});

describe('runRelayTestInSession: one test inside an open session', () => {
  test('kb6 in the user session is NDR-pending and leaves the session open', async () => {
    const server = await serve(scriptedMta({ rcpt: exchangeLikeRcpt }));
    const session = new SmtpSession({ host: server.host, port: server.port, tls: 'none' });
    try {
      await session.connect();
      await session.ehlo('client.example.org');
      const result = await runRelayTestInSession(session, findRelayTest('kb6')!, parameters);
      assert.equal(result.outcome, 'needs-confirmation');
      assert.equal(result.rcptTo, '<victim%example.net>');
      assert.equal(session.state, 'ready');
    } finally {
      await session.quit();
    }
  });

  test('without configured domains, the server name from the greeting and EHLO is used', async () => {
    const server = await serve(scriptedMta({ greeting: '220 mx.example.org ESMTP\r\n', rcpt: () => '250 2.1.5 Ok' }));
    const session = new SmtpSession({ host: server.host, port: server.port, tls: 'none' });
    try {
      await session.connect();
      await session.ehlo('client.example.org');
      const result = await runRelayTestInSession(session, findRelayTest('kb4')!, { ...parameters, localDomains: [] });
      assert.equal(result.mailFrom, '<admin@mx.example.org>');
      assert.equal(result.outcome, 'failed');
    } finally {
      await session.quit();
    }
  });

  test('a connection lost during the test is an error result, not a throw', async () => {
    const server = await serve(scriptedMta({ rcpt: () => 'drop' }));
    const session = new SmtpSession({ host: server.host, port: server.port, tls: 'none' });
    try {
      await session.connect();
      const result = await runRelayTestInSession(session, findRelayTest('kb1')!, parameters);
      assert.equal(result.outcome, 'error');
      assert.match(result.reason, /^Interrupted/);
    } finally {
      session.close();
    }
  });
});

describe('runRelaySuite against the practice server personas', () => {
  const labParameters: RelayTestParameters = { ...parameters, localDomains: ['corp.example'] };
  const labs: PracticeServer[] = [];
  after(async () => {
    await Promise.all(labs.map((lab) => lab.close()));
  });
  async function runAgainstPersona(persona: PersonaName, options: Partial<RelayRunOptions> = {}): Promise<RelayReport> {
    const lab = await startPracticeServer({ persona, host: '127.0.0.1', port: 0 });
    labs.push(lab);
    return runAgainst(lab, { parameters: labParameters, ...options });
  }

  test('exchange: kb1-kb5 passed, kb6 and kb7 need confirmation, control passed, verdict closed', async () => {
    const report = await runAgainstPersona('exchange');
    assert.deepEqual(outcomesOf(report), closedKbOutcomes);
    assert.equal(report.verdict, 'closed');
    assert.deepEqual(resultFor(report, 'kb6').replies[1].signals, ['local-domain-appended']);
  });

  test('postfix: every relay test gets a temporary 454 rejection, the control passes, verdict closed', async () => {
    const report = await runAgainstPersona('postfix');
    assert.equal(resultFor(report, 'control').outcome, 'passed');
    for (const id of kbIdsWithoutControl) {
      const result = resultFor(report, id);
      assert.equal(result.outcome, 'passed', id);
      const rcpt = result.replies[result.replies.length - 1];
      assert.equal(rcpt.code, 454, id);
      assert.equal(rcpt.temporary, true, id);
    }
    assert.equal(report.verdict, 'closed');
  });

  test('open: kb1-kb5 failed, verdict open, with the trusted-network warning', async () => {
    const report = await runAgainstPersona('open');
    for (const id of ['kb1', 'kb2', 'kb3', 'kb4', 'kb5']) {
      assert.equal(resultFor(report, id).outcome, 'failed', id);
    }
    // Evidence rules: "250 2.1.5 Ok" to R%RD and "R@RD" echoes no local domain, so nothing proves local
    // handling: the acceptance counts as relayed (this persona does relay them: see its outbox).
    assert.equal(resultFor(report, 'kb6').outcome, 'failed');
    assert.equal(resultFor(report, 'kb7').outcome, 'failed');
    assert.equal(resultFor(report, 'control').outcome, 'passed');
    assert.equal(report.verdict, 'open');
    assert.ok(report.warnings.includes(trustedNetworkWarning));
  });

  test('harvest: unknown local users are refused with 5.1.1 and the harvest warning appears', async () => {
    const report = await runAgainstPersona('harvest', { testIds: [...kbIds, 'x-unknown-local-user'] });
    const probe = resultFor(report, 'x-unknown-local-user');
    assert.equal(probe.outcome, 'passed');
    assert.deepEqual(probe.replies[1].signals, ['harvest']);
    assert.ok(report.warnings.some((warning) => warning.includes('harvest')));
    assert.equal(report.verdict, 'closed');
  });

  test('exchange with the extended tests: nothing is relayed, and every x- test gets a result', async () => {
    const report = await runAgainstPersona('exchange', { testIds: selectRelayTests('all').map((definition) => definition.id) });
    assert.equal(report.tests.length, selectRelayTests('all').length);
    assert.ok(!report.tests.some((result) => result.outcome === 'failed' || result.outcome === 'error'), JSON.stringify(outcomesOf(report)));
  });

  test('exchange with confirmByDelivery: kb6 and kb7 are taken for delivery and bounce into the outbox', async () => {
    const lab = await startPracticeServer({ persona: 'exchange', host: '127.0.0.1', port: 0 });
    labs.push(lab);
    const report = await runAgainst(lab, { parameters: labParameters, confirmByDelivery: true });
    assert.equal(resultFor(report, 'kb6').outcome, 'needs-confirmation');
    assert.equal(resultFor(report, 'kb6').replies[3].code, 250);
    assert.equal(report.verdict, 'closed');
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
