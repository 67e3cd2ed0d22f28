// The lab Postfix itself, checked with a raw socket (not our engine): a closed instance must refuse
// relay and accept its positive control, an open one must accept relay, and accepted remote mail must
// end in the failing pipe, never on the network. Needs root and the postfix package
// (scripts/install-debian-deps.sh); each instance takes a few seconds to start.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as net from 'node:net';
import { startPostfix, type PostfixInstance } from '../support/postfix';
import { liveProcessesInGroup } from '../support/processGroup';
import { RawSmtpDialogue, type RawReply } from '../support/rawSmtpDialogue';

const LOCAL_CONTROL = 'postmaster@corp.example';
const REMOTE_RECIPIENT = 'user@example.net';
const OUTSIDE_SENDER = 'tester@example.org';
const RELAY_DENIED = /^(454 4\.7\.1|554 5\.7\.1) <user@example\.net>: Relay access denied$/;

/** EHLO and MAIL FROM on a new connection, ready for RCPT. */
async function openEnvelope(instance: PostfixInstance): Promise<RawSmtpDialogue> {
  const { dialogue, greeting } = await RawSmtpDialogue.open(instance.host, instance.port);
  assert.equal(greeting.last, '220 mail.corp.example ESMTP Postfix');
  assert.equal((await dialogue.send('EHLO tester.example.org')).code, 250);
  assert.equal((await dialogue.send(`MAIL FROM:<${OUTSIDE_SENDER}>`)).last, '250 2.1.0 Ok');
  return dialogue;
}

async function rcpt(instance: PostfixInstance, recipient: string): Promise<RawReply> {
  const dialogue = await openEnvelope(instance);
  try {
    return await dialogue.send(`RCPT TO:<${recipient}>`);
  } finally {
    await dialogue.quit();
  }
}

async function sendMessage(instance: PostfixInstance, recipient: string, subject: string): Promise<RawReply> {
  const dialogue = await openEnvelope(instance);
  try {
    assert.equal((await dialogue.send(`RCPT TO:<${recipient}>`)).code, 250);
    assert.equal((await dialogue.send('DATA')).code, 354);
    return await dialogue.sendMessage(
      `From: <${OUTSIDE_SENDER}>\r\nTo: <${recipient}>\r\nSubject: ${subject}\r\n\r\nlab message\r\n`,
    );
  } finally {
    await dialogue.quit();
  }
}

function connectionIsRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('a closed lab Postfix (loopback outside mynetworks)', () => {
  let postfix: PostfixInstance;
  before(async () => {
    postfix = await startPostfix({ mode: 'closed', localUsers: ['alice'] });
  });
  after(() => postfix?.stop());

  test('refuses RCPT to a remote domain as a relay attempt', async () => {
    const reply = await rcpt(postfix, REMOTE_RECIPIENT);
    assert.match(reply.last, RELAY_DENIED);
  });

  test('accepts the positive control postmaster@corp.example at RCPT', async () => {
    assert.equal((await rcpt(postfix, LOCAL_CONTROL)).last, '250 2.1.5 Ok');
  });

  test('accepts a configured local user and refuses an unknown one with 550 5.1.1', async () => {
    assert.equal((await rcpt(postfix, 'alice@corp.example')).code, 250);
    const unknown = await rcpt(postfix, 'nobody-here@corp.example');
    assert.match(unknown.last, /^550 5\.1\.1 <nobody-here@corp\.example>: .*User unknown/);
  });

  test('hands local mail to the recording local pipe, not to a mailbox', async () => {
    const reply = await sendMessage(postfix, LOCAL_CONTROL, 'closed-local');
    assert.match(reply.last, /^250 2\.0\.0 Ok: queued as /);
    const deliveries = await postfix.waitForDeliveries(1);
    const delivery = deliveries.find((entry) => entry.message.includes('Subject: closed-local'));
    assert.ok(delivery, `no recorded delivery of the message; got ${JSON.stringify(deliveries)}`);
    assert.equal(delivery.service, 'localpipe');
    assert.equal(delivery.recipient, LOCAL_CONTROL);
    assert.equal(delivery.sender, OUTSIDE_SENDER);
  });

  test("keeps Postfix's default client slow-down, which the benchmarks measure", async () => {
    const explicit = await postfix.postconf(['-n']);
    assert.doesNotMatch(explicit, /^smtpd_(error_sleep_time|soft_error_limit|hard_error_limit) =/m);
    assert.equal((await postfix.postconf(['-h', 'smtpd_error_sleep_time'])).trim(), '1s');
  });
});

