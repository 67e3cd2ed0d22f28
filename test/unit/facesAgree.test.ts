/**
 * Issue 7, "The faces disagree with each other" and "The editor follows": a live run (the runner behind the
 * CLI, the Test Explorer, Run Relay Suite and the terminal's /test) and the annotation of the transcript it
 * saved give the same outcome, for the same reason, per test. Both read a test's replies through
 * testOutcome.decideTestOutcome; annotation finds the tests by the `=== test <id>: …` lines the runner writes.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { annotateTranscriptText, type TranscriptAnnotation } from '../../src/core/transcript/annotateTranscript';
import { findRelayTest, selectRelayTests } from '../../src/core/relay/relayCatalogue';
import { CatalogueRelayTests } from '../../src/extension/terminal/catalogueRelayTests';
import { controlStateOf, runRelaySuite, runRelayTestInSession } from '../../src/core/relay/relayRunner';
import type { ControlState } from '../../src/core/relay/relayOutcome';
import type { RelayReport, RelayRunOptions, RelayTestParameters, RelayTestResult } from '../../src/core/relay/relayTypes';
import { SmtpSession } from '../../src/core/protocol/session';
import type { TranscriptEvent } from '../../src/core/transcript/transcriptEvent';
import { writeTranscript } from '../../src/core/transcript/transcriptFormat';
import { localDomainsHeaderEntry } from '../../src/core/transcript/transcriptLocalDomains';
import type { PersonaName } from '../../src/lab/persona';
import { labDeliveryEvidence } from '../../src/lab/deliveryEvidence';
import { startPracticeServer, type PracticeServer } from '../../src/lab/practiceServer';
import { startScriptedServer, type ConnectionScript, type ScriptedServer } from '../support/scriptedServer';

const allIds = selectRelayTests('all').map((definition) => definition.id);

const closeAfter: Array<{ close(): Promise<void> }> = [];
after(async () => {
  await Promise.all(closeAfter.map((server) => server.close()));
});

function parametersFor(localDomains: string[]): RelayTestParameters {
  return {
    localDomains,
    localUser: 'admin',
    remoteDomain: 'example.net',
    remoteUser: 'relay-test',
    serverAddress: '',
    heloName: 'client.example.org',
    addressForm: 'bracketed',
  };
}

async function practice(persona: PersonaName): Promise<PracticeServer> {
  const server = await startPracticeServer({ persona });
  closeAfter.push(server);
  return server;
}

async function scripted(script: ConnectionScript): Promise<ScriptedServer> {
  const server = await startScriptedServer(script);
  closeAfter.push(server);
  return server;
}

/** The transcript as a face saves it: our format, with the configured local domains in the header. */
function savedTranscript(target: string, events: readonly TranscriptEvent[], configured: readonly string[]): string {
  return writeTranscript({
    header: { tool: 'facesAgree test', target, startedAt: Date.now(), extra: localDomainsHeaderEntry(configured) },
    events: [...events],
  });
}

/** Every test of the run, as the live face showed it and as the annotation of the saved file reads it. */
function compare(results: readonly RelayTestResult[], annotation: TranscriptAnnotation): void {
  assert.deepEqual(
    annotation.tests.map((found) => found.id),
    results.map((result) => result.id),
    'the saved transcript marks every test, in order',
  );
  for (const result of results) {
    const annotated = annotation.tests.find((found) => found.id === result.id)!;
    assert.deepEqual(
      { id: annotated.id, outcome: annotated.outcome, reason: annotated.reason },
      { id: result.id, outcome: result.outcome, reason: result.reason },
      `${result.id}: live and annotated agree`,
    );
  }
}

async function suiteAndAnnotation(
  server: { host: string; port: number },
  configured: string[],
  confirmByDelivery = false,
  more: Partial<RelayRunOptions> = {},
): Promise<{ report: RelayReport; annotation: TranscriptAnnotation; text: string }> {
  const report = await runRelaySuite({
    session: { host: server.host, port: server.port, tls: 'none', timeouts: { replyMs: 10_000 } },
    parameters: parametersFor(configured),
    testIds: allIds,
    confirmByDelivery,
    ...more,
  });
  const text = savedTranscript(`${server.host}:${server.port}`, report.transcript, configured);
  return { report, annotation: annotateTranscriptText(text), text };
}

