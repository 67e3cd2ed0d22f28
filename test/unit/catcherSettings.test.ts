// Issue 10 §1 in the editor: the catcher settings are read by the CLI's own code (core/reach/catcherSpec.ts),
// the IMAP password comes from the environment before SecretStorage, and the practice server hands what it
// would relay to a built-in catcher on loopback, so the same confirmation proves kb6 relayed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CatcherSpecError,
  catcherSender,
  describeCatcherSpec,
  imapPasswordFor,
  openCatcherSession,
  parseCatcherSpec,
  planCatcher,
} from '../../src/core/reach/catcherSpec';
import { describeArrival } from '../../src/core/relay/relayReport';
import { runRelaySuite } from '../../src/core/relay/relayRunner';
import { catcherSettingNames, windowCatcherPlan } from '../../src/extension/verdict/relayRunSetup';
import { testItemStateFor, testResultOutput } from '../../src/extension/testing/testResultMapping';
import { labDeliveryEvidence } from '../../src/lab/deliveryEvidence';
import { forwardOutbox } from '../../src/lab/outboxForwarding';
import { startPracticeServer, type PracticeServer } from '../../src/lab/practiceServer';

const settings = { catcher: '', mailFrom: '', confirmTimeoutSeconds: 60 };

describe('the catcher spec, for --catcher and smtpRelayLab.relay.catcher alike', () => {
  test('HOST:PORT and [IPv6]:PORT are the built-in catcher; imap:// and imaps:// a mailbox (INBOX by default)', () => {
    assert.deepEqual(parseCatcherSpec('127.0.0.1:2526'), { kind: 'smtp', host: '127.0.0.1', port: 2526 });
    assert.deepEqual(parseCatcherSpec(' [::1]:0 '), { kind: 'smtp', host: '::1', port: 0 });
    assert.deepEqual(parseCatcherSpec('imap://relay-test@127.0.0.1:1143/Relay%20Tests'), {
      kind: 'imap',
      address: { secure: false, user: 'relay-test', host: '127.0.0.1', port: 1143, mailbox: 'Relay Tests' },
    });
    assert.deepEqual(parseCatcherSpec('imaps://me@mail.example.net'), {
      kind: 'imap',
      address: { secure: true, user: 'me', host: 'mail.example.net', port: 993, mailbox: 'INBOX' },
    });
  });

  test('a mistake names the setting it came from, and a password in the address is refused', () => {
    assert.throws(() => parseCatcherSpec('catcher.example.com', catcherSettingNames.catcher), (error: Error) => {
      assert.ok(error instanceof CatcherSpecError);
      assert.match(error.message, /^smtpRelayLab\.relay\.catcher needs HOST:PORT/);
      return true;
    });
    assert.throws(() => parseCatcherSpec('imap://me:secret@mail.example.net/INBOX', catcherSettingNames.catcher), /^CatcherSpecError: smtpRelayLab\.relay\.catcher: put the password in SMTP_RELAY_LAB_IMAP_PASSWORD/);
    assert.throws(() => parseCatcherSpec('pop3://me@mail.example.net'), /^CatcherSpecError: --catcher needs HOST:PORT \(or \[IPv6\]:PORT, or imap:\/\/user@host\/MAILBOX\), not "pop3:/);
  });

  test('the CLI rules: a catcher needs confirmation by delivery, a confirm timeout needs a catcher, a sender must be an address', () => {
    assert.throws(() => planCatcher({ catcher: '127.0.0.1:2526', confirmByDelivery: false }), /--catcher confirms what DATA delivers: add --confirm-by-delivery/);
    assert.throws(() => planCatcher({ confirmTimeoutMs: 5000, confirmByDelivery: true }), /--confirm-timeout goes with --catcher/);
    assert.throws(() => planCatcher({ mailFrom: 'not an address', confirmByDelivery: false }), /--mail-from needs an address like user@example\.com/);
    assert.deepEqual(planCatcher({ catcher: '127.0.0.1:2526', mailFrom: 'me@example.org', confirmByDelivery: true }), {
      spec: { kind: 'smtp', host: '127.0.0.1', port: 2526 },
      mailFrom: 'me@example.org',
      confirmTimeoutMs: 60_000,
    });
  });
});

describe('the editor reads its catcher settings with the same rules', () => {
  test('nothing configured: no catcher, the default timeout in ms', () => {
    assert.deepEqual(windowCatcherPlan(settings, true), { confirmTimeoutMs: 60_000 });
  });

  test('a catcher is used only when the run confirms by delivery; the sender applies to every run, as --mail-from does', () => {
    const configured = { catcher: '127.0.0.1:2526', mailFrom: 'tester@example.org', confirmTimeoutSeconds: 5 };
    assert.deepEqual(windowCatcherPlan(configured, false), { confirmTimeoutMs: 5000, mailFrom: 'tester@example.org' });
    assert.deepEqual(windowCatcherPlan(configured, true), {
      spec: { kind: 'smtp', host: '127.0.0.1', port: 2526 },
      confirmTimeoutMs: 5000,
      mailFrom: 'tester@example.org',
    });
  });

  test('an unusable setting is an error naming it, not a silent fallback', () => {
    assert.throws(() => windowCatcherPlan({ ...settings, catcher: 'localhost' }, true), /^CatcherSpecError: smtpRelayLab\.relay\.catcher needs HOST:PORT/);
    assert.throws(() => windowCatcherPlan({ ...settings, mailFrom: 'two words' }, false), /^CatcherSpecError: smtpRelayLab\.relay\.mailFrom needs an address/);
  });

  test('with a catcher and no sender, the tests send from an address the catcher receives', () => {
    assert.equal(catcherSender(parseCatcherSpec('127.0.0.1:2526'), 'example.net'), 'relay-lab-ndr@example.net');
    assert.equal(catcherSender(parseCatcherSpec('imap://me%40example.org@mail.example.org/INBOX'), 'example.net'), 'me@example.org');
    assert.equal(describeCatcherSpec(parseCatcherSpec('imap://me@[::1]:1143/INBOX')), 'IMAP mailbox me@[::1]:1143/INBOX');
  });
});

describe('the IMAP password: the environment first, then the editor\'s SecretStorage', () => {
  const address = { secure: false, user: 'relay-test', host: '127.0.0.1', port: 1143, mailbox: 'INBOX' };

  test('SMTP_RELAY_LAB_IMAP_PASSWORD wins; the stored password is asked for only without it', async () => {
    const asked: string[] = [];
    const stored = async (mailbox: typeof address) => {
      asked.push(`${mailbox.user}@${mailbox.host}:${mailbox.port}`);
      return 'from-secret-storage';
    };
    assert.equal(await imapPasswordFor(address, stored, { SMTP_RELAY_LAB_IMAP_PASSWORD: 'from-env' }), 'from-env');
    assert.deepEqual(asked, []);
    assert.equal(await imapPasswordFor(address, stored, {}), 'from-secret-storage');
    assert.equal(await imapPasswordFor(address, stored, { SMTP_RELAY_LAB_IMAP_PASSWORD: '' }), 'from-secret-storage');
    assert.deepEqual(asked, ['relay-test@127.0.0.1:1143', 'relay-test@127.0.0.1:1143']);
    assert.equal(await imapPasswordFor(address, async () => undefined, {}), undefined);
    assert.equal(await imapPasswordFor(address, async () => '', {}), undefined);
  });

  test('without a password the catcher does not open, and says where the password goes', async () => {
    await assert.rejects(
      openCatcherSession({ kind: 'imap', address }, { missingPasswordHint: 'run "SMTP: Set IMAP Catcher Password"' }),
      /^CatcherSpecError: the IMAP mailbox relay-test@127\.0\.0\.1:1143\/INBOX needs its password: run "SMTP: Set IMAP Catcher Password"$/,
    );
  });
});

describe('the practice server hands what it would relay to a built-in catcher on loopback', () => {
  async function runWithCatcher(server: PracticeServer, testIds: string[]) {
    const catcher = await openCatcherSession(parseCatcherSpec('127.0.0.1:0'));
    const stop = forwardOutbox(server, catcher.listening!);
    try {
      const report = await runRelaySuite({
        session: { host: server.host, port: server.port, tls: 'none', rejectUnauthorized: false },
        parameters: {
          localDomains: server.localDomains,
          localUser: 'postmaster',
          remoteDomain: 'example.net',
          remoteUser: 'relay-test',
          serverAddress: '',
          heloName: 'client.example.org',
          addressForm: 'bracketed',
        },
        testIds,
        confirmByDelivery: true,
        confirmUnprovenByDelivery: true,
        deliveryEvidence: labDeliveryEvidence(server),
        ...catcher.runOptions('example.net'),
      });
      return await catcher.confirm(report, { timeoutMs: 30_000 });
    } finally {
      stop();
      await catcher.close();
    }
  }

  test('open persona: kb6 is confirmed relayed by the copy at the catcher, the test fails, and its message says what arrived and when', async () => {
    const server = await startPracticeServer({ persona: 'open' });
    try {
      const report = await runWithCatcher(server, ['control', 'kb6']);
      const kb6 = report.tests.find((test) => test.id === 'kb6')!;
      assert.equal(report.verdict, 'open');
      assert.equal(kb6.outcome, 'failed', kb6.reason);
      assert.equal(kb6.confirmation?.method, 'catcher');
      assert.equal(kb6.confirmation?.result, 'relayed');
      assert.equal(kb6.mailFrom, '<relay-lab-ndr@example.net>');
      assert.match(kb6.confirmation!.evidence, /Received: from \S+ \(SMTP Relay Lab practice server\)/);
      assert.match(kb6.confirmation!.evidence, new RegExp(`Message-ID: <${kb6.confirmation!.token}@`));
      assert.match(describeArrival(kb6.confirmation!), /^relayed \(catcher, token srl-kb6-[0-9a-f]{12}\): a relayed copy arrived at \d\d:\d\d:\d\d UTC \(\d+\.\d s after the test\); Received:/);
      const state = testItemStateFor(kb6);
      assert.equal(state.state, 'failed');
      assert.match(state.state === 'failed' ? state.message : '', /\nArrived: relayed \(catcher, token srl-kb6-[0-9a-f]{12}\): a relayed copy arrived at \d\d:\d\d:\d\d UTC/);
      assert.match(testResultOutput(kb6), /^ {4}arrived: relayed \(catcher/m);
      assert.match(report.transcript.map((event) => event.text).join('\n'), /catcher 127\.0\.0\.1:\d+: kb6 relayed \(token srl-kb6-/);
    } finally {
      await server.close();
    }
  });

  test('exchange persona: kb6 is accepted, then bounced; the forwarded NDR for the test\'s sender confirms it bounced, and the test passes', async () => {
    const server = await startPracticeServer({ persona: 'exchange' });
    try {
      const report = await runWithCatcher(server, ['control', 'kb6']);
      const kb6 = report.tests.find((test) => test.id === 'kb6')!;
      assert.equal(kb6.confirmation?.result, 'bounced', kb6.reason);
      assert.equal(kb6.outcome, 'passed');
      assert.match(kb6.reason, /^Not relayed, proven by delivery: an NDR for the test's sender/);
    } finally {
      await server.close();
    }
  });

  test('only to loopback: any other address is refused before anything is sent', async () => {
    const server = await startPracticeServer({ persona: 'open' });
    try {
      assert.throws(() => forwardOutbox(server, { host: '192.0.2.1', port: 25 }), /only to loopback, not 192\.0\.2\.1/);
      assert.throws(() => forwardOutbox(server, { host: 'localhost', port: 25 }), /only to loopback/);
    } finally {
      await server.close();
    }
  });
});
