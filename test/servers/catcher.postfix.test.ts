// Issue 10 §1 against a REAL Postfix that relays only to our catcher (test/support/postfixCatcherConfig.ts):
// the relay is proven by the copy that arrives, and a closed server by the NDR it sends back. Everything
// stays on loopback: Postfix's only SMTP client goes to smtp:[127.0.0.1]:<catcher port>, without DNS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findFreeLoopbackPort, startPostfix, type PostfixInstance } from '../support/postfix';
import { catcherRelayPostfixOptions } from '../support/postfixCatcherConfig';
import { runCli } from '../support/cliProcess';

interface TestJson {
  id: string;
  outcome: string;
  reason: string;
  mailFrom: string;
  replies: { command: string; code: number }[];
  confirmation?: { method: string; token: string; result: string; evidence: string };
}

async function relayWithCatcher(postfix: PostfixInstance, catcherPort: number, extra: string[] = [], testId = 'kb6') {
  const run = await runCli([
    'relay', '--host', postfix.host, '--port', String(postfix.port), '--local-domain', postfix.localDomain,
    '--tests', `control,${testId}`, '--confirm-by-delivery', '--catcher', `127.0.0.1:${catcherPort}`, '--confirm-timeout', '30', '--json', ...extra,
  ]);
  const json = JSON.parse(run.stdout) as { verdict: string; tests: TestJson[]; transcript: string };
  return { run, json, kb6: json.tests.find((entry) => entry.id === testId)! };
}

describe('catcher: a Postfix that relays for loopback, to the catcher only', () => {
  let postfix: PostfixInstance;
  let catcherPort: number;
  before(async () => {
    catcherPort = await findFreeLoopbackPort();
    postfix = await startPostfix(catcherRelayPostfixOptions('open-to-catcher', catcherPort));
  });
  after(() => postfix?.stop());

  test('kb6 (percent hack) is confirmed relayed: the copy with its token arrives, the test fails, verdict open, exit 1', async () => {
    const { run, json, kb6 } = await relayWithCatcher(postfix, catcherPort);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(json.verdict, 'open');
    assert.equal(kb6.outcome, 'failed', kb6.reason);
    assert.equal(kb6.confirmation?.method, 'catcher');
    assert.equal(kb6.confirmation?.result, 'relayed');
    assert.match(kb6.confirmation!.token, /^srl-kb6-[0-9a-f]{12}$/);
    assert.match(kb6.confirmation!.evidence, /Received: from \S+ \(unknown \[127\.0\.0\.1\]\) by mail\.corp\.example \(Postfix\)/);
    assert.match(kb6.confirmation!.evidence, new RegExp(`Message-ID: <${kb6.confirmation!.token}@`, 'i'));
    assert.match(kb6.reason, /^Relayed, proven by delivery/);
    assert.equal(kb6.mailFrom, '<relay-lab-ndr@example.net>');
    assert.match(json.transcript, /catcher 127\.0\.0\.1:\d+: kb6 relayed/);
  });

  test('the human report says what arrived and when', async () => {
    const run = await runCli([
      'relay', '--host', postfix.host, '--port', String(postfix.port), '--local-domain', postfix.localDomain,
      '--tests', 'kb6', '--confirm-by-delivery', '--catcher', `127.0.0.1:${catcherPort}`, '--confirm-timeout', '30',
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /^ {4}arrived: relayed \(catcher, token srl-kb6-[0-9a-f]{12}\): a relayed copy arrived at \d\d:\d\d:\d\d UTC/m);
  });
});

describe('catcher: a closed Postfix that accepts an unknown local recipient and bounces it after DATA', () => {
  let postfix: PostfixInstance;
  let catcherPort: number;
  before(async () => {
    catcherPort = await findFreeLoopbackPort();
    postfix = await startPostfix(catcherRelayPostfixOptions('closed-to-catcher', catcherPort));
  });
  after(() => postfix?.stop());

  test('an unknown local recipient accepted at RCPT is confirmed bounced: the NDR for the test\'s sender quoting the token arrives, the test passes, exit 0', async () => {
    const { run, json, kb6: unknownLocal } = await relayWithCatcher(postfix, catcherPort, ['--mail-from', 'tester@example.org'], 'x-unknown-local-user');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(json.verdict, 'closed');
    assert.equal(unknownLocal.mailFrom, '<tester@example.org>');
    assert.ok(unknownLocal.replies.some((record) => record.command === 'DATA' && record.code === 354));
    assert.equal(unknownLocal.outcome, 'passed', unknownLocal.reason);
    assert.equal(unknownLocal.confirmation?.result, 'bounced');
    assert.match(unknownLocal.confirmation!.evidence, /Status: 5\.1\.1/);
    assert.match(unknownLocal.reason, /^Not relayed, proven by delivery: an NDR for the test's sender/);
  });

  test('starts with a main.cf that no daemon warns about (startup warnings fill the postlog socket and could deadlock postlogd)', async () => {
    // The greeting probe's session is logged last of the start: by then every daemon started so far has
    // logged what it had to say about main.cf.
    await postfix.waitForMaillogLine(/smtpd\[\d+\]: disconnect from /);
    const lines = (await postfix.maillog()).split('\n');
    // Only the start counts: later the tests' own mail may draw runtime warnings (cleanup's "file system clock
    // is 1 seconds ahead of local clock" was seen in CI), which say nothing about main.cf.
    const startEnd = lines.findIndex((line) => /smtpd\[\d+\]: disconnect from /.test(line));
    assert.ok(startEnd >= 0, 'the greeting probe was logged');
    const start = lines.slice(0, startEnd + 1);
    assert.ok(start.some((line) => /master\[\d+\]: daemon started/.test(line)), start.join('\n'));
    assert.deepEqual(start.filter((line) => / warning: /.test(line)), []);
  });

  test('kb6 is refused at RCPT by the closed server: no DATA, no confirmation needed', async () => {
    const { kb6 } = await relayWithCatcher(postfix, catcherPort);
    assert.equal(kb6.outcome, 'passed', kb6.reason);
    assert.ok(!kb6.replies.some((record) => record.command === 'DATA'));
    assert.equal(kb6.confirmation, undefined);
  });

  test('nothing arrives when the catcher is somewhere else: result none, the test stays needs-confirmation', async () => {
    const elsewhere = await findFreeLoopbackPort();
    const run = await runCli([
      'relay', '--host', postfix.host, '--port', String(postfix.port), '--local-domain', postfix.localDomain,
      '--tests', 'x-unknown-local-user', '--confirm-by-delivery', '--catcher', `127.0.0.1:${elsewhere}`, '--confirm-timeout', '3', '--json',
    ]);
    const kb6 = (JSON.parse(run.stdout) as { tests: TestJson[] }).tests[0];
    assert.equal(kb6.id, 'x-unknown-local-user');
    assert.equal(kb6.outcome, 'needs-confirmation', kb6.reason);
    assert.equal(kb6.confirmation?.result, 'none');
    assert.match(kb6.confirmation!.evidence, /no copy and no NDR carrying srl-xunknownlocaluser-[0-9a-f]{12} arrived at the catcher 127\.0\.0\.1:\d+ within 3 s/);
  });
});
