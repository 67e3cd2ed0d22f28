/**
 * Issue 9, §7: "The verdict page says 0.0 s for tests run over 30 s." Every face that feeds the verdict page,
 * with a clock the test moves itself (node:test's mock timers, Date only: sockets and timeouts stay real),
 * so a test "takes" 35 s without the suite waiting for it and every figure is exact:
 * - the suite runner behind the Test Explorer and Run Relay Suite (relayRunOptionsFor, as they call it);
 * - the session terminal's /test, and the walkthrough's buttons, which run one /test each, minutes apart.
 * The suite and terminal figures were right for a 35 s test. What read "0.0 s" was the terminal's figure for
 * a walkthrough clicked over minutes: the tests' own few milliseconds on the wire, which the page then showed
 * rounded to a tenth of a second and without the time the user saw pass.
 */
import { after, afterEach, beforeEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpSession } from '../../src/core/protocol/session';
import { runRelaySuite } from '../../src/core/relay/relayRunner';
import type { RelayReport } from '../../src/core/relay/relayTypes';
import type { TranscriptEvent } from '../../src/core/transcript/transcriptEvent';
import { newTarget, type Target } from '../../src/extension/target';
import { CatalogueRelayTests } from '../../src/extension/terminal/catalogueRelayTests';
import { SessionTestRunner } from '../../src/extension/terminal/sessionTestRunner';
import { relayRunOptionsFor } from '../../src/extension/verdict/relayRunSetup';
import type { RelayRunSource } from '../../src/extension/verdict/relayVerdictRecord';
import { durationFigure, renderRelayReport } from '../../src/core/relay/relayReport';
import { renderVerdictMarkdown } from '../../src/extension/verdict/verdictMarkdown';
import { startScriptedServer, type ScriptedPeer, type ScriptedServer } from '../support/scriptedServer';

const start = Date.UTC(2026, 11, 2, 4, 0, 0);
const slowMs = 35_000;

/** kb1's recipient: the server "takes" slowMs to refuse it, by moving the test's clock before it answers. */
let slowRecipient: RegExp | undefined;

async function closedPostfix(peer: ScriptedPeer): Promise<void> {
  await peer.send('220 mail.corp.example ESMTP Postfix\r\n');
  await peer.converse([
    [/^EHLO /i, '250-mail.corp.example\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n'],
    [/^MAIL FROM:/i, '250 2.1.0 Ok\r\n'],
    [/^RCPT TO:<[^>]*@corp\.example>/i, '250 2.1.5 Ok\r\n'],
    [
      /^RCPT TO:/i,
      async (line, p) => {
        if (slowRecipient?.test(line)) {
          mock.timers.setTime(Date.now() + slowMs);
        }
        await p.send(`554 5.7.1 ${line.slice(8)}: Relay access denied\r\n`);
      },
    ],
    [/^RSET/i, '250 2.0.0 Ok\r\n'],
  ]);
}

const servers: ScriptedServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function closedTarget(): Promise<Target> {
  const server = await startScriptedServer(closedPostfix);
  servers.push(server);
  return { ...newTarget(server.host, server.port, 'none'), localDomains: ['corp.example'] };
}

function targetLine(report: RelayReport, target: Target, source: RelayRunSource): string {
  const markdown = renderVerdictMarkdown({ report, target, source, transcript: { header: { tool: 'test', startedAt: report.startedAt }, events: [] } });
  return markdown.split('\n').find((line) => line.startsWith('**Target:**')) ?? '';
}

/** The terminal's /test as the console runs it: one session, the catalogue runner, the report it publishes. */
async function terminal(target: Target) {
  const session = new SmtpSession({ host: target.host, port: target.port, tls: 'none' });
  const events: TranscriptEvent[] = [];
  session.onEvent((event) => events.push(event));
  await session.connect();
  await session.ehlo(target.heloName);
  const reports: RelayReport[] = [];
  const abort = new AbortController();
  const runner = new SessionTestRunner(new CatalogueRelayTests({ confirmByDelivery: () => false }), target, 'bracketed', {
    write: () => undefined,
    readySession: () => session,
    signal: () => abort.signal,
    parameters: () => ({
      localDomains: target.localDomains,
      localUser: target.localUser,
      remoteDomain: target.remoteDomain,
      remoteUser: 'relay-test',
      serverAddress: target.host,
      heloName: target.heloName,
      addressForm: 'bracketed',
    }),
    events: () => events,
    reportFailure: (_session, error) => assert.fail(String(error)),
    relayReportChanged: (report) => reports.push(report),
  });
  return { runner, reports, close: () => session.close() };
}

