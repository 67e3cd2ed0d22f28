import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { SMTPServer } from 'smtp-server';
import {
  CancelledError,
  CommandInjectionError,
  ConnectError,
  ConnectionClosedError,
  InvalidStateError,
  TimeoutError,
  TlsError,
} from '../../src/core/protocol/errors';
import type { EhloCapabilities } from '../../src/core/protocol/capabilities';
import type { SmtpReply } from '../../src/core/protocol/reply';
import { SmtpSession } from '../../src/core/protocol/session';
import type { SessionOptions } from '../../src/core/protocol/sessionOptions';
import { handlesBeyond, settledOpenHandles } from '../support/openHandles';
import {
  fixtureTlsCredentials,
  ipv6LoopbackAvailable,
  startScriptedServer,
  type ConnectionScript,
  type ScriptedServer,
  type ScriptedServerOptions,
} from '../support/scriptedServer';
import { everyTranscriptText, receivedBytesOf } from '../support/transcriptBytes';

const servers: ScriptedServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function scripted(script: ConnectionScript, options?: ScriptedServerOptions): Promise<ScriptedServer> {
  const server = await startScriptedServer(script, options);
  servers.push(server);
  return server;
}

function sessionFor(server: { host: string; port: number }, options: Partial<SessionOptions> = {}): SmtpSession {
  return new SmtpSession({ host: server.host, port: server.port, tls: 'none', timeouts: { replyMs: 5000, greetingMs: 5000 }, ...options });
}

const greeting = '220 mail.example.com ESMTP ready\r\n';
const ehloWithStarttls = '250-mail.example.com\r\n250-PIPELINING\r\n250 STARTTLS\r\n';

/** A server that greets, answers EHLO, and answers everything else by rule. */
function plainServer(rules: Parameters<import('../support/scriptedServer').ScriptedPeer['converse']>[0] = [], ehlo = '250-mail.example.com\r\n250 PIPELINING\r\n') {
  return scripted(async (peer) => {
    await peer.send(greeting);
    await peer.converse([[/^EHLO /i, ehlo], ...rules]);
  });
}

/** Greets, offers STARTTLS, upgrades on STARTTLS, then answers EHLO again and QUIT. */
const starttlsScript: ConnectionScript = async (peer) => {
  await peer.send(greeting);
  await peer.expect('EHLO ');
  await peer.send(ehloWithStarttls);
  await peer.expect('STARTTLS');
  await peer.send('220 2.0.0 Ready to start TLS\r\n');
  await peer.startTls();
  await peer.converse([[/^EHLO /i, '250-mail.example.com\r\n250 AUTH PLAIN LOGIN\r\n']]);
};

describe('SMTP session: connecting', () => {
  test('connect resolves with the greeting and records where it connected', async () => {
    const server = await plainServer();
    const session = sessionFor(server);
    const reply = await session.connect();
    assert.equal(reply.code, 220);
    assert.equal(session.state, 'ready');
    assert.equal(session.remoteAddress, '127.0.0.1');
    assert.deepEqual(session.greeting, reply);
    assert.deepEqual(
      session.transcript.map((event) => [event.kind, event.text, event.tls]),
      [
        ['info', `connected to 127.0.0.1:${server.port}`, false],
        ['received', '220 mail.example.com ESMTP ready', false],
      ],
    );
    assert.ok(session.transcript.every((event) => typeof event.at === 'number' && event.at > 0));
    await session.quit();
  });

  test('a 554 greeting is returned as a reply, not thrown', async () => {
    const server = await scripted(async (peer) => {
      await peer.send('554 5.7.1 no SMTP service here\r\n');
      await peer.converse([]);
    });
    const session = sessionFor(server);
    const reply = await session.connect();
    assert.equal(reply.code, 554);
    assert.equal(reply.enhanced, '5.7.1');
    await session.quit();
  });

  test('a refused connection is a ConnectError naming the refusal', async () => {
    const port = await freePort();
    const session = new SmtpSession({ host: '127.0.0.1', port, tls: 'none' });
    await assert.rejects(session.connect(), (error: unknown) => {
      assert.ok(error instanceof ConnectError);
      assert.match(error.message, new RegExp(`could not connect to 127\\.0\\.0\\.1:${port}: connection refused \\(ECONNREFUSED\\)`));
      return true;
    });
    assert.equal(session.state, 'closed');
  });

  test('connect can be called only once', async () => {
    const server = await plainServer();
    const session = sessionFor(server);
    await session.connect();
    await assert.rejects(session.connect(), InvalidStateError);
    session.close();
  });

  test('over IPv6 loopback, host "::1" works and the transcript writes the address in brackets', async (context) => {
    if (!(await ipv6LoopbackAvailable())) {
      context.skip('this machine cannot listen on ::1');
      return;
    }
    const server = await scripted(async (peer) => {
      await peer.send(greeting);
      await peer.converse([[/^EHLO /i, '250 mail.example.com\r\n']]);
    }, { host: '::1' });
    const session = sessionFor(server);
    assert.equal((await session.connect()).code, 220);
    assert.equal(session.remoteAddress, '::1');
    assert.equal(session.transcript[0].text, `connected to [::1]:${server.port}`);
    assert.equal((await session.ehlo('client.example.com')).code, 250);
    await session.quit();
  });
});

