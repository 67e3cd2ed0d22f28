/**
 * The evidence rules of issue 7 (README "Evidence rules"), held against hostile scripted servers on
 * loopback: a verdict is never "closed" without proof. Each describe block names the rule it holds.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isLocalDomain, parseMailAddress } from '../../src/core/protocol/mailAddress';
import { recogniseMta } from '../../src/core/relay/mtaRecognition';
import { harvestAdvice, openRelayAdvice } from '../../src/core/relay/relayAdvice';
import { relayReportToJson } from '../../src/core/relay/relayJson';
import { remoteDomainConflict, resolveRelayParameters } from '../../src/core/relay/relayParameters';
import { renderRelayReport } from '../../src/core/relay/relayReport';
import { runRelaySuite } from '../../src/core/relay/relayRunner';
import type { RelayReport, RelayTestParameters } from '../../src/core/relay/relayTypes';
import { trustedNetworkWarning } from '../../src/core/relay/relayVerdict';
import { startScriptedServer, type ConnectionScript, type ScriptedServer } from '../support/scriptedServer';
import { outcomesOf, resultFor, scriptedRelayParameters } from '../support/relayResults';
import { wireReply } from './wireReply';

const parameters: RelayTestParameters = { ...scriptedRelayParameters, localUser: 'admin' };

interface HostileScript {
  greeting?: string;
  ehloName?: string;
  mail?(address: string): string;
  /** The raw reply lines (CRLF added) to one RCPT. */
  rcpt(address: string): string;
}

function argumentOf(line: string): string {
  return line.replace(/^(MAIL FROM|RCPT TO):/i, '').replace(/^<|>$/g, '');
}

function hostileMta(script: HostileScript): ConnectionScript {
  return async (peer) => {
    await peer.send(script.greeting ?? '220 mx.example.com ESMTP ready\r\n');
    await peer.converse([
      [/^EHLO /i, `250-${script.ehloName ?? 'mx.example.com'} Hello\r\n250 ENHANCEDSTATUSCODES\r\n`],
      [/^RSET$/i, '250 2.0.0 Ok\r\n'],
      [/^MAIL FROM:/i, (line, p) => p.send(`${script.mail?.(argumentOf(line)) ?? '250 2.1.0 Ok'}\r\n`)],
      [/^RCPT TO:/i, (line, p) => p.send(`${script.rcpt(argumentOf(line))}\r\n`)],
      [
        /^DATA$/i,
        async (_line, p) => {
          await p.send('354 go ahead\r\n');
          while ((await p.readLine()) !== '.') {
            // not looked at
          }
          await p.send('250 2.0.0 Ok: queued\r\n');
        },
      ],
      [
        /^QUIT$/i,
        async (_line, p) => {
          await p.send('221 2.0.0 Bye\r\n');
          await p.end();
        },
      ],
    ]);
  };
}

/** The control (admin@example.com) is accepted; every other recipient gets `answer`. */
function everyOtherRecipient(answer: string): (address: string) => string {
  return (address) => (address === 'admin@example.com' ? '250 2.1.5 Ok' : answer);
}

/** A closed server as KB 304897 describes Exchange: refuses remote domains, echoes its own domain on bare names. */
function closedRcpt(address: string): string {
  const parsed = parseMailAddress(address);
  if (parsed.domain === undefined) {
    return `250 2.1.5 ${parsed.mailbox}@example.com`;
  }
  return isLocalDomain(parsed.domain, ['example.com']) ? '250 2.1.5 Ok' : `550 5.7.1 Unable to relay for ${parsed.mailbox}`;
}

const servers: ScriptedServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function runAgainst(script: HostileScript, testIds: string[], overrides: Partial<RelayTestParameters> = {}): Promise<RelayReport> {
  const server = await startScriptedServer(hostileMta(script));
  servers.push(server);
  return runRelaySuite({
    session: { host: server.host, port: server.port, tls: 'none', timeouts: { replyMs: 10_000 } },
    parameters: { ...parameters, ...overrides },
    testIds,
  });
}

