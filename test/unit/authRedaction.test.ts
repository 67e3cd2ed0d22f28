/**
 * AUTH secrets never appear in a transcript: they are redacted as they are recorded, whatever sends them.
 * Here the AUTH exchange is written by hand and sent with session.command() and session.pipeline(), as a
 * .smtp file or a script would, against the practice server with an account (AUTH PLAIN and LOGIN) and
 * scripted servers for the mechanisms it does not speak.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthExchangeRedaction } from '../../src/core/protocol/authExchangeRedaction';
import { TimeoutError } from '../../src/core/protocol/errors';
import { SmtpSession } from '../../src/core/protocol/session';
import { readTranscript, writeTranscript } from '../../src/core/transcript/transcriptFormat';
import type { TranscriptEvent } from '../../src/core/transcript/transcriptEvent';
import { startPracticeServer, type PracticeServer } from '../../src/lab/practiceServer';
import { startScriptedServer, type ScriptedServer } from '../support/scriptedServer';
import { everyTranscriptText } from '../support/transcriptBytes';

const username = 'alice@corp.example';
const secret = 'Tr0ub4dor&3-correct-horse';
const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** Every form of the secret that could leak: as typed, its base64 (AUTH LOGIN), the PLAIN blob and its contents. */
const secretForms = {
  'the secret': secret,
  'its base64': base64(secret),
  'the PLAIN blob': base64(`\0${username}\0${secret}`),
  'the PLAIN blob decoded': `\0${username}\0${secret}`,
};

/** Searches the events as recorded (escaped), unescaped, and as written to and read back from a transcript file. */
function assertNoSecretRecorded(events: readonly TranscriptEvent[], forms: Record<string, string> = secretForms): void {
  const file = writeTranscript({ header: { tool: 'auth redaction test', startedAt: 0, target: 'mail.corp.example:25' }, events: [...events] });
  const places: Array<[string, string]> = [
    ['the transcript (escaped and unescaped)', everyTranscriptText(events).join('\n')],
    ['the transcript file', file],
    ['the transcript file read back', everyTranscriptText(readTranscript(file).events).join('\n')],
  ];
  for (const [where, text] of places) {
    for (const [form, value] of Object.entries(forms)) {
      assert.equal(text.includes(value), false, `${form} is in ${where}`);
    }
  }
}

function sentTexts(session: SmtpSession): string[] {
  return session.transcript.filter((event) => event.kind === 'sent').map((event) => event.text);
}

describe('which lines of an AUTH exchange a transcript shows', () => {
  test('the initial response of AUTH is redacted, for any mechanism, and the mechanism stays', () => {
    for (const [line, shown] of [
      [`AUTH PLAIN ${secretForms['the PLAIN blob']}`, 'AUTH PLAIN <redacted>'],
      [`auth login ${base64(username)}`, 'auth login <redacted>'],
      ['AUTH XOAUTH2 dXNlcj1hbGljZQFhdXRoPUJlYXJlciB0b2tlbgEB', 'AUTH XOAUTH2 <redacted>'],
      ['AUTH SCRAM-SHA-256 biwsbj1hbGljZSxyPW5vbmNl', 'AUTH SCRAM-SHA-256 <redacted>'],
      ['AUTH Plain  two words of secret', 'AUTH Plain <redacted>'],
    ]) {
      assert.equal(new AuthExchangeRedaction().lineToSend(line).shown, shown, line);
    }
  });

  test('a credential typed where the mechanism goes is redacted too', () => {
    assert.equal(new AuthExchangeRedaction().lineToSend(`AUTH ${base64(secret)}`).shown, 'AUTH <redacted>');
    assert.equal(new AuthExchangeRedaction().lineToSend('AUTH dGVzdA').shown, 'AUTH <redacted>');
  });

  test('AUTH without an initial response is shown as written; what answers its 334 is not', () => {
    const redaction = new AuthExchangeRedaction();
    assert.deepEqual(redaction.lineToSend('AUTH LOGIN'), { shown: 'AUTH LOGIN', answersAuthExchange: true });
    redaction.replyArrived(334, true);
    assert.deepEqual(redaction.lineToSend(base64(username)), { shown: '<redacted>', answersAuthExchange: true });
    redaction.replyArrived(334, true);
    assert.deepEqual(redaction.lineToSend('NOOP'), { shown: '<redacted>', answersAuthExchange: true }, 'after a 334 even NOOP is an answer');
    redaction.replyArrived(535, true);
    assert.deepEqual(redaction.lineToSend('NOOP'), { shown: 'NOOP', answersAuthExchange: false }, 'the 535 ended the exchange');
  });

  test('a lone "*" cancelling the exchange is shown; the reply to it ends the exchange', () => {
    const redaction = new AuthExchangeRedaction();
    redaction.lineToSend('AUTH CRAM-MD5');
    redaction.replyArrived(334, true);
    assert.equal(redaction.lineToSend('*').shown, '*');
    redaction.replyArrived(501, true);
    assert.equal(redaction.inExchange, false);
  });

  test('a reply to a line sent before the AUTH (pipelined) does not end the exchange', () => {
    const redaction = new AuthExchangeRedaction();
    const noop = redaction.lineToSend('NOOP');
    redaction.lineToSend('AUTH PLAIN');
    redaction.replyArrived(250, noop.answersAuthExchange);
    assert.equal(redaction.inExchange, true);
    redaction.replyArrived(334, true);
    assert.equal(redaction.lineToSend(secretForms['the PLAIN blob']).shown, '<redacted>');
  });

  test('the engine may keep its own choice (the LOGIN user name) and the exchange is still followed', () => {
    const redaction = new AuthExchangeRedaction();
    redaction.lineToSend('AUTH LOGIN', { showAsIs: true });
    redaction.replyArrived(334, true);
    assert.equal(redaction.lineToSend(base64(username), { showAsIs: true }).shown, base64(username));
    redaction.replyArrived(334, true);
    assert.equal(redaction.lineToSend(base64(secret)).shown, '<redacted>');
    redaction.replyArrived(235, true);
    assert.equal(redaction.inExchange, false);
  });

  test('lines that only look like AUTH are not touched', () => {
    const redaction = new AuthExchangeRedaction();
    for (const line of ['AUTHORIZE me', 'MAIL FROM:<auth@example.com> AUTH=<>', 'NOOP AUTH PLAIN x']) {
      assert.deepEqual(redaction.lineToSend(line), { shown: line, answersAuthExchange: false });
    }
  });
});