describe('SMTP session: commands and replies', () => {
  test('EHLO parses the capabilities', async () => {
    const server = await plainServer([], '250-mail.example.com Hello\r\n250-SIZE 52428800\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n');
    const session = sessionFor(server);
    await session.connect();
    await session.ehlo('client.example.com');
    assert.equal(session.capabilities?.domain, 'mail.example.com');
    assert.equal(session.capabilities?.size, 52428800);
    assert.deepEqual(session.capabilities?.authMechanisms, ['PLAIN']);
    await session.quit();
  });

  test('EHLO answered with 502 falls back to HELO', async () => {
    const server = await scripted(async (peer) => {
      await peer.send(greeting);
      await peer.converse([
        [/^EHLO /i, '502 5.5.1 command not implemented\r\n'],
        [/^HELO /i, '250 old.example.com\r\n'],
      ]);
    });
    const session = sessionFor(server);
    await session.connect();
    const reply = await session.ehlo('client.example.com');
    assert.equal(reply.code, 250);
    assert.equal(session.capabilities?.domain, 'old.example.com');
    assert.equal(session.capabilities?.pipelining, false);
    assert.deepEqual(server.peers[0].received.slice(0, 2), ['EHLO client.example.com', 'HELO client.example.com']);
    await session.quit();
  });

  test('a 550 reply is a return value with its enhanced code, and the session stays ready', async () => {
    const server = await plainServer([[/^RCPT /i, '550 5.7.1 Unable to relay\r\n']]);
    const session = sessionFor(server);
    await session.connect();
    await session.ehlo('client.example.com');
    const reply = await session.command('RCPT TO:<someone@example.org>');
    assert.deepEqual(reply, { code: 550, enhanced: '5.7.1', lines: ['5.7.1 Unable to relay'], text: 'Unable to relay' });
    assert.equal(session.state, 'ready');
    await session.quit();
  });

  test('each line of a multiline reply is recorded as it arrives, before the reply is complete', async () => {
    let releaseLastLine!: () => void;
    const lastLineReleased = new Promise<void>((resolve) => (releaseLastLine = resolve));
    const server = await scripted(async (peer) => {
      await peer.send(greeting);
      await peer.expect('EHLO ');
      await peer.send('250-mail.example.com\r\n');
      await lastLineReleased;
      await peer.send('250 PIPELINING\r\n');
      await peer.converse([]);
    });
    const session = sessionFor(server);
    await session.connect();
    let replyArrived = false;
    let firstLineSeenBeforeReply: boolean | undefined;
    session.onEvent((event) => {
      if (event.kind === 'received' && event.text === '250-mail.example.com') {
        firstLineSeenBeforeReply = !replyArrived;
        releaseLastLine();
      }
    });
    await session.ehlo('client.example.com').then(() => (replyArrived = true));
    assert.equal(firstLineSeenBeforeReply, true);
    await session.quit();
  });

  test('a command with CR or LF is refused and nothing of it is sent', async () => {
    const server = await plainServer([[/^NOOP/i, '250 2.0.0 OK\r\n']]);
    const session = sessionFor(server);
    await session.connect();
    await session.ehlo('client.example.com');
    const eventsBefore = session.transcript.length;
    await assert.rejects(session.command('MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>'), CommandInjectionError);
    await assert.rejects(session.pipeline(['NOOP', 'RSET\nDATA']), CommandInjectionError);
    await assert.rejects(session.ehlo('client.example.com\rQUIT'), CommandInjectionError);
    assert.equal(session.transcript.length, eventsBefore, 'nothing recorded as sent');
    // The server answers NOOP after reading everything sent before it: any injected bytes would show first.
    await session.command('NOOP');
    assert.deepEqual(server.peers[0].received, ['EHLO client.example.com', 'NOOP']);
    await session.quit();
  });

  test('with PIPELINING advertised, the commands go in one write before any reply', async () => {
    const server = await scripted(async (peer) => {
      await peer.send(greeting);
      await peer.expect('EHLO ');
      await peer.send('250-mail.example.com\r\n250 PIPELINING\r\n');
      await peer.expect('RSET');
      await peer.expect('MAIL FROM:');
      await peer.expect('RCPT TO:');
      await peer.send('250 2.0.0 reset\r\n250 2.1.0 sender ok\r\n550 5.7.1 relay denied\r\n');
      await peer.converse([]);
    });
    const session = sessionFor(server);
    await session.connect();
    await session.ehlo('client.example.com');
    const replies = await session.pipeline(['RSET', 'MAIL FROM:<a@example.com>', 'RCPT TO:<b@example.org>']);
    assert.deepEqual(replies.map((reply) => reply.code), [250, 250, 550]);
    assert.deepEqual(
      server.peers[0].log.slice(-4).map((entry) => entry.from),
      ['client', 'client', 'client', 'server'],
    );
    await session.quit();
  });

  test('without PIPELINING, each command waits for the reply to the one before', async () => {
    const server = await plainServer(
      [
        [/^RSET/i, '250 2.0.0 reset\r\n'],
        [/^MAIL /i, '250 2.1.0 sender ok\r\n'],
      ],
      '250 mail.example.com\r\n',
    );
    const session = sessionFor(server);
    await session.connect();
    await session.ehlo('client.example.com');
    const replies = await session.pipeline(['RSET', 'MAIL FROM:<a@example.com>']);
    assert.deepEqual(replies.map((reply) => reply.code), [250, 250]);
    assert.deepEqual(
      server.peers[0].log.slice(-4).map((entry) => entry.from),
      ['client', 'server', 'client', 'server'],
    );
    await session.quit();
  });

  test('DATA normalises line endings, dot-stuffs, and ends with a lone dot', async () => {
    const server = await scripted(async (peer) => {
      await peer.send(greeting);
      await peer.expect('EHLO ');
      await peer.send('250 mail.example.com\r\n');
      await peer.expect('DATA');
      await peer.send('354 go ahead\r\n');
      while ((await peer.readLine()) !== '.') {
        // reading the body up to the end marker
      }
      await peer.send('250 2.0.0 queued as 1234\r\n');
      await peer.converse([]);
    });
    const session = sessionFor(server);
    await session.connect();
    await session.ehlo('client.example.com');
    const reply = await session.data('Subject: test\n\n.hidden line\n.\nlast\r');
    assert.equal(reply.code, 250);
    const wire = server.peers[0].receivedBytes.toString('latin1');
    assert.ok(wire.endsWith('DATA\r\nSubject: test\r\n\r\n..hidden line\r\n..\r\nlast\r\n.\r\n'), JSON.stringify(wire));
    assert.deepEqual(
      session.transcript.filter((event) => event.kind === 'sent').map((event) => event.text).slice(-6),
      ['Subject: test', '', '..hidden line', '..', 'last', '.'],
    );
    await session.quit();
  });

  test('DATA refused with 554 returns the reply and sends no body', async () => {
    const server = await plainServer([[/^DATA/i, '554 5.5.1 no valid recipients\r\n']]);
    const session = sessionFor(server);
    await session.connect();
    await session.ehlo('client.example.com');
    assert.equal((await session.data('body')).code, 554);
    await session.quit();
    assert.ok(!server.peers[0].received.includes('body'));
  });

  test('a 421 reply to a command is returned, and the session closes when the server does', async () => {
    const server = await scripted(async (peer) => {
      await peer.send(greeting);
      await peer.expect('EHLO ');
      await peer.send('250 mail.example.com\r\n');
      await peer.expect('MAIL ');
      await peer.send('421 4.3.2 shutting down\r\n');
      await peer.end();
    });
    const session = sessionFor(server);
    const closed = new Promise<unknown>((resolve) => session.onClose(resolve));
    await session.connect();
    await session.ehlo('client.example.com');
    const reply = await session.command('MAIL FROM:<a@example.com>');
    assert.equal(reply.code, 421);
    assert.equal(await closed, undefined, 'a close after 421 is expected, not an error');
    assert.equal(session.state, 'closed');
    assert.ok(session.transcript.some((event) => event.kind === 'info' && event.text === 'connection closed by server'));
    await assert.rejects(session.command('RSET'), InvalidStateError);
  });

  test('an unsolicited 421 while idle is reported to listeners, then the session closes', async () => {
    const server = await scripted(async (peer) => {
      await peer.send(greeting);
      await peer.expect('EHLO ');
      await peer.send('250 mail.example.com\r\n');
      await peer.send('421 4.4.2 mail.example.com idle too long\r\n');
      await peer.end();
    });
    const session = sessionFor(server);
    const unsolicited: SmtpReply[] = [];
    session.onUnsolicitedReply((reply) => unsolicited.push(reply));
    const closed = new Promise<unknown>((resolve) => session.onClose(resolve));
    await session.connect();
    await session.ehlo('client.example.com');
    await closed;
    assert.deepEqual(unsolicited.map((reply) => reply.code), [421]);
    assert.equal(session.state, 'closed');
  });

  test('quit sends QUIT, waits for 221, and closes', async () => {
    const server = await plainServer();
    const session = sessionFor(server);
    await session.connect();
    await session.quit();
    assert.equal(session.state, 'closed');
    await server.peers[0].closed;
    assert.deepEqual(server.peers[0].received, ['QUIT']);
    assert.ok(session.transcript.some((event) => event.kind === 'received' && event.text.startsWith('221')));
  });
});