describe('a live run and the annotation of its saved transcript agree per test (practice server)', () => {
  for (const persona of ['exchange', 'postfix', 'open', 'harvest'] as const) {
    for (const configured of [[], ['corp.example']]) {
      const how = configured.length === 0 ? 'local domain inferred' : 'local domain configured';
      test(`${persona}, every test, ${how}`, async () => {
        const server = await practice(persona);
        const { report, annotation } = await suiteAndAnnotation(server, configured);
        compare(report.tests, annotation);
      });
    }
  }

  for (const persona of ['exchange', 'open'] as const) {
    test(`${persona}, with confirmation by delivery (DATA)`, async () => {
      const server = await practice(persona);
      const { report, annotation, text } = await suiteAndAnnotation(server, [], true);
      assert.match(text, / -> DATA$/m, 'delivery was really attempted');
      compare(report.tests, annotation);
    });
  }
});

describe("the practice server's outbox as proof (relay --lab, and every editor face against the practice server)", () => {
  for (const persona of ['exchange', 'open'] as const) {
    test(`${persona}: what the outbox proved is recorded in the transcript, so its annotation decides each test as the live run did`, async () => {
      const server = await practice(persona);
      const { report, annotation, text } = await suiteAndAnnotation(server, [], false, {
        confirmUnprovenByDelivery: true,
        deliveryEvidence: labDeliveryEvidence(server),
      });
      const proven = report.tests.filter((result) => result.proof === 'lab-outbox-ndr' || result.proof === 'lab-outbox-relay');
      assert.ok(proven.length > 0, 'some acceptances were settled by the outbox');
      for (const result of proven) {
        assert.match(text, new RegExp(`=== delivery ${result.id}: (bounced|relayed) \\(lab-outbox\\): `), `${result.id}: the proof is in the saved file`);
      }
      compare(report.tests, annotation);
      if (persona === 'exchange') {
        assert.equal(report.verdict, 'closed');
        assert.equal(resultOutcome(report, 'x-percent-ip-literal'), 'passed', 'R%RD@[IP] bounced: proven local');
      }
    });
  }

  test('without the recorded proof the same replies stay unproven: the annotation never takes a bare 250 on trust', async () => {
    const server = await practice('exchange');
    const { report, text } = await suiteAndAnnotation(server, [], false, {
      confirmUnprovenByDelivery: true,
      deliveryEvidence: labDeliveryEvidence(server),
    });
    const stripped = text
      .split('\n')
      .filter((line) => !/ === delivery /.test(line))
      .join('\n');
    const annotated = annotateTranscriptText(stripped).tests.find((found) => found.id === 'x-percent-ip-literal');
    assert.equal(resultOutcome(report, 'x-percent-ip-literal'), 'passed');
    assert.notEqual(annotated?.outcome, 'passed');
  });
});

function resultOutcome(report: RelayReport, id: string): string | undefined {
  return report.tests.find((result) => result.id === id)?.outcome;
}

/** An open relay as Postfix with the client in mynetworks: every recipient gets a bare 250 Ok, no echo. */
const bareOkRelay: ConnectionScript = async (peer) => {
  await peer.send('220 mx.corp.example ESMTP Postfix\r\n');
  await peer.converse([
    [/^EHLO /i, '250-mx.corp.example\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n'],
    [/^RSET$/i, '250 2.0.0 Ok\r\n'],
    [/^MAIL FROM:/i, '250 2.1.0 Ok\r\n'],
    [/^RCPT TO:/i, '250 2.1.5 Ok\r\n'],
  ]);
};

describe('an open relay that answers every recipient with a bare 250 Ok', () => {
  test('the runner and the annotation give the same outcome to every test, IP-literal forms included', async () => {
    const server = await scripted(bareOkRelay);
    const { report, annotation } = await suiteAndAnnotation(server, []);
    compare(report.tests, annotation);
  });

  test('no reply is said to relay "to [127.0.0.1]": the server\'s own address literal is the server', async () => {
    const server = await scripted(bareOkRelay);
    const { annotation } = await suiteAndAnnotation(server, []);
    const naming = annotation.replies.filter((reply) => /relays to \[127\.0\.0\.1\]/.test(reply.reason));
    assert.deepEqual(naming, []);
    for (const id of ['x-percent-ip-literal', 'x-double-at-ip-literal', 'x-quoted-ip-literal', 'x-bang-path-ip-literal']) {
      const found = annotation.tests.find((annotated) => annotated.id === id);
      assert.ok(found, `${id} is in the transcript`);
      assert.notEqual(found.outcome, 'passed', `${id} accepted with a bare 250 is not passed`);
    }
  });
});

