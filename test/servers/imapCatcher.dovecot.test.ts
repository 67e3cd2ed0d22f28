// Issue 10 §1, the IMAP catcher: a REAL Postfix relays (or bounces) into a REAL Dovecot mailbox (Debian's
// dovecot-imapd, private config on a loopback port; mail enters through dovecot-lda as a Postfix pipe),
// and `--catcher imap://user@127.0.0.1:PORT/INBOX` finds the test tokens there over IMAP (imapflow).
// The password travels only in SMTP_RELAY_LAB_IMAP_PASSWORD.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDovecot, type DovecotInstance } from '../support/dovecot';
import { startPostfix, type PostfixInstance } from '../support/postfix';
import { mailboxRelayPostfixOptions } from '../support/postfixCatcherConfig';
import { runCli } from '../support/cliProcess';

interface TestJson {
  id: string;
  outcome: string;
  reason: string;
  confirmation?: { method: string; token: string; result: string; evidence: string };
}

function imapRelay(postfix: PostfixInstance, dovecot: DovecotInstance, testId: string, password = dovecot.password) {
  return runCli(
    [
      'relay', '--host', postfix.host, '--port', String(postfix.port), '--local-domain', postfix.localDomain,
      '--tests', `control,${testId}`, '--confirm-by-delivery', '--mail-from', 'relay-test@example.net',
      '--catcher', `imap://${dovecot.user}@127.0.0.1:${dovecot.imapPort}/INBOX`, '--confirm-timeout', '30', '--json',
    ],
    { ...process.env, SMTP_RELAY_LAB_IMAP_PASSWORD: password },
  );
}

describe('IMAP catcher: Postfix relays into a Dovecot mailbox', () => {
  let dovecot: DovecotInstance;
  let postfix: PostfixInstance;
  before(async () => {
    dovecot = await startDovecot();
    postfix = await startPostfix(mailboxRelayPostfixOptions('open', 'tomailbox', dovecot.postfixPipeService('tomailbox')));
  });
  after(async () => {
    await postfix?.stop();
    await dovecot?.stop();
  });

  test('kb6 is confirmed relayed by the copy found in the mailbox over IMAP: failed, method imap, exit 1', async () => {
    const run = await imapRelay(postfix, dovecot, 'kb6');
    assert.equal(run.code, 1, run.stderr);
    const kb6 = (JSON.parse(run.stdout) as { tests: TestJson[] }).tests.find((entry) => entry.id === 'kb6')!;
    assert.equal(kb6.outcome, 'failed', kb6.reason);
    assert.equal(kb6.confirmation?.method, 'imap');
    assert.equal(kb6.confirmation?.result, 'relayed');
    assert.match(kb6.confirmation!.evidence, new RegExp(`Message-ID: <${kb6.confirmation!.token}@`));
    assert.doesNotMatch(run.stdout + run.stderr, new RegExp(dovecot.password));
  });

  test('a wrong password stops the run before any test, exit 3, naming the mailbox', async () => {
    const run = await imapRelay(postfix, dovecot, 'kb6', 'not-the-password');
    assert.equal(run.code, 3);
    assert.match(run.stderr, /cannot open the IMAP mailbox relay-test@127\.0\.0\.1:\d+\/INBOX/);
  });
});

describe('IMAP catcher: a closed Postfix bounces an unknown local recipient into the sender\'s mailbox', () => {
  let dovecot: DovecotInstance;
  let postfix: PostfixInstance;
  before(async () => {
    dovecot = await startDovecot();
    postfix = await startPostfix(mailboxRelayPostfixOptions('closed', 'tomailbox', dovecot.postfixPipeService('tomailbox')));
  });
  after(async () => {
    await postfix?.stop();
    await dovecot?.stop();
  });

  test('the NDR quoting the token is found over IMAP: bounced, passed, exit 0', async () => {
    const run = await imapRelay(postfix, dovecot, 'x-unknown-local-user');
    assert.equal(run.code, 0, run.stderr + run.stdout.slice(0, 2000));
    const entry = (JSON.parse(run.stdout) as { tests: TestJson[] }).tests.find((candidate) => candidate.id === 'x-unknown-local-user')!;
    assert.equal(entry.outcome, 'passed', entry.reason);
    assert.equal(entry.confirmation?.method, 'imap');
    assert.equal(entry.confirmation?.result, 'bounced');
    assert.match(entry.confirmation!.evidence, /Status: 5\.1\.1/);
  });
});

describe('IMAP catcher: usage', () => {
  test('without SMTP_RELAY_LAB_IMAP_PASSWORD, or with a password in the URL, it is a usage error (exit 64)', async () => {
    const env = { ...process.env };
    delete env.SMTP_RELAY_LAB_IMAP_PASSWORD;
    const missing = await runCli(['relay', '--lab', 'exchange', '--confirm-by-delivery', '--catcher', 'imap://u@127.0.0.1/INBOX'], env);
    assert.equal(missing.code, 64);
    assert.match(missing.stderr, /set SMTP_RELAY_LAB_IMAP_PASSWORD/);
    const inUrl = await runCli(['relay', '--lab', 'exchange', '--confirm-by-delivery', '--catcher', 'imap://u:secret@127.0.0.1/INBOX'], env);
    assert.equal(inUrl.code, 64);
    assert.match(inUrl.stderr, /put the password in SMTP_RELAY_LAB_IMAP_PASSWORD/);
  });
});