describe('verdict page durations (issue 9, §7)', () => {
  beforeEach(() => {
    mock.timers.enable({ apis: ['Date'], now: start });
    slowRecipient = undefined;
  });
  afterEach(() => {
    mock.timers.reset();
  });

  test('the figure reads as people read durations: ms under a second, seconds under a minute, then minutes', () => {
    assert.equal(durationFigure(0), '0 ms');
    assert.equal(durationFigure(420), '420 ms');
    assert.equal(durationFigure(35_000), '35.0 s');
    assert.equal(durationFigure(35_240), '35.2 s');
    assert.equal(durationFigure(183_400), '3 min 3 s');
  });

  for (const source of ['Test Explorer', 'Run Relay Suite'] as const) {
    test(`${source}: a test that takes 35 s makes a 35.0 s run, on its result and on the page`, async () => {
      const target = await closedTarget();
      slowRecipient = /^RCPT TO:<relay-test@example\.net>/i; // kb1's remote recipient
      const report = await runRelaySuite(
        relayRunOptionsFor({ target, timeouts: {}, addressForm: 'bracketed', remoteUser: 'relay-test', confirmByDelivery: false }, ['control', 'kb1']),
      );
      assert.deepEqual(
        report.tests.map((result) => [result.id, result.outcome, result.durationMs]),
        [
          ['control', 'passed', 0],
          ['kb1', 'passed', slowMs],
        ],
      );
      assert.equal(report.startedAt, start);
      assert.equal(report.durationMs, slowMs);
      assert.match(targetLine(report, target, source), new RegExp(` · 2 tests from the ${source} · started 2026-12-02 04:00:00 UTC · 35\\.0 s$`));
      // Run Relay Suite also shows the text report, as the CLI prints it.
      assert.match(renderRelayReport(report), /^Target: +127\.0\.0\.1:\d+, 2 tests in 35\.0 s$/m);
    });
  }

  test('session terminal: /test control,kb1 with a 35 s kb1 reads 35.0 s of test time', async () => {
    const target = await closedTarget();
    const { runner, reports, close } = await terminal(target);
    try {
      slowRecipient = /^RCPT TO:<relay-test@example\.net>/i;
      await runner.run(['control', 'kb1']);
      const report = reports.at(-1)!;
      assert.equal(report.durationMs, slowMs);
      assert.equal(report.elapsedMs, slowMs);
      assert.match(targetLine(report, target, 'session terminal'), / · 35\.0 s of test time \(pauses between the terminal's tests not counted\)$/);
    } finally {
      close();
    }
  });

  test('the walkthrough: control and kb1..kb3 clicked a minute apart say how long it all took, not only the tests\' milliseconds', async () => {
    const target = await closedTarget();
    const { runner, reports, close } = await terminal(target);
    try {
      for (const [index, id] of ['control', 'kb1', 'kb2', 'kb3'].entries()) {
        if (index > 0) {
          mock.timers.setTime(Date.now() + 60_000); // the user reads the step, then clicks the next button
        }
        await runner.run([id]);
      }
      const report = reports.at(-1)!;
      assert.equal(report.tests.length, 4);
      assert.equal(report.startedAt, start);
      assert.equal(report.durationMs, 0, 'the tests themselves took no time on this clock');
      assert.equal(report.elapsedMs, 180_000);
      const line = targetLine(report, target, 'session terminal');
      assert.match(line, / · 0 ms of test time, over 3 min 0 s from the first test to the end of the last \(the pauses between the terminal's tests are not test time\)$/);
      assert.doesNotMatch(line, /0\.0 s/);
    } finally {
      close();
    }
  });
});