const kb = ['control', 'kb1', 'kb2', 'kb3', 'kb4', 'kb5', 'kb6', 'kb7'];

describe('rule: any 2yz to a remote recipient is acceptance: the server relays', () => {
  for (const code of ['252 2.1.5 Cannot verify, will attempt delivery', '299 whatever you say', '251 2.1.5 User not local; will forward']) {
    test(`a server answering "${code}" to every remote RCPT is open`, async () => {
      const report = await runAgainst({ rcpt: everyOtherRecipient(code) }, ['control', 'kb1', 'kb4']);
      assert.equal(report.verdict, 'open');
      assert.deepEqual(outcomesOf(report), { control: 'passed', kb1: 'failed', kb4: 'failed' });
      assert.equal(resultFor(report, 'kb1').proof, 'accepted');
    });
  }
});

describe('rule: codes outside 2yz-5yz, 3yz to RCPT and mixed-code replies are protocol violations, never refusals', () => {
  for (const code of ['999 I am not SMTP', '100 continue?', '620 nope', '354 go on']) {
    test(`"${code}" to every remote RCPT: those tests are inconclusive and the verdict is never closed`, async () => {
      const report = await runAgainst({ rcpt: everyOtherRecipient(code) }, ['control', 'kb1', 'kb4']);
      assert.notEqual(report.verdict, 'closed');
      assert.equal(resultFor(report, 'kb1').outcome, 'inconclusive');
      assert.match(resultFor(report, 'kb1').reason, /^Protocol violation at RCPT TO/);
      assert.ok(report.warnings.some((warning) => warning.startsWith('The server broke the SMTP protocol in kb1, kb4')));
    });
  }

  test('a multiline reply whose lines disagree (550- then 250) is not a refusal', async () => {
    const report = await runAgainst({ rcpt: everyOtherRecipient('550-5.7.1 relay denied\r\n250 2.1.5 Ok') }, ['control', 'kb1']);
    assert.notEqual(report.verdict, 'closed');
    assert.equal(resultFor(report, 'kb1').outcome, 'inconclusive');
    assert.deepEqual(resultFor(report, 'kb1').replies.at(-1)?.signals, ['protocol-violation']);
  });

  test('the reply parser says which codes a mixed reply carried', async () => {
    const { ReplyParser } = await import('../../src/core/protocol/replyParser');
    const replies: { mixedCodes?: number[] }[] = [];
    const parser = new ReplyParser({
      onLine: () => undefined,
      onReplyProblem: () => undefined,
      onOverflow: () => undefined,
      onReply: (reply) => {
        replies.push(reply);
      },
    });
    parser.feed(Buffer.from('550-no\r\n250 yes\r\n250 2.0.0 fine\r\n'));
    assert.deepEqual(replies[0].mixedCodes, [550, 250]);
    assert.equal(replies[1].mixedCodes, undefined);
  });
});