describe('SMTP session: closing and cancelling', () => {
  test('close() rejects what is pending, and leaves no socket or timer behind', async () => {
    const server = await scripted(async (peer) => {
      await peer.send(greeting);
      await peer.hang();
    });
    const baseline = await settledOpenHandles();
    const session = sessionFor(server);
    await session.connect();
    const pending = session.command('NOOP');
    session.close();
    session.close();
    await assert.rejects(pending, ConnectionClosedError);
    assert.equal(session.state, 'closed');
    // The server still listens: the client socket, its timers, and the server's end must all be gone.
    assert.deepEqual(await handlesBeyond(baseline), {});
  });

  test('aborting the signal rejects the pending command with CancelledError and closes the socket', async () => {
    const server = await scripted(async (peer) => {
      await peer.send(greeting);
      await peer.hang();
    });
    const controller = new AbortController();
    const session = sessionFor(server, { signal: controller.signal });
    await session.connect();
    const pending = session.command('NOOP');
    controller.abort();
    await assert.rejects(pending, (error: unknown) => {
      assert.ok(error instanceof CancelledError);
      assert.match(error.message, /cancelled while waiting for the reply to "NOOP"/);
      return true;
    });
    assert.equal(session.state, 'closed');
    await server.peers[0].closed;
  });

  test('a signal aborted before connect means no connection is made', async () => {
    const server = await plainServer();
    const controller = new AbortController();
    controller.abort();
    const session = sessionFor(server, { signal: controller.signal });
    await assert.rejects(session.connect(), CancelledError);
    assert.equal(server.peers.length, 0);
  });

  test('aborting during connect rejects connect with CancelledError', async () => {
    const server = await scripted(async (peer) => {
      await peer.hang();
    });
    const controller = new AbortController();
    const session = sessionFor(server, { signal: controller.signal });
    const connecting = session.connect();
    await server.waitForPeers(1);
    controller.abort();
    await assert.rejects(connecting, CancelledError);
  });
});