describe('a server that answers one RCPT twice (550, then an unsolicited 250)', () => {
  const doubleAnswer: ConnectionScript = async (peer) => {
    await peer.send('220 mx.corp.example ESMTP\r\n');
    await peer.converse([
      [/^EHLO /i, '250-mx.corp.example\r\n250 ENHANCEDSTATUSCODES\r\n'],
      [/^RSET$/i, '250 2.0.0 Ok\r\n'],
      [/^MAIL FROM:/i, '250 2.1.0 Ok\r\n'],
      [
        /^RCPT TO:/i,
        (line, p) =>
          p.send(/example\.net/.test(line) ? '550 5.7.1 Relaying denied\r\n250 2.1.5 Ok\r\n' : '250 2.1.5 Ok\r\n'),
      ],
    ]);
  };

  test('the second reply is kept in the transcript, flagged, and both faces call the test inconclusive', async () => {
    const server = await scripted(doubleAnswer);
    const report = await runRelaySuite({
      session: { host: server.host, port: server.port, tls: 'none', timeouts: { replyMs: 10_000 } },
      parameters: parametersFor(['corp.example']),
      testIds: ['control', 'kb1'],
    });
    const kb1 = report.tests.find((result) => result.id === 'kb1')!;
    assert.equal(kb1.outcome, 'inconclusive');
    assert.match(kb1.reason, /a reply no command asked for \(250 2\.1\.5 Ok\)/);
    const text = savedTranscript(`${server.host}:${server.port}`, report.transcript, ['corp.example']);
    const annotation = annotateTranscriptText(text);
    compare(report.tests, annotation);
    const unsolicited = annotation.replies.filter((reply) => reply.unsolicited === true);
    assert.equal(unsolicited.length, 1);
    assert.equal(unsolicited[0].code, 250);
    assert.equal(unsolicited[0].command, undefined);
    assert.equal(unsolicited[0].test, 'kb1');
  });
});

describe("the terminal's /test (tests one by one in an open session) and the annotation of its transcript", () => {
  for (const persona of ['exchange', 'open'] as const) {
    test(`${persona}: the control, then every test in one session`, async () => {
      const server = await practice(persona);
      const session = new SmtpSession({ host: server.host, port: server.port, tls: 'none', timeouts: { replyMs: 10_000 } });
      const events: TranscriptEvent[] = [];
      session.onEvent((event) => events.push(event));
      await session.connect();
      await session.ehlo('client.example.org');
      let control: ControlState = 'not-run';
      const results: RelayTestResult[] = [];
      for (const definition of selectRelayTests('all')) {
        const result = await runRelayTestInSession(session, definition, parametersFor([]), { control });
        if (definition.group === 'control') {
          control = controlStateOf(result);
        }
        results.push(result);
      }
      await session.quit();
      compare(results, annotateTranscriptText(savedTranscript(`${server.host}:${server.port}`, events, [])));
    });
  }
});