describe('rule: a routing form is NDR-pending only when the reply proves it (an echo of a local domain)', () => {
  const routingSubset = ['control', 'kb6', 'kb7', 'x-percent-ip-literal', 'x-quoted-percent', 'x-quoted-ip-literal', 'x-bang-path'];

  test('an open relay answering a bare "250 Ok" to kb6, kb7, x-percent, x-quoted and x-bang-path only is never closed', async () => {
    const report = await runAgainst({ rcpt: () => '250 2.1.5 Ok' }, routingSubset);
    assert.notEqual(report.verdict, 'closed');
    assert.equal(report.verdict, 'open');
    // No domain in the form and no echo: counted as relayed.
    for (const id of ['kb6', 'kb7', 'x-quoted-percent', 'x-bang-path']) {
      assert.equal(resultFor(report, id).outcome, 'failed', id);
    }
    // Addressed to the server's own IP literal: ambiguous, needs confirmation, never passed.
    for (const id of ['x-percent-ip-literal', 'x-quoted-ip-literal']) {
      assert.equal(resultFor(report, id).outcome, 'needs-confirmation', id);
      assert.equal(resultFor(report, id).proof, 'none', id);
    }
  });

  test('only the ambiguous forms (routing forms at a local destination, bare 250): inconclusive, with the tests named and how to confirm', async () => {
    const report = await runAgainst({ rcpt: () => '250 2.1.5 Ok' }, ['control', 'x-percent-ip-literal', 'x-double-at-ip-literal', 'x-bang-path-ip-literal']);
    assert.equal(report.verdict, 'inconclusive');
    const warning = report.warnings.find((text) => text.includes('accepted with nothing that proves where'));
    assert.ok(warning, report.warnings.join('\n'));
    assert.match(warning, /^Tests x-percent-ip-literal, x-double-at-ip-literal and x-bang-path-ip-literal were accepted/);
    assert.match(warning, /confirmation by delivery/);
    assert.match(renderRelayReport(report), /^Verdict: INCONCLUSIVE: x-percent-ip-literal, x-double-at-ip-literal, x-bang-path-ip-literal were accepted with nothing/);
  });

  test('the KB Exchange echo (R%RD@LD, "R@RD"@LD) proves local handling: closed, proof "echo", no DATA sent', async () => {
    const report = await runAgainst({ rcpt: closedRcpt }, kb);
    assert.equal(report.verdict, 'closed');
    for (const id of ['kb6', 'kb7']) {
      assert.equal(resultFor(report, id).outcome, 'needs-confirmation', id);
      assert.equal(resultFor(report, id).proof, 'echo', id);
    }
    assert.equal(resultFor(report, 'kb1').proof, 'refused');
  });

  test('an echo that appends a domain that is not local proves nothing: relayed', async () => {
    const report = await runAgainst({ rcpt: (address) => (address === 'admin@example.com' ? '250 2.1.5 Ok' : `250 2.1.5 ${address}@example.org`) }, [
      'control',
      'kb6',
    ]);
    assert.equal(resultFor(report, 'kb6').outcome, 'failed');
  });
});

