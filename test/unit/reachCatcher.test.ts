// Issue 10 §1 without a real MTA: the catcher receives, tokens are matched, and what a caught message proves.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCatcher, parseCatcherAddress, type CaughtMessage } from '../../src/core/reach/catcher';
import { isDeliveryReport, judgeCaughtMessage, newTestToken } from '../../src/core/reach/deliveryConfirmation';
import { findRelayTest } from '../../src/core/relay/relayCatalogue';
import { relayTestMessage } from '../../src/core/relay/relayTestMessage';
import { SmtpSession } from '../../src/core/protocol/session';
import { runCli } from '../support/cliProcess';

function caught(partial: Partial<CaughtMessage> & Pick<CaughtMessage, 'content'>): CaughtMessage {
  return { receivedAt: Date.now(), mailFrom: 'sender@example.org', rcptTo: ['relay-test@example.net'], remoteAddress: '127.0.0.1', truncated: false, ...partial };
}

describe('test tokens and the test message', () => {
  test('each token is new, and the message carries it in its Message-ID, subject and body', () => {
    const kb6 = findRelayTest('kb6')!;
    const token = newTestToken(kb6);
    assert.match(token, /^srl-kb6-[0-9a-f]{12}$/);
    assert.notEqual(newTestToken(kb6), token);
    const message = relayTestMessage(kb6, { mailFrom: '<a@example.org>', rcptTo: '<relay-test%example.net>' }, 'relay-lab.example.com', new Date(0), token);
    assert.match(message, new RegExp(`^Message-ID: <${token}@relay-lab\\.example\\.com>$`, 'm'));
    assert.match(message, new RegExp(`^Subject: .*\\[${token}\\]$`, 'm'));
    assert.match(message, new RegExp(`^Test token: ${token}$`, 'm'));
  });
});

describe('what a caught message proves', () => {
  const token = 'srl-kb6-0123456789ab';
  test('a copy with the token and a real sender is the relayed message: Received and Message-ID lines as evidence', () => {
    const judged = judgeCaughtMessage(
      caught({ content: `Received: from a.example.com\r\n\tby mx.example.org; Wed, 2 Dec 2026\r\nMessage-ID: <${token}@relay-lab.example.com>\r\nSubject: x\r\n\r\nbody\r\n` }),
      token,
      'sender@example.org',
    );
    assert.deepEqual(judged, { result: 'relayed', evidence: `Received: from a.example.com by mx.example.org; Wed, 2 Dec 2026 | Message-ID: <${token}@relay-lab.example.com>` });
  });

  test('an NDR (null sender, multipart/report) for the sender quoting the token is bounced, with its status lines', () => {
    const ndr = caught({
      mailFrom: '',
      rcptTo: ['sender@example.org'],
      content:
        'Subject: Undelivered Mail Returned to Sender\r\nContent-Type: multipart/report; report-type=delivery-status;\r\n boundary="b"\r\n\r\n--b\r\n\r\n' +
        `Final-Recipient: rfc822; x@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b\r\n\r\nMessage-ID: <${token}@relay-lab.example.com>\r\n`,
    });
    assert.equal(isDeliveryReport(ndr), true);
    assert.deepEqual(judgeCaughtMessage(ndr, token, 'sender@example.org'), {
      result: 'bounced',
      evidence: 'Final-Recipient: rfc822; x@example.com | Action: failed | Status: 5.1.1',
    });
    assert.equal(judgeCaughtMessage(ndr, token, 'someone-else@example.org'), undefined, 'an NDR for another sender proves nothing');
  });

  test('a message without the token proves nothing; control characters in evidence are neutralised', () => {
    assert.equal(judgeCaughtMessage(caught({ content: 'Subject: other\r\n\r\nbody' }), token), undefined);
    const judged = judgeCaughtMessage(caught({ content: `Received: from evil\u001b[31m.example\r\nMessage-ID: <${token}@x>\r\n\r\n` }), token);
    assert.doesNotMatch(judged!.evidence, /\u001b/);
  });
});

describe('the catcher', () => {
  test('accepts any recipient, keeps the message, and waitFor finds messages caught before and after the call', async () => {
    const catcher = await startCatcher({ host: '127.0.0.1', port: 0 });
    try {
      const send = async (subject: string): Promise<void> => {
        const session = new SmtpSession({ host: catcher.host, port: catcher.port, tls: 'none' });
        await session.connect();
        await session.ehlo('client.example.org');
        await session.command('MAIL FROM:<a@example.org>');
        const rcpt = await session.command('RCPT TO:<anyone@example.net>');
        assert.equal(rcpt.code, 250);
        const end = await session.data(`Subject: ${subject}\r\n\r\nhello\r\n`);
        assert.equal(end.code, 250);
        await session.quit();
      };
      await send('first');
      assert.equal(catcher.messages.length, 1);
      assert.deepEqual(catcher.messages[0].rcptTo, ['anyone@example.net']);
      assert.ok(await catcher.waitFor((message) => message.content.includes('first'), 0));
      const later = catcher.waitFor((message) => message.content.includes('second'), 10_000);
      await send('second');
      assert.match((await later)!.content, /Subject: second/);
      assert.equal(await catcher.waitFor((message) => message.content.includes('never'), 20), undefined);
    } finally {
      await catcher.close();
    }
  });

  test('HOST:PORT and [IPv6]:PORT; anything else is refused', () => {
    assert.deepEqual(parseCatcherAddress('127.0.0.1:2526'), { host: '127.0.0.1', port: 2526 });
    assert.deepEqual(parseCatcherAddress('[::1]:2526'), { host: '::1', port: 2526 });
    assert.throws(() => parseCatcherAddress('127.0.0.1'), /--catcher needs HOST:PORT/);
  });

  test('CLI: --catcher without --confirm-by-delivery, or a bad --mail-from, is a usage error (exit 64)', async () => {
    const missing = await runCli(['relay', '--lab', 'exchange', '--catcher', '127.0.0.1:0']);
    assert.equal(missing.code, 64);
    assert.match(missing.stderr, /--catcher confirms what DATA delivers: add --confirm-by-delivery/);
    const bad = await runCli(['relay', '--lab', 'exchange', '--mail-from', 'not an address']);
    assert.equal(bad.code, 64);
  });
});