describe('a server that greylists every first RCPT', () => {
  /** 450 "greylisted" to the first RCPT of each recipient, then its real answer (relay refused, local accepted). */
  function greylister(): ConnectionScript {
    const seen = new Set<string>();
    return async (peer) => {
      await peer.send('220 mx.corp.example ESMTP\r\n');
      await peer.converse([
        [/^EHLO /i, '250-mx.corp.example\r\n250 ENHANCEDSTATUSCODES\r\n'],
        [/^RSET$/i, '250 2.0.0 Ok\r\n'],
        [/^MAIL FROM:/i, '250 2.1.0 Ok\r\n'],
        [
          /^RCPT TO:/i,
          (line, p) => {
            if (!seen.has(line)) {
              seen.add(line);
              return p.send('450 4.2.0 Greylisted, please try again later\r\n');
            }
            return p.send(/@corp\.example>$/.test(line) ? '250 2.1.5 Ok\r\n' : '554 5.7.1 Relay access denied\r\n');
          },
        ],
      ]);
    };
  }

  test('without retries, each test is inconclusive live and in the annotation', async () => {
    const server = await scripted(greylister());
    const { report, annotation } = await suiteAndAnnotation(server, ['corp.example'], false, { testIds: ['control', 'kb1'], greylistRetry: false });
    assert.deepEqual(
      annotation.tests.map((found) => [found.id, found.outcome]),
      report.tests.map((result) => [result.id, result.outcome]),
    );
    assert.deepEqual(report.tests.map((result) => result.outcome), ['inconclusive', 'inconclusive']);
  });

  test('retried after the delay, the last answer decides, live and in the annotation alike', async () => {
    const server = await scripted(greylister());
    const { report, annotation } = await suiteAndAnnotation(server, ['corp.example'], false, {
      testIds: ['control', 'kb1', 'kb2'],
      greylistRetry: { backoffMs: [1] },
    });
    assert.deepEqual(
      annotation.tests.map((found) => [found.id, found.outcome]),
      report.tests.map((result) => [result.id, result.outcome]),
    );
    assert.deepEqual(report.tests.map((result) => result.outcome), ['passed', 'passed', 'passed']);
  });
});

describe('a server that refuses the KB sender forms (Exim: unqualified and domain-literal senders get 501)', () => {
  // Exim 4 with Debian's config, in its own words: the recipient forms are only reached with another sender.
  const eximLike: ConnectionScript = async (peer) => {
    await peer.send('220 mail.corp.example ESMTP Exim 4.96\r\n');
    await peer.converse([
      [/^EHLO /i, '250-mail.corp.example Hello\r\n250 HELP\r\n'],
      [/^RSET$/i, '250 Reset OK\r\n'],
      [/^MAIL FROM:<[^@>]+>$/i, (line, p) => p.send(`501 ${line.slice('MAIL FROM:'.length)}: sender address must contain a domain\r\n`)],
      [/^MAIL FROM:<[^>]*@\[/i, (line, p) => p.send(`501 ${line.slice('MAIL FROM:'.length)}: domain literals not allowed\r\n`)],
      [/^MAIL FROM:/i, '250 OK\r\n'],
      [/^RCPT TO:<[^>]*@corp\.example>$/i, '250 Accepted\r\n'],
      [/^RCPT TO:<[^@>]*>$/i, (line, p) => p.send(`501 ${line.slice('RCPT TO:'.length)}: recipient address must contain a domain\r\n`)],
      [/^RCPT TO:/i, '550 relay not permitted\r\n'],
    ]);
  };

  test('every relay test ends with its RCPT answered, and the live run and the annotation read the two parts alike', async () => {
    const server = await scripted(eximLike);
    const { report, annotation } = await suiteAndAnnotation(server, ['corp.example']);
    const control = report.tests.find((result) => result.id === 'control')!;
    for (const result of report.tests) {
      assert.match(result.replies.at(-1)?.command ?? '', /^RCPT TO:/, `${result.id} ends with RCPT: ${JSON.stringify(result.replies)}`);
    }
    const kb2 = report.tests.find((result) => result.id === 'kb2')!;
    assert.equal(kb2.senderRetry?.mailFrom, control.mailFrom);
    assert.match(kb2.reason, /^This sender form is refused \(syntax: 501 <[^>]+>: sender address must contain a domain\); with an accepted sender \(<[^>]+>\), the recipient form is refused\. /);
    compare(report.tests, annotation);
  });

  test("the terminal's /test, one test at a time, also retries a refused sender form with the control's sender", async () => {
    const server = await scripted(eximLike);
    const session = new SmtpSession({ host: server.host, port: server.port, tls: 'none', timeouts: { replyMs: 10_000 } });
    await session.connect();
    await session.ehlo('client.example.org');
    const tests = new CatalogueRelayTests({ confirmByDelivery: () => false });
    const parameters = parametersFor(['corp.example']);
    const control = await tests.run(session, findRelayTest('control')!, parameters);
    const kb2 = await tests.run(session, findRelayTest('kb2')!, parameters);
    await session.quit();
    assert.equal(kb2.senderRetry?.mailFrom, control.mailFrom);
    assert.match(kb2.replies.at(-1)?.command ?? '', /^RCPT TO:/, 'kb2 ends with its RCPT answered');
    assert.equal(kb2.outcome, 'passed');
  });
});