describe('rule: local domains belong to the user', () => {
  test('a banner naming the remote test domain never makes it local: the run is not closed', async () => {
    // A closed-looking server whose names claim example.net, the remote test domain.
    const report = await runAgainst({ greeting: '220 mx.example.net ESMTP ready\r\n', ehloName: 'mx.example.net', rcpt: closedRcpt }, kb, {
      localDomains: [],
    });
    assert.notEqual(report.verdict, 'closed');
    assert.ok(report.warnings.some((warning) => warning.startsWith('The server calls itself mx.example.net, inside the remote test domain example.net')));
    assert.ok(!report.localDomains?.domains.includes('example.net'));
  });

  test('an open relay whose banner names the remote domain is still open: its remote recipients are never local', async () => {
    const report = await runAgainst({ greeting: '220 example.net ESMTP ready\r\n', ehloName: 'example.net', rcpt: () => '250 2.1.5 Ok' }, ['control', 'kb1'], {
      localDomains: ['example.com'],
    });
    assert.equal(resultFor(report, 'kb1').outcome, 'failed');
    assert.equal(report.verdict, 'open');
  });

  test('a configured list is never extended by what the server says', () => {
    const resolved = resolveRelayParameters(parameters, { greeting: wireReply('220 mail.corp.test ESMTP'), ehloReply: wireReply('250 mail.corp.test') });
    assert.deepEqual(resolved.localDomains, ['example.com']);
  });

  test('inferred domains (no --local-domain) are printed in the report and the JSON', async () => {
    const report = await runAgainst({ greeting: '220 mx.example.com ESMTP ready\r\n', rcpt: closedRcpt }, ['control', 'kb1'], { localDomains: [] });
    assert.deepEqual(report.localDomains, {
      source: 'inferred',
      domains: ['mx.example.com', 'example.com'],
      serverNames: ['mx.example.com'],
      remoteDomain: 'example.net',
    });
    assert.match(renderRelayReport(report), /\nLocal: {3}mx\.example\.com, example\.com \(inferred from the banner and EHLO name mx\.example\.com; --local-domain sets them\)\n/);
    assert.deepEqual(relayReportToJson(report).localDomains, report.localDomains);
  });

  test('the remote test domain configured as local is refused before connecting', async () => {
    assert.match(remoteDomainConflict({ localDomains: ['example.net'], remoteDomain: 'example.net' }) ?? '', /remote test domain example\.net is also given as a local domain/);
    let connected = false;
    const server = await startScriptedServer(() => {
      connected = true;
    });
    servers.push(server);
    const report = await runRelaySuite({
      session: { host: server.host, port: server.port, tls: 'none' },
      parameters: { ...parameters, localDomains: ['example.net'] },
      testIds: ['control', 'kb1'],
    });
    assert.equal(connected, false);
    assert.equal(report.verdict, 'inconclusive');
    assert.ok(report.tests.every((result) => result.outcome === 'error' && /^Not run: the remote test domain/.test(result.reason)));
  });

  test('a configured domain the server does not name: a warning names both and the flag', async () => {
    const report = await runAgainst({ greeting: '220 mail.corp.test ESMTP ready\r\n', ehloName: 'mail.corp.test', rcpt: closedRcpt }, ['control', 'kb1'], {
      localDomains: ['wrong.example'],
    });
    const warning = report.warnings.find((text) => text.startsWith('The local domain given is wrong.example'));
    assert.ok(warning, report.warnings.join('\n'));
    assert.match(warning, /names itself mail\.corp\.test, which suggests corp\.test/);
    assert.match(warning, /--local-domain \(in VS Code: the target's localDomains\) corp\.test/);
  });

  test('a refused control: the warning names the local domain used and the one the server suggests', async () => {
    const report = await runAgainst({ greeting: '220 mx.example.com ESMTP ready\r\n', rcpt: () => '550 5.1.1 User unknown' }, ['control', 'kb1'], { localDomains: [] });
    const warning = report.warnings.find((text) => text.startsWith('The control was refused with the local domain'));
    assert.ok(warning, report.warnings.join('\n'));
    assert.match(warning, /mx\.example\.com, example\.com \(inferred\)/);
    assert.match(warning, /--local-domain/);
  });
});

describe('rule: the catcher re-judges with the same evidence', () => {
  test('a report whose server claimed the remote domain stays unclosable when its tests are judged again', async () => {
    const { decideRelayVerdict, runEvidenceOf } = await import('../../src/core/relay/relayVerdict');
    const report = await runAgainst({ greeting: '220 mx.example.net ESMTP ready\r\n', ehloName: 'mx.example.net', rcpt: closedRcpt }, kb);
    assert.equal(report.verdict, 'inconclusive');
    assert.equal(decideRelayVerdict(report.tests), 'closed', 'without the evidence the same tests would read closed');
    assert.equal(decideRelayVerdict(report.tests, runEvidenceOf(report)), 'inconclusive');
  });
});

describe('rule: show what the server sent (enhanced codes are never invented)', () => {
  test("Exim's 501 and 250 without enhanced codes stay without them in the results and the JSON; the guess is marked inferred", async () => {
    const report = await runAgainst(
      {
        mail: (address) => (address.includes('@') ? '250 OK' : `501 <${address}>: sender address must contain a domain`),
        rcpt: (address) => (address === 'admin@example.com' ? '250 Accepted' : '550 relay not permitted'),
      },
      ['control', 'kb1', 'kb2'],
    );
    const json = relayReportToJson(report);
    for (const reply of json.tests.flatMap((result) => result.replies)) {
      assert.equal(reply.enhanced, null, `${reply.command} -> ${reply.code}`);
    }
    const accepted = json.tests[0].replies.at(-1)!;
    assert.equal(accepted.inferredEnhanced, '2.1.5');
    assert.doesNotMatch(renderRelayReport(report), /250 2\.1\.5|501 5\.1\.7/);
  });
});

describe('rule: findings where they belong', () => {
  test('a sender refused as syntax is named: its recipient form never reached RCPT', async () => {
    const report = await runAgainst({ mail: (address) => (address.includes('@') ? '250 OK' : '553 5.1.0 Sender address syntax error'), rcpt: closedRcpt }, [
      'control',
      'kb2',
    ]);
    const kb2 = resultFor(report, 'kb2');
    assert.ok(kb2.replies.some((reply) => reply.command.startsWith('MAIL FROM') && reply.signals?.includes('syntax')));
  });

  test('harvest only for a local recipient refused as unknown; the same words for a remote one are a relay refusal', async () => {
    const report = await runAgainst(
      { rcpt: (address) => (address === 'admin@example.com' ? '250 2.1.5 Ok' : `550 Invalid recipient: <${address}>`) },
      ['control', 'kb1', 'x-unknown-local-user'],
    );
    assert.deepEqual(resultFor(report, 'kb1').replies.at(-1)?.signals, ['relay-denied']);
    assert.deepEqual(resultFor(report, 'x-unknown-local-user').replies.at(-1)?.signals, ['harvest']);
    assert.equal(report.warnings.filter((warning) => warning.includes('harvest')).length, 1);
  });

  test('an accepted control is ordinary inbound mail: no NDR promised', async () => {
    const report = await runAgainst({ rcpt: closedRcpt }, ['control', 'kb1']);
    assert.deepEqual(resultFor(report, 'control').replies.at(-1)?.signals, ['local-recipient']);
    assert.doesNotMatch(resultFor(report, 'control').reason, /NDR/);
  });
});

describe('rule: fixes in the terms of the server that answered', () => {
  const cases: [string, string, RegExp][] = [
    ['220 mx.example.com ESMTP Postfix (Debian/GNU)', 'postfix', /mynetworks.*smtpd_relay_restrictions|smtpd_relay_restrictions.*mynetworks/],
    ['220 mx.example.com ESMTP Exim 4.96 Mon, 01 Dec 2026 10:00:00 +0000', 'exim', /hostlist relay_from_hosts/],
    ['220 mx.example.com ESMTP OpenSMTPD', 'opensmtpd', /match from any for any action relay/],
    ['220 mx.example.com Microsoft ESMTP MAIL Service ready', 'exchange', /Receive connector/],
    ['220 mx.example.com ESMTP Sendmail 8.17.1/8.17.1; Mon, 1 Dec 2026', 'sendmail', /FEATURE\(`promiscuous_relay'\).*access/],
  ];
  for (const [banner, name, fix] of cases) {
    test(`${name} is recognised from its banner, and an open result names its fix`, async () => {
      assert.equal(recogniseMta(wireReply(banner))?.name, name);
      const report = await runAgainst({ greeting: `${banner}\r\n`, rcpt: () => '250 2.1.5 Ok' }, ['control', 'kb1']);
      assert.equal(report.verdict, 'open');
      assert.equal(report.mta?.name, name);
      assert.ok(report.warnings.includes(trustedNetworkWarning));
      const advice = report.warnings.find((warning) => warning.startsWith('To close it:'));
      assert.match(advice ?? '', fix);
    });
  }

  test('an unknown server gets generic advice, and Exchange-only remedies only for Exchange', () => {
    assert.equal(recogniseMta(wireReply('220 mx.example.com ESMTP ready')), undefined);
    assert.match(openRelayAdvice(undefined), /not recognised/);
    assert.match(harvestAdvice(recogniseMta(wireReply('220 x Microsoft ESMTP MAIL Service ready'))), /TarpitTime, KB 842851/);
    for (const banner of ['220 x ESMTP Postfix', '220 x ESMTP Exim 4.96', '220 x ESMTP OpenSMTPD', '220 x ESMTP Sendmail 8.17.1']) {
      assert.doesNotMatch(harvestAdvice(recogniseMta(wireReply(banner))), /TarpitTime|842851/, banner);
    }
    assert.doesNotMatch(harvestAdvice(undefined), /TarpitTime|842851/);
  });
});