describe('SMTP session: TLS', () => {
  test('STARTTLS upgrades in place; later lines are marked TLS and EHLO is needed again', async () => {
    const server = await scripted(starttlsScript);
    const session = sessionFor(server, { tls: 'starttls', rejectUnauthorized: false });
    await session.connect();
    await session.ehlo('client.example.com');
    assert.equal(session.capabilities?.starttls, true);
    const reply = await session.starttls();
    assert.equal(reply.code, 220);
    assert.equal(session.tlsActive, true);
    assert.equal(session.capabilities, undefined, 'capabilities from before TLS are forgotten (RFC 3207)');
    await session.ehlo('client.example.com');
    assert.deepEqual((session.capabilities as EhloCapabilities | undefined)?.authMechanisms, ['PLAIN', 'LOGIN']);
    const established = session.transcript.find((event) => event.text.startsWith('TLS established'));
    assert.match(established?.text ?? '', /^TLS established \(TLSv1\.[23], \S+; certificate not checked\)$/);
    const starttlsReplyIndex = session.transcript.findIndex((event) => event.text.startsWith('220 2.0.0'));
    assert.ok(session.transcript.slice(0, starttlsReplyIndex + 1).every((event) => !event.tls));
    assert.ok(session.transcript.slice(starttlsReplyIndex + 1).every((event) => event.tls));
    await session.quit();
    assert.deepEqual(server.scriptErrors, []);
  });

  test('STARTTLS with certificate checking on (the default) fails on a self-signed certificate', async () => {
    const server = await scripted(starttlsScript);
    const session = sessionFor(server, { tls: 'starttls' });
    await session.connect();
    await session.ehlo('client.example.com');
    await assert.rejects(session.starttls(), (error: unknown) => {
      assert.ok(error instanceof TlsError);
      assert.match(error.message, /certificate of 127\.0\.0\.1:\d+ not accepted: self[- ]signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
      return true;
    });
    assert.equal(session.state, 'closed');
    assert.equal(session.tlsActive, false);
  });

  test('bytes sent after the 220 to STARTTLS are not taken as a reply, and are recorded as a protocol error', async () => {
    const server = await scripted(async (peer) => {
      await peer.send(greeting);
      await peer.expect('EHLO ');
      await peer.send(ehloWithStarttls);
      await peer.expect('STARTTLS');
      await peer.send('220 2.0.0 go ahead\r\n250 injected before TLS\r\n');
      await peer.startTls();
      await peer.converse([[/^EHLO /i, '250 mail.example.com\r\n']]);
    });
    const session = sessionFor(server, { tls: 'starttls', rejectUnauthorized: false });
    await session.connect();
    await session.ehlo('client.example.com');
    await session.starttls();
    const reply = await session.ehlo('client.example.com');
    assert.equal(reply.text, 'mail.example.com', 'the EHLO reply is the real one, not the injected line');
    assert.ok(session.transcript.some((event) => event.kind === 'error' && /sent 25 bytes after its 220 to STARTTLS/.test(event.text)));
    assert.deepEqual(receivedBytesOf(session.transcript), server.peers[0].sentBytes);
    await session.quit();
  });

  test('implicit TLS (port 465 style) connects with TLS first, with checking turned off', async () => {
    const server = await scripted(async (peer) => {
      await peer.send(greeting);
      await peer.converse([[/^EHLO /i, '250 mail.example.com\r\n']]);
    }, { implicitTls: true });
    const session = sessionFor(server, { tls: 'implicit', rejectUnauthorized: false });
    const reply = await session.connect();
    assert.equal(reply.code, 220);
    assert.equal(session.tlsActive, true);
    assert.deepEqual(
      session.transcript.map((event) => [event.kind, event.tls]),
      [
        ['info', false],
        ['info', true],
        ['received', true],
      ],
    );
    await session.quit();
  });

  test('implicit TLS to a server that never answers the handshake: a TimeoutError within the connect time', async () => {
    const server = await scripted((peer) => peer.hang());
    const baseline = await settledOpenHandles();
    const session = sessionFor(server, { tls: 'implicit', timeouts: { connectMs: 300 } });
    await assert.rejects(session.connect(), (error: unknown) => {
      assert.ok(error instanceof TimeoutError);
      assert.match(error.message, /^could not connect to 127\.0\.0\.1:\d+ within 300 ms$/);
      return true;
    });
    assert.equal(session.state, 'closed');
    assert.deepEqual(await handlesBeyond(baseline), {});
  });

  test('implicit TLS with certificate checking on (the default) fails with a TlsError naming the certificate problem', async () => {
    const server = await scripted(async (peer) => {
      await peer.send(greeting);
      await peer.converse([]);
    }, { implicitTls: true });
    const session = sessionFor(server, { tls: 'implicit' });
    await assert.rejects(session.connect(), (error: unknown) => {
      assert.ok(error instanceof TlsError);
      assert.match(error.message, /not accepted: self[- ]signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\); turn certificate checking off only for a lab server/);
      return true;
    });
    assert.equal(session.state, 'closed');
  });
});