describe('an open lab Postfix (loopback in mynetworks)', () => {
  let postfix: PostfixInstance;
  before(async () => {
    postfix = await startPostfix({ mode: 'open' });
  });
  after(() => postfix?.stop());

  test('accepts RCPT to a remote domain with 250', async () => {
    assert.equal((await rcpt(postfix, REMOTE_RECIPIENT)).last, '250 2.1.5 Ok');
  });

  test('hands accepted remote mail to the failing pipe, which defers it: nothing is sent out', async () => {
    const reply = await sendMessage(postfix, REMOTE_RECIPIENT, 'open-relay-proof');
    const queueId = /^250 2\.0\.0 Ok: queued as (\w+)$/.exec(reply.last)?.[1];
    assert.ok(queueId, `unexpected end-of-data reply: ${reply.last}`);

    const deliveries = await postfix.waitForDeliveries(1);
    assert.equal(deliveries.length, 1);
    const [delivery] = deliveries;
    assert.equal(delivery?.service, 'failpipe');
    assert.equal(delivery?.recipient, REMOTE_RECIPIENT);
    assert.equal(delivery?.nexthop, 'example.net');
    assert.equal(delivery?.exitStatus, 75);
    assert.match(delivery?.message ?? '', /^Subject: open-relay-proof$/m);

    const attempt = await postfix.waitForMaillogLine(new RegExp(`${queueId}: to=<${REMOTE_RECIPIENT}>`));
    assert.match(attempt, /relay=failpipe, .*status=deferred/);
    const maillog = await postfix.maillog();
    // The SMTP and LMTP clients log as postfix-lab/smtp[pid] and postfix-lab/lmtp[pid].
    assert.doesNotMatch(maillog, /\/(smtp|lmtp)\[\d+\]/);
  });

  test('has no SMTP or LMTP client service, and listens only on 127.0.0.1', async () => {
    // postconf -M prints each service on one line: name type private unpriv chroot wakeup maxproc command...
    const services = (await postfix.postconf(['-M']))
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => line.split(/\s+/));
    const commands = services.map((fields) => fields[7]);
    assert.ok(commands.includes('pipe'), `postconf -M gave no services: ${JSON.stringify(services)}`);
    assert.ok(!commands.includes('smtp'), `an smtp client service exists: ${JSON.stringify(services)}`);
    assert.ok(!commands.includes('lmtp'), `an lmtp client service exists: ${JSON.stringify(services)}`);
    const listeners = services.filter((fields) => fields[1] === 'inet').map((fields) => fields[0]);
    assert.deepEqual(listeners, [`127.0.0.1:${postfix.port}`]);
  });
});

describe('starting and stopping a lab Postfix', () => {
  test('ends every process of the instance, frees its port and removes its folder', async () => {
    const postfix = await startPostfix({ mode: 'closed' });
    assert.ok(liveProcessesInGroup(postfix.masterPid).length > 0, 'the master should run before stop()');
    assert.equal(await connectionIsRefused(postfix.port), false);

    await postfix.stop();

    assert.deepEqual(liveProcessesInGroup(postfix.masterPid), []);
    assert.equal(existsSync(postfix.rootDirectory), false);
    assert.equal(await connectionIsRefused(postfix.port), true);
  });

  test('a main.cf that Postfix warns about is refused before the master starts', async () => {
    await assert.rejects(
      startPostfix({ mode: 'closed', extraMainCf: { relay_lab_no_such_setting: 'yes' } }),
      /main\.cf that Postfix warns about[\s\S]*unused parameter: relay_lab_no_such_setting=yes/,
    );
  });

  test('a fixed port that is already taken fails with the bind error from the maillog', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as net.AddressInfo).port;
    try {
      await assert.rejects(startPostfix({ mode: 'closed', port }), /bind 127\.0\.0\.1 port \d+: Address already in use/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