describe('AUTH typed by hand through session.command() and pipeline() is redacted as it is recorded', () => {
  let lab: PracticeServer;
  const scripted: ScriptedServer[] = [];

  before(async () => {
    lab = await startPracticeServer({ persona: 'exchange', localDomains: ['corp.example'], auth: { username, password: secret } });
  });

  after(async () => {
    await lab.close();
    await Promise.all(scripted.map((server) => server.close()));
  });

  async function connected(server: { host: string; port: number }, replyMs?: number): Promise<SmtpSession> {
    const session = new SmtpSession({ host: server.host, port: server.port, tls: 'none', ...(replyMs ? { timeouts: { replyMs } } : {}) });
    await session.connect();
    await session.ehlo('client.example.org');
    return session;
  }

  test('AUTH PLAIN with its initial response: 235, and the blob is nowhere in the transcript', async () => {
    const session = await connected(lab);
    const reply = await session.command(`AUTH PLAIN ${secretForms['the PLAIN blob']}`);
    assert.equal(reply.code, 235, 'the real blob went over the wire: the server accepted it');
    assert.equal((await session.command('NOOP')).code, 250);
    await session.quit();
    assert.deepEqual(sentTexts(session), ['EHLO client.example.org', 'AUTH PLAIN <redacted>', 'NOOP', 'QUIT']);
    assertNoSecretRecorded(session.transcript);
  });

  test('AUTH LOGIN with two 334 rounds: both answers are redacted, the challenges and the 235 are not', async () => {
    const session = await connected(lab);
    assert.equal((await session.command('AUTH LOGIN')).code, 334);
    assert.equal((await session.command(base64(username))).code, 334);
    assert.equal((await session.command(base64(secret))).code, 235);
    await session.quit();
    assert.deepEqual(sentTexts(session), ['EHLO client.example.org', 'AUTH LOGIN', '<redacted>', '<redacted>', 'QUIT']);
    assert.ok(
      session.transcript.some((event) => event.kind === 'received' && /^334 UGFzc3dvcmQ6$/.test(event.text)),
      'the server challenges are kept',
    );
    assertNoSecretRecorded(session.transcript);
  });

  test('AUTH PLAIN without an initial response: 334, then the blob on its own line is redacted', async () => {
    const session = await connected(lab);
    assert.equal((await session.command('AUTH PLAIN')).code, 334);
    assert.equal((await session.command(secretForms['the PLAIN blob'])).code, 235);
    assert.equal((await session.command('RSET')).code, 250);
    await session.quit();
    assert.deepEqual(sentTexts(session), ['EHLO client.example.org', 'AUTH PLAIN', '<redacted>', 'RSET', 'QUIT']);
    assertNoSecretRecorded(session.transcript);
  });

  test('a refused AUTH LOGIN (535) ends the exchange: what follows is shown again', async () => {
    const session = await connected(lab);
    const wrong = 'not-the-password-42';
    await session.command('AUTH LOGIN');
    await session.command(base64(username));
    assert.equal((await session.command(base64(wrong))).code, 535);
    assert.equal((await session.command('NOOP')).code, 250);
    await session.quit();
    assert.deepEqual(sentTexts(session), ['EHLO client.example.org', 'AUTH LOGIN', '<redacted>', '<redacted>', 'NOOP', 'QUIT']);
    assertNoSecretRecorded(session.transcript, { 'the wrong password': wrong, 'its base64': base64(wrong) });
  });

  test('"*" cancels an exchange and is shown as it is', async () => {
    const session = await connected(lab);
    await session.command('AUTH LOGIN');
    assert.equal((await session.command('*')).code, 501);
    await session.quit();
    assert.deepEqual(sentTexts(session), ['EHLO client.example.org', 'AUTH LOGIN', '*', 'QUIT']);
  });

  test('AUTH PLAIN and its blob pipelined in one write: the blob is redacted before any reply came', async () => {
    const session = await connected(lab);
    assert.equal(session.capabilities?.pipelining, true, 'the exchange persona advertises PIPELINING');
    const replies = await session.pipeline(['AUTH PLAIN', secretForms['the PLAIN blob']]);
    assert.deepEqual(replies.map((reply) => reply.code), [334, 235]);
    await session.quit();
    assert.deepEqual(sentTexts(session), ['EHLO client.example.org', 'AUTH PLAIN', '<redacted>', 'QUIT']);
    assertNoSecretRecorded(session.transcript);
  });

  test("the practice server's own log redacts the credentials it received", async () => {
    const plain = await connected(lab);
    assert.equal((await plain.command(`AUTH PLAIN ${secretForms['the PLAIN blob']}`)).code, 235);
    await plain.quit();
    // A second AUTH on the same connection would be refused (503), and the lines after it be commands.
    const login = await connected(lab);
    await login.command('AUTH LOGIN');
    await login.command(base64(username));
    assert.equal((await login.command(base64(secret))).code, 235);
    await login.quit();
    const logged = lab.log.entries.map((entry) => entry.text).join('\n');
    for (const [form, value] of Object.entries(secretForms)) {
      assert.equal(logged.includes(value), false, `${form} is in the practice server log`);
    }
    assert.ok(lab.log.commands().includes('AUTH PLAIN <redacted>'));
    assert.ok(lab.log.commands().includes('<redacted>'), 'the answers to 334 are logged redacted');
    assert.ok(logged.includes(`AUTH PLAIN as ${username}: accepted`), 'the credentials did reach the server');
  });

  test('mechanisms the engine does not speak (CRAM-MD5, XOAUTH2): every answer to a 334 is redacted', async () => {
    const digest = `${username} 9b9a1c2cf5e0d8f7a6b5c4d3e2f1a0b9`;
    const token = base64(`user=${username}\x01auth=Bearer ${secret}\x01\x01`);
    const server = await startScriptedServer(async (peer) => {
      await peer.send('220 mail.corp.example ESMTP\r\n');
      await peer.converse([
        [/^EHLO /i, '250-mail.corp.example\r\n250 AUTH CRAM-MD5 XOAUTH2\r\n'],
        [
          /^AUTH CRAM-MD5$/i,
          async (_line, p) => {
            await p.send('334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+\r\n');
            await p.readLine();
            await p.send('235 2.7.0 Authentication successful\r\n');
          },
        ],
        [/^AUTH XOAUTH2 /i, '235 2.7.0 Accepted\r\n'],
      ]);
    });
    scripted.push(server);
    const session = await connected(server);
    assert.equal((await session.command('AUTH CRAM-MD5')).code, 334);
    assert.equal((await session.command(base64(digest))).code, 235);
    assert.equal((await session.command(`AUTH XOAUTH2 ${token}`)).code, 235);
    await session.quit();
    const received = server.peers[0].received;
    assert.ok(received.includes(base64(digest)) && received.includes(`AUTH XOAUTH2 ${token}`), 'the real lines went over the wire');
    assert.deepEqual(sentTexts(session), ['EHLO client.example.org', 'AUTH CRAM-MD5', '<redacted>', 'AUTH XOAUTH2 <redacted>', 'QUIT']);
    assertNoSecretRecorded(session.transcript, { 'the digest': base64(digest), 'the token': token, 'the secret': secret });
  });

  test('a server that never answers the blob: the timeout, recorded in the transcript, names it redacted', async () => {
    const server = await startScriptedServer(async (peer) => {
      await peer.send('220 mail.corp.example ESMTP\r\n');
      await peer.converse([
        [/^EHLO /i, '250-mail.corp.example\r\n250 AUTH PLAIN\r\n'],
        [/^AUTH PLAIN$/i, '334 \r\n'],
        [/^[A-Za-z0-9+/=]+$/, (_line, p) => p.hang()],
      ]);
    });
    scripted.push(server);
    const session = await connected(server, 200);
    assert.equal((await session.command('AUTH PLAIN')).code, 334);
    await assert.rejects(session.command(secretForms['the PLAIN blob']), (error: unknown) => {
      assert.ok(error instanceof TimeoutError);
      assert.match(error.message, /no reply to "<redacted>"/);
      return true;
    });
    assert.ok(session.transcript.some((event) => event.kind === 'error' && event.text.includes('"<redacted>"')));
    assertNoSecretRecorded(session.transcript);
  });
});
