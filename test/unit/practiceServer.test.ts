import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { startPracticeServer, type PracticeServer, type PracticeServerOptions } from '../../src/lab/practiceServer';
import { fixtureTlsCredentials } from '../support/scriptedServer';
import { deliveryStatusBlocks, multipartParts, parseEntity } from '../support/mimeReport';

const message = ['From: <admin@corp.example>', 'To: <someone@corp.example>', 'Subject: practice', '', 'Hello.', ''].join('\r\n');

/** Starts a server, runs `body` against it, and always closes it. */
async function withServer(options: PracticeServerOptions, body: (server: PracticeServer) => Promise<void>): Promise<void> {
  const server = await startPracticeServer(options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

interface RawReply {
  code: number;
  lines: string[];
  /** The final line, e.g. "250 2.1.5 Ok". */
  last: string;
}

/**
 * A deliberately naive client on a raw socket, so that the server is checked without our own
 * engine (src/core/protocol/session.ts) in between: one command, then its whole reply.
 */
class RawDialogue {
  private constructor(
    private readonly socket: net.Socket,
    private readonly lines: ReturnType<typeof lineReader>,
  ) {}

  static async open(host: string, port: number): Promise<{ dialogue: RawDialogue; greeting: RawReply }> {
    const socket = net.connect(port, host);
    const dialogue = new RawDialogue(socket, lineReader(socket));
    return { dialogue, greeting: await dialogue.reply() };
  }

  send(line: string): Promise<RawReply> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** After a 354: the message (CRLF line ends, nothing to dot-stuff in these tests) and the final dot. */
  sendMessage(text: string): Promise<RawReply> {
    this.socket.write(`${text}.\r\n`);
    return this.reply();
  }

  async quit(): Promise<void> {
    await this.send('QUIT');
    this.socket.destroy();
  }

  private async reply(): Promise<RawReply> {
    const lines = await this.lines.untilFinal();
    const last = lines[lines.length - 1];
    return { code: Number(last.slice(0, 3)), lines, last };
  }
}

/** Opens a dialogue and says EHLO. */
async function greeted(server: PracticeServer): Promise<{ dialogue: RawDialogue; greeting: RawReply; ehlo: RawReply }> {
  const { dialogue, greeting } = await RawDialogue.open(server.host, server.port);
  const ehlo = await dialogue.send('EHLO relay-lab.example.com');
  return { dialogue, greeting, ehlo };
}

/** Sends each command in turn and returns the last line of each reply. */
async function converse(dialogue: RawDialogue, commands: string[]): Promise<string[]> {
  const replies: string[] = [];
  for (const command of commands) {
    replies.push((await dialogue.send(command)).last);
  }
  return replies;
}

/** MAIL, RCPT..., DATA, the message; returns the reply to end-of-data. */
async function sendMail(dialogue: RawDialogue, from: string, recipients: string[]): Promise<RawReply> {
  await dialogue.send(`MAIL FROM:${from}`);
  for (const recipient of recipients) {
    await dialogue.send(`RCPT TO:${recipient}`);
  }
  const dataReply = await dialogue.send('DATA');
  assert.equal(dataReply.code, 354);
  return dialogue.sendMessage(message);
}

describe('practice server: exchange persona (KB 304897)', () => {
  let server: PracticeServer;
  before(async () => {
    server = await startPracticeServer({ persona: 'exchange' });
  });
  after(() => server.close());

  test('greets like Exchange and advertises ENHANCEDSTATUSCODES, PIPELINING, 8BITMIME, SIZE and STARTTLS', async () => {
    const { dialogue, greeting, ehlo } = await greeted(server);
    assert.equal(greeting.last, '220 mail.corp.example Microsoft ESMTP MAIL Service ready');
    const extensions = ehlo.lines.slice(1).map((line) => line.slice(4).split(' ')[0]);
    for (const extension of ['ENHANCEDSTATUSCODES', 'PIPELINING', '8BITMIME', 'SIZE', 'STARTTLS']) {
      assert.ok(extensions.includes(extension), `EHLO lacks ${extension}: ${ehlo.lines.join(' | ')}`);
    }
    assert.ok(!extensions.includes('AUTH'), 'a practice server never offers AUTH');
    await dialogue.quit();
  });

  test('test 1 is refused at RCPT with 550 5.7.1 Unable to relay, after the KB replies to RSET and MAIL', async () => {
    const { dialogue } = await greeted(server);
    assert.deepEqual(await converse(dialogue, ['RSET', 'MAIL FROM:user@example.net', 'RCPT TO:R@example.net']), [
      '250 2.0.0 Resetting',
      '250 2.1.0 user@example.net....Sender OK',
      '550 5.7.1 Unable to relay for R@example.net',
    ]);
    await dialogue.quit();
  });

  test('the KB bare sender form gets the local domain appended, and a null sender is accepted', async () => {
    const { dialogue } = await greeted(server);
    assert.deepEqual(await converse(dialogue, ['MAIL FROM:UserName', 'RSET', 'MAIL FROM:<>']), [
      '250 2.1.0 UserName@corp.example....Sender OK',
      '250 2.0.0 Resetting',
      '250 2.1.0 <>....Sender OK',
    ]);
    await dialogue.quit();
  });

  test('tests 6 and 7 are accepted with the local domain appended (percent hack and quoted local part)', async () => {
    const { dialogue } = await greeted(server);
    assert.deepEqual(
      await converse(dialogue, ['MAIL FROM:UserName', 'RCPT TO:R%example.net', 'RCPT TO:"R@example.net"', 'RCPT TO:<R%example.net>']),
      [
        '250 2.1.0 UserName@corp.example....Sender OK',
        '250 2.1.5 R%example.net@corp.example',
        '250 2.1.5 "R@example.net"@corp.example',
        '250 2.1.5 R%example.net@corp.example',
      ],
    );
    await dialogue.quit();
  });

  test('a relay test that stops at RCPT leaves no DATA in the server log', async () => {
    const { dialogue } = await greeted(server);
    await converse(dialogue, ['RSET', 'MAIL FROM:UserName', 'RCPT TO:R%example.net']);
    await dialogue.quit();
    const connection = server.log.connectionIds().at(-1) ?? '';
    const commands = server.log.commands(connection);
    assert.deepEqual(commands, ['EHLO relay-lab.example.com', 'RSET', 'MAIL FROM:UserName', 'RCPT TO:R%example.net', 'QUIT']);
    assert.ok(!commands.some((command) => /^DATA\b/i.test(command)));
  });

  test('the log shows DATA when a client does send it, with every reply the server wrote', async () => {
    const { dialogue } = await greeted(server);
    await sendMail(dialogue, '<admin@corp.example>', ['<postmaster@corp.example>']);
    await dialogue.quit();
    const connection = server.log.connectionIds().at(-1) ?? '';
    assert.ok(server.log.commands(connection).includes('DATA'));
    const replies = server.log.entries.filter((entry) => entry.connectionId === connection && entry.kind === 'reply').map((entry) => entry.text);
    assert.equal(replies[0], '220 mail.corp.example Microsoft ESMTP MAIL Service ready');
    assert.ok(replies.includes('354 End data with <CR><LF>.<CR><LF>'));
  });
});

describe('practice server: delivery, NDRs and the outbox', () => {
  test('an accepted message for an unresolved local recipient produces an RFC 3464 NDR from the null sender to the original sender', async () => {
    await withServer({ persona: 'exchange' }, async (server) => {
      const { dialogue } = await greeted(server);
      const end = await sendMail(dialogue, 'admin', ['R%example.net']);
      assert.equal(end.code, 250);
      await dialogue.quit();

      assert.deepEqual(server.outbox.list('would-relay'), [], 'Exchange relays nothing');
      assert.deepEqual(server.outbox.list('delivered'), []);
      const [ndr, ...more] = server.outbox.list('ndr');
      assert.deepEqual(more, []);
      assert.equal(ndr.mailFrom, '');
      assert.deepEqual(ndr.rcptTo, ['admin@corp.example']);

      const parts = multipartParts(parseEntity(ndr.content));
      assert.equal(parts[1].headers.get('content-type'), 'message/delivery-status');
      const [perMessage, perRecipient] = deliveryStatusBlocks(parts[1].body);
      assert.equal(perMessage.get('reporting-mta'), 'dns; mail.corp.example');
      assert.equal(perRecipient.get('final-recipient'), 'rfc822; R%example.net@corp.example');
      assert.equal(perRecipient.get('action'), 'failed');
      assert.equal(perRecipient.get('status'), '5.1.1');
      assert.match(perRecipient.get('diagnostic-code') ?? '', /^smtp; 550 5\.1\.1 /);
      assert.match(parts[2].body, /^From: <admin@corp\.example>\r\n/);
    });
  });

  test('valid local recipients are delivered to the outbox, unresolved ones in the same message are reported', async () => {
    await withServer({ persona: 'exchange', localUsers: ['alice', 'bob'] }, async (server) => {
      const { dialogue } = await greeted(server);
      await sendMail(dialogue, '<carol@example.org>', ['<alice@corp.example>', '<Bob@corp.example>', '"R@example.net"']);
      await dialogue.quit();
      const [delivered] = server.outbox.list('delivered');
      assert.deepEqual(delivered.rcptTo, ['alice@corp.example', 'Bob@corp.example']);
      assert.equal(delivered.mailFrom, 'carol@example.org');
      assert.match(delivered.content, /Subject: practice/);
      const [ndr] = server.outbox.list('ndr');
      assert.deepEqual(ndr.rcptTo, ['carol@example.org']);
      assert.match(ndr.content, /Final-Recipient: rfc822; "R@example\.net"@corp\.example/);
    });
  });

  test('no NDR is sent about a message that itself had the null sender', async () => {
    await withServer({ persona: 'exchange' }, async (server) => {
      const { dialogue } = await greeted(server);
      await sendMail(dialogue, '<>', ['<nobody@corp.example>']);
      await dialogue.quit();
      assert.deepEqual(server.outbox.list('ndr'), []);
      assert.ok(server.log.entries.some((entry) => entry.kind === 'note' && /no NDR .*null sender/.test(entry.text)));
    });
  });

  test('the outbox tells listeners about each message as it is stored', async () => {
    await withServer({ persona: 'exchange' }, async (server) => {
      const seen: string[] = [];
      server.outbox.onMessage((stored) => seen.push(`${stored.kind}:${stored.rcptTo.join(',')}`));
      const { dialogue } = await greeted(server);
      await sendMail(dialogue, '<admin@corp.example>', ['<postmaster@corp.example>', '<ghost@corp.example>']);
      await dialogue.quit();
      assert.deepEqual(seen, ['delivered:postmaster@corp.example', 'ndr:admin@corp.example']);
    });
  });
});

describe('practice server: postfix persona', () => {
  let server: PracticeServer;
  before(async () => {
    server = await startPracticeServer({ persona: 'postfix' });
  });
  after(() => server.close());

  test('greets as Postfix, refuses relay with 454 4.7.1 and accepts a local user with 250 2.1.5 Ok', async () => {
    const { dialogue, greeting } = await greeted(server);
    assert.equal(greeting.last, '220 mail.corp.example ESMTP Postfix');
    assert.deepEqual(await converse(dialogue, ['RSET', 'MAIL FROM:<user@example.net>', 'RCPT TO:<R@example.net>', 'RCPT TO:<admin@corp.example>']), [
      '250 2.0.0 Ok',
      '250 2.1.0 Ok',
      '454 4.7.1 <R@example.net>: Relay access denied',
      '250 2.1.5 Ok',
    ]);
    await dialogue.quit();
  });

  test('an unknown local user is refused at RCPT, as local_recipient_maps does', async () => {
    const { dialogue } = await greeted(server);
    assert.deepEqual(await converse(dialogue, ['MAIL FROM:<admin@corp.example>', 'RCPT TO:<nobody@corp.example>']), [
      '250 2.1.0 Ok',
      '550 5.1.1 <nobody@corp.example>: Recipient address rejected: User unknown in local recipient table',
    ]);
    await dialogue.quit();
  });

  test('percent hack, quoted, bang, double-@ and source-route forms are resolved and refused as relay attempts', async () => {
    const { dialogue } = await greeted(server);
    await dialogue.send('MAIL FROM:UserName');
    const replies = await converse(dialogue, [
      'RCPT TO:R%example.net',
      'RCPT TO:<R%example.net@corp.example>',
      'RCPT TO:"R@example.net"',
      'RCPT TO:<"R@example.net"@[127.0.0.1]>',
      'RCPT TO:<example.net!R>',
      'RCPT TO:<R@example.net@mail.corp.example>',
      'RCPT TO:<@[127.0.0.1]:R@example.net>',
    ]);
    for (const line of replies) {
      assert.match(line, /^454 4\.7\.1 <.+>: Relay access denied$/);
    }
    assert.equal(replies[1], '454 4.7.1 <R%example.net@corp.example>: Relay access denied');
    await dialogue.quit();
  });
});

describe('practice server: open, harvest and tarpit personas', () => {
  test('open accepts every recipient and records what it would relay, without delivering it anywhere', async () => {
    await withServer({ persona: 'open' }, async (server) => {
      const { dialogue } = await greeted(server);
      assert.deepEqual(await converse(dialogue, ['MAIL FROM:<spammer@example.org>', 'RCPT TO:<victim@example.net>', 'RCPT TO:R%example.com']), [
        '250 2.1.0 Ok',
        '250 2.1.5 Ok',
        '250 2.1.5 Ok',
      ]);
      assert.equal((await dialogue.send('DATA')).code, 354);
      assert.equal((await dialogue.sendMessage(message)).code, 250);
      await dialogue.quit();
      const [relayed, ...more] = server.outbox.list('would-relay');
      assert.deepEqual(more, []);
      assert.deepEqual(relayed.rcptTo, ['victim@example.net', 'R@example.com']);
      assert.equal(relayed.mailFrom, 'spammer@example.org');
    });
  });

  test('harvest tells unknown users apart at RCPT (550 5.1.1 ... User unknown) and refuses relay', async () => {
    await withServer({ persona: 'harvest' }, async (server) => {
      const { dialogue } = await greeted(server);
      assert.deepEqual(
        await converse(dialogue, ['MAIL FROM:<a@example.org>', 'RCPT TO:<nobody@corp.example>', 'RCPT TO:<admin@corp.example>', 'RCPT TO:<R@example.net>']),
        [
          '250 2.1.0 <a@example.org>... Sender ok',
          '550 5.1.1 <nobody@corp.example>... User unknown',
          '250 2.1.5 <admin@corp.example>... Recipient ok',
          '550 5.7.1 <R@example.net>... Relaying denied',
        ],
      );
      await dialogue.quit();
    });
  });

  test('tarpit holds each failed recipient longer than the last, up to the cap', async () => {
    await withServer({ persona: 'tarpit', tarpit: { stepMs: 20, capMs: 50 } }, async (server) => {
      const { dialogue } = await greeted(server);
      const replies = await converse(dialogue, [
        'MAIL FROM:<a@example.org>',
        'RCPT TO:<ghost1@corp.example>',
        'RCPT TO:<admin@corp.example>',
        'RCPT TO:<ghost2@corp.example>',
        'RCPT TO:<R@example.net>',
        'RCPT TO:<ghost3@corp.example>',
      ]);
      assert.deepEqual(replies.slice(1), [
        '550 5.1.1 User unknown',
        '250 2.1.5 admin@corp.example',
        '550 5.1.1 User unknown',
        '550 5.7.1 Unable to relay for R@example.net',
        '550 5.1.1 User unknown',
      ]);
      await dialogue.quit();
      const holds = server.log.entries.filter((entry) => entry.kind === 'note' && entry.text.startsWith('tarpit:')).map((entry) => /for (\d+) ms/.exec(entry.text)?.[1]);
      assert.deepEqual(holds, ['20', '40', '50', '50']);
    });
  });

  test('exchange, the non-tarpit persona, holds nothing', async () => {
    await withServer({ persona: 'exchange' }, async (server) => {
      const { dialogue } = await greeted(server);
      await converse(dialogue, ['MAIL FROM:<a@example.org>', 'RCPT TO:<R@example.net>', 'RCPT TO:<R@example.com>']);
      await dialogue.quit();
      assert.ok(!server.log.entries.some((entry) => entry.text.startsWith('tarpit:')));
    });
  });
});

describe('practice server: trusted-network persona (mynetworks = loopback, XCLIENT for loopback)', () => {
  test('offers XCLIENT to loopback and relays for it, as Postfix does for a client in mynetworks', async () => {
    await withServer({ persona: 'trusted-network' }, async (server) => {
      const { dialogue, greeting, ehlo } = await greeted(server);
      assert.match(greeting.last, /^220 mail\.corp\.example ESMTP Postfix$/);
      assert.ok(ehlo.lines.some((line) => /^250[- ]XCLIENT NAME ADDR/.test(line)), ehlo.lines.join('\n'));
      assert.deepEqual(await converse(dialogue, ['MAIL FROM:<a@example.org>', 'RCPT TO:<victim@example.net>']), ['250 2.1.0 Ok', '250 2.1.5 Ok']);
      await dialogue.quit();
    });
  });

  test('after XCLIENT ADDR=203.0.113.9 it greets again and refuses relaying with 554 5.7.1 Relay access denied', async () => {
    await withServer({ persona: 'trusted-network' }, async (server) => {
      const { dialogue } = await greeted(server);
      const again = await dialogue.send('XCLIENT ADDR=203.0.113.9 NAME=[UNAVAILABLE]');
      assert.equal(again.last, '220 mail.corp.example ESMTP Postfix');
      assert.equal((await dialogue.send('EHLO relay-lab.example.com')).code, 250);
      assert.deepEqual(
        await converse(dialogue, ['MAIL FROM:<a@example.org>', 'RCPT TO:<victim@example.net>', 'RCPT TO:R%example.net@corp.example', 'RCPT TO:<admin@corp.example>', 'RCPT TO:<nobody@corp.example>']),
        [
          '250 2.1.0 Ok',
          '554 5.7.1 <victim@example.net>: Relay access denied',
          '554 5.7.1 <R%example.net@corp.example>: Relay access denied',
          '250 2.1.5 Ok',
          '550 5.1.1 <nobody@corp.example>: Recipient address rejected: User unknown in local recipient table',
        ],
      );
      await dialogue.quit();
      assert.ok(server.log.entries.some((entry) => entry.kind === 'command' && entry.text === 'XCLIENT ADDR=203.0.113.9 NAME=[UNAVAILABLE]'));
    });
  });

  test('an IPv6 outside client (ADDR=IPV6:2001:db8::9) is refused too, an IPv6 loopback one is trusted', async () => {
    for (const [addr, expected] of [
      ['IPV6:2001:db8::9', '554 5.7.1 <victim@example.net>: Relay access denied'],
      ['IPV6:::1', '250 2.1.5 Ok'],
    ] as const) {
      await withServer({ persona: 'trusted-network' }, async (server) => {
        const { dialogue } = await greeted(server);
        assert.equal((await dialogue.send(`XCLIENT ADDR=${addr}`)).code, 220);
        await dialogue.send('EHLO relay-lab.example.com');
        assert.deepEqual(await converse(dialogue, ['MAIL FROM:<a@example.org>', 'RCPT TO:<victim@example.net>']), ['250 2.1.0 Ok', expected]);
        await dialogue.quit();
      });
    }
  });

  test('the other personas neither offer nor allow XCLIENT', async () => {
    await withServer({ persona: 'postfix' }, async (server) => {
      const { dialogue, ehlo } = await greeted(server);
      assert.ok(!ehlo.lines.some((line) => /XCLIENT/.test(line)), ehlo.lines.join('\n'));
      assert.equal((await dialogue.send('XCLIENT ADDR=203.0.113.9')).code, 550);
      await dialogue.quit();
    });
  });
});

describe('practice server: transport', () => {
  test('refuses to listen anywhere but loopback', async () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.10', 'localhost', 'mail.example.com']) {
      await assert.rejects(startPracticeServer({ host }), /loopback only \(127\.0\.0\.1 or ::1\), not "/, host);
    }
  });

  test('listens on ::1 when asked', async (context) => {
    const server = await startPracticeServer({ host: '::1' }).catch(() => undefined);
    if (!server) {
      context.skip('IPv6 loopback is not available on this machine');
      return;
    }
    try {
      const { dialogue, greeting } = await RawDialogue.open('::1', server.port);
      assert.equal(greeting.code, 220);
      await dialogue.quit();
    } finally {
      await server.close();
    }
  });

  test('refuses an unknown persona and a port out of range in one line', async () => {
    await assert.rejects(startPracticeServer({ persona: 'sendmail' as never }), /^PracticeServerError: unknown persona "sendmail": choose one of exchange, postfix, open, harvest, tarpit, trusted-network$/);
    await assert.rejects(startPracticeServer({ port: 70000 }), /invalid port 70000/);
  });

  test('a port already in use is reported in one line', async () => {
    await withServer({}, async (first) => {
      await assert.rejects(startPracticeServer({ port: first.port }), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port}: the port is already in use`));
    });
  });

  test('upgrades with STARTTLS to a certificate made for it, which a client can pin and verify, then stops offering STARTTLS', async () => {
    await withServer({ persona: 'postfix' }, async (server) => {
      const socket = net.connect(server.port, server.host);
      const lines = lineReader(socket);
      assert.match(await lines.next(), /^220 /);
      socket.write('EHLO relay-lab.example.com\r\n');
      assert.ok((await lines.untilFinal()).some((line) => line.includes('STARTTLS')));
      socket.write('STARTTLS\r\n');
      assert.match(await lines.next(), /^220 /);
      const secure = tls.connect({ socket, ca: server.certificatePem, servername: 'mail.corp.example', rejectUnauthorized: true });
      await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
      const secureLines = lineReader(secure);
      secure.write('EHLO relay-lab.example.com\r\n');
      const ehlo = await secureLines.untilFinal();
      assert.ok(!ehlo.some((line) => line.includes('STARTTLS')), ehlo.join(' | '));
      secure.write('QUIT\r\n');
      assert.match(await secureLines.next(), /^221 /);
      secure.destroy();
      const entries = server.log.entries;
      assert.ok(entries.some((entry) => entry.kind === 'note' && /^TLS established \(TLSv1\.[23]\)$/.test(entry.text)));
      assert.deepEqual(
        entries.filter((entry) => entry.kind === 'command').map((entry) => [entry.text, entry.tls]),
        [['EHLO relay-lab.example.com', false], ['STARTTLS', false], ['EHLO relay-lab.example.com', true], ['QUIT', true]],
      );
    });
  });

  test('serves implicit TLS with the certificate it is given', async () => {
    const credentials = fixtureTlsCredentials();
    await withServer({ secure: true, tls: credentials }, async (server) => {
      const secure = tls.connect({ host: server.host, port: server.port, rejectUnauthorized: false, servername: 'localhost' });
      await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
      const expected = createHash('sha256').update(new X509Certificate(credentials.cert).raw).digest('hex');
      const presented = createHash('sha256').update(secure.getPeerCertificate().raw).digest('hex');
      assert.equal(presented, expected);
      assert.match(await lineReader(secure).next(), /^220 mail\.corp\.example Microsoft ESMTP/);
      secure.destroy();
    });
  });

  test('a message over the advertised SIZE is refused with 552 5.3.4 and nothing reaches the outbox', async () => {
    await withServer({ persona: 'postfix' }, async (server) => {
      const { dialogue, ehlo } = await greeted(server);
      const size = Number(/SIZE (\d+)/.exec(ehlo.lines.join('\n'))?.[1]);
      assert.equal(size, 10_240_000);
      await converse(dialogue, ['MAIL FROM:<a@example.org>', 'RCPT TO:<admin@corp.example>', 'DATA']);
      const line = `${'x'.repeat(998)}\r\n`;
      const end = await dialogue.sendMessage(`Subject: big\r\n\r\n${line.repeat(Math.ceil(size / line.length) + 1)}`);
      assert.match(end.last, /^552 5\.3\.4 /);
      await dialogue.quit();
      assert.deepEqual(server.outbox.messages, []);
    });
  });

  test('close() answers an idle client with 421 and stops listening', async () => {
    const server = await startPracticeServer({});
    const socket = net.connect(server.port, server.host);
    const lines = lineReader(socket);
    assert.match(await lines.next(), /^220 /);
    const closed = server.close();
    assert.match(await lines.next(), /^421 /);
    socket.destroy();
    await closed;
    await server.close(); // a second close is harmless
    const late = net.connect(server.port, server.host);
    await assert.rejects(new Promise((resolve, reject) => late.once('connect', resolve).once('error', reject)), /ECONNREFUSED/);
  });
});

/** Reads CRLF lines from a socket one at a time (the dialogue helper cannot follow a STARTTLS upgrade). */
function lineReader(socket: net.Socket | tls.TLSSocket) {
  const lines: string[] = [];
  let partial = '';
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    partial += chunk.toString('latin1');
    let end: number;
    while ((end = partial.indexOf('\r\n')) >= 0) {
      lines.push(partial.slice(0, end));
      partial = partial.slice(end + 2);
    }
    wake?.();
  });
  let closed = false;
  socket.on('close', () => {
    closed = true;
    wake?.();
  });
  socket.on('error', () => undefined);
  const next = async (): Promise<string> => {
    while (lines.length === 0) {
      if (closed) {
        throw new Error('the server closed the connection');
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
    return lines.shift() as string;
  };
  return {
    next,
    async untilFinal(): Promise<string[]> {
      const reply: string[] = [];
      for (;;) {
        const line = await next();
        reply.push(line);
        if (/^\d{3}(?: |$)/.test(line)) {
          return reply;
        }
      }
    },
  };
}