describe('SMTP session: authentication', () => {
  const username = 'alice@example.com';
  const secret = 'pä55 w0rd!';

  async function authServer(): Promise<SMTPServer & { port: number }> {
    const server = new SMTPServer({
      ...fixtureTlsCredentials(),
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === username && auth.password === secret) {
          callback(null, { user: auth.username });
        } else {
          callback(new Error('5.7.8 bad credentials'));
        }
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as net.AddressInfo).port;
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return Object.assign(server, { port });
  }

  function assertSecretAbsent(session: SmtpSession): void {
    const forbidden = [
      secret,
      Buffer.from(secret).toString('base64'),
      Buffer.from(`\0${username}\0${secret}`).toString('base64'),
      Buffer.from(`${username}\0${secret}`).toString('base64'),
    ];
    for (const text of everyTranscriptText(session.transcript)) {
      for (const needle of forbidden) {
        assert.ok(!text.includes(needle), `the transcript line ${JSON.stringify(text)} reveals the secret`);
      }
    }
  }

  for (const mechanism of ['PLAIN', 'LOGIN'] as const) {
    test(`AUTH ${mechanism} authenticates, and no form of the secret appears in the transcript`, async () => {
      const server = await authServer();
      const session = new SmtpSession({ host: '127.0.0.1', port: server.port, tls: 'none' });
      const seen: string[] = [];
      session.onEvent((event) => seen.push(event.text));
      await session.connect();
      await session.ehlo('client.example.com');
      const reply = await session.authenticate(mechanism, username, secret);
      assert.equal(reply.code, 235);
      assertSecretAbsent(session);
      assert.ok(seen.every((text) => !text.includes(secret)));
      const sent = session.transcript.filter((event) => event.kind === 'sent').map((event) => event.text);
      if (mechanism === 'PLAIN') {
        assert.ok(sent.includes('AUTH PLAIN <redacted>'));
      } else {
        assert.ok(sent.includes('AUTH LOGIN'));
        assert.ok(sent.includes(Buffer.from(username).toString('base64')), 'the user name line may show');
        assert.ok(sent.includes('<redacted>'));
      }
      await session.quit();
    });
  }

  test('a wrong secret gives a 535 reply, not an exception, and is not recorded either', async () => {
    const server = await authServer();
    const session = new SmtpSession({ host: '127.0.0.1', port: server.port, tls: 'none' });
    await session.connect();
    await session.ehlo('client.example.com');
    const wrong = 'not-the-secret-1234';
    const reply = await session.authenticate('PLAIN', username, wrong);
    assert.equal(reply.code, 535);
    for (const text of everyTranscriptText(session.transcript)) {
      assert.ok(!text.includes(wrong) && !text.includes(Buffer.from(`\0${username}\0${wrong}`).toString('base64')));
    }
    await session.quit();
  });
});

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
