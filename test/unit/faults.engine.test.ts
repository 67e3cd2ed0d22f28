/**
 * The engine against servers that misbehave. For each fault: the error (or the transcript's error event)
 * names what happened, the transcript holds every byte the server sent up to the fault, and no socket or
 * timer is left behind.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, ConnectionClosedError, InvalidStateError, ProtocolError, SmtpError, TimeoutError, TlsError } from '../../src/core/protocol/errors';
import { replyCapBytes } from '../../src/core/protocol/replyParser';
import { SmtpSession } from '../../src/core/protocol/session';
import { handlesBeyond, settledOpenHandles } from '../support/openHandles';
import { startScriptedServer, type ConnectionScript, type ScriptedPeer } from '../support/scriptedServer';
import { receivedBytesOf } from '../support/transcriptBytes';

const greeting = '220 mail.example.com ESMTP\r\n';
/** For the faults that are timeouts. The others get room enough for a loaded machine. */
const shortTimeouts = { greetingMs: 300, replyMs: 300, dataEndMs: 300 };
const roomyTimeouts = { greetingMs: 10_000, replyMs: 10_000, dataEndMs: 10_000 };

interface FaultRun {
  session: SmtpSession;
  peer: ScriptedPeer;
  /** The rejection of drive(), if any. */
  error: unknown;
}

/**
 * Runs one fault: a scripted server, a session with short timeouts driven by `drive`, then closes the
 * session and proves nothing stayed open.
 */
async function runFault(
  script: ConnectionScript,
  drive: (session: SmtpSession) => Promise<unknown>,
  timeouts = roomyTimeouts,
  signal?: AbortSignal,
): Promise<FaultRun> {
  const server = await startScriptedServer(script);
  const baseline = await settledOpenHandles();
  const session = new SmtpSession({ host: server.host, port: server.port, tls: 'none', rejectUnauthorized: false, timeouts, ...(signal ? { signal } : {}) });
  let error: unknown;
  try {
    await drive(session);
  } catch (caught) {
    error = caught;
  }
  const [peer] = await server.waitForPeers(1);
  session.close();
  // Checked while the server still listens: the client's socket and timers must go, and with them the
  // server's end of the connection.
  assert.deepEqual(await handlesBeyond(baseline), {}, 'no socket or timer may stay open');
  await server.close();
  assert.deepEqual(server.scriptErrors, []);
  return { session, peer, error };
}

function errorEvents(session: SmtpSession): string[] {
  return session.transcript.filter((event) => event.kind === 'error').map((event) => event.text);
}

async function greetAndEhlo(session: SmtpSession): Promise<void> {
  await session.connect();
  await session.ehlo('client.example.com');
}

describe('engine faults', () => {
  test('no greeting: a TimeoutError naming the server and the wait', async () => {
    const { session, peer, error } = await runFault((peer) => peer.hang(), (session) => session.connect(), shortTimeouts);
    assert.ok(error instanceof TimeoutError);
    assert.match(error.message, /^no greeting from 127\.0\.0\.1:\d+ within 300 ms$/);
    assert.deepEqual(errorEvents(session), [error.message]);
    assert.equal(session.state, 'closed');
    assert.deepEqual(receivedBytesOf(session.transcript), peer.sentBytes);
  });

  test('a greeting dripped one byte at a time is read as one reply of whole lines', async () => {
    const multiline = '220-mail.example.com ESMTP\r\n220 ready when you are\r\n';
    const { session, peer, error } = await runFault(
      async (peer) => {
        await peer.drip(multiline, 1);
        await peer.converse([]);
      },
      async (session) => {
        const reply = await session.connect();
        assert.equal(reply.code, 220);
        assert.equal(reply.text, 'mail.example.com ESMTP\nready when you are');
      },
    );
    assert.equal(error, undefined);
    assert.deepEqual(
      session.transcript.filter((event) => event.kind === 'received').map((event) => event.text),
      ['220-mail.example.com ESMTP', '220 ready when you are'],
    );
    assert.deepEqual(receivedBytesOf(session.transcript), peer.sentBytes);
  });

  test('a reset in the middle of a multiline reply: ConnectionClosedError saying the reply was cut off', async () => {
    let releaseReset!: () => void;
    const resetReleased = new Promise<void>((resolve) => (releaseReset = resolve));
    const { session, peer, error } = await runFault(
      async (peer) => {
        await peer.send(greeting);
        await peer.expect('EHLO ');
        await peer.send('250-mail.example.com\r\n250-PIPEL');
        await resetReleased;
        peer.reset();
      },
      async (session) => {
        session.onEvent((event) => {
          if (event.text === '250-mail.example.com') {
            releaseReset();
          }
        });
        await greetAndEhlo(session);
      },
    );
    assert.ok(error instanceof ConnectionClosedError);
    assert.match(
      error.message,
      /^connection reset \(ECONNRESET\) by 127\.0\.0\.1:\d+ in the middle of the reply to "EHLO client\.example\.com": the reply was cut off after 2 lines$/,
    );
    const last = session.transcript.filter((event) => event.kind === 'received').at(-1);
    assert.deepEqual([last?.text, last?.ending], ['250-PIPEL', 'none']);
    assert.deepEqual(receivedBytesOf(session.transcript), peer.sentBytes);
  });

  test('421 mid-session: the reply is returned, then the session is closed and says so', async () => {
    const { session, peer, error } = await runFault(
      async (peer) => {
        await peer.send(greeting);
        await peer.expect('EHLO ');
        await peer.send('250 mail.example.com\r\n');
        await peer.expect('MAIL ');
        await peer.send('421 4.7.0 mail.example.com too many errors, closing\r\n');
        await peer.end();
      },
      async (session) => {
        await greetAndEhlo(session);
        const closed = new Promise<void>((resolve) => session.onClose(() => resolve()));
        const reply = await session.command('MAIL FROM:<a@example.com>');
        assert.equal(reply.code, 421);
        await closed;
        await session.command('RCPT TO:<b@example.org>');
      },
    );
    assert.ok(error instanceof InvalidStateError);
    assert.equal(error.message, 'cannot send a command: the session is closed');
    assert.ok(session.transcript.some((event) => event.text === 'the server is closing the connection (421)'));
    assert.ok(session.transcript.some((event) => event.text === 'connection closed by server'));
    assert.deepEqual(receivedBytesOf(session.transcript), peer.sentBytes);
  });

  test('a 100 KB reply line is delivered whole and flagged as overlong', async () => {
    const long = 'x'.repeat(100_000);
    const { session, peer, error } = await runFault(
      async (peer) => {
        await peer.send(greeting);
        await peer.expect('EHLO ');
        await peer.send(`250-mail.example.com\r\n250 ${long}\r\n`);
        await peer.converse([]);
      },
      async (session) => {
        await session.connect();
        const reply = await session.ehlo('client.example.com');
        assert.equal(reply.lines[1], long);
      },
    );
    assert.equal(error, undefined);
    assert.deepEqual(errorEvents(session), ['protocol: overlong line of 100004 bytes (RFC 5321 allows 512)']);
    assert.deepEqual(receivedBytesOf(session.transcript), peer.sentBytes);
  });

  test('bare LF line endings are read, marked on each line, and reported', async () => {
    const { session, peer, error } = await runFault(
      async (peer) => {
        await peer.send('220-mail.example.com\n220 ready\n');
        await peer.converse([]);
      },
      async (session) => {
        assert.equal((await session.connect()).code, 220);
      },
    );
    assert.equal(error, undefined);
    const received = session.transcript.filter((event) => event.kind === 'received');
    assert.deepEqual(received.map((event) => event.ending), ['lf', 'lf']);
    assert.deepEqual(errorEvents(session), [
      'protocol: line ended with a bare LF instead of CRLF',
      'protocol: line ended with a bare LF instead of CRLF',
    ]);
    assert.deepEqual(receivedBytesOf(session.transcript), peer.sentBytes);
  });

  test('NUL and invalid UTF-8 bytes are escaped in the transcript, reported, and not lost', async () => {
    const dirty = Buffer.concat([Buffer.from('220 mail'), Buffer.from([0x00, 0xc3, 0x28, 0xff]), Buffer.from('.example.com\r\n')]);
    const { session, peer, error } = await runFault(
      async (peer) => {
        await peer.send(dirty);
        await peer.converse([]);
      },
      async (session) => {
        const reply = await session.connect();
        assert.equal(reply.text, 'mail\\x00\\xC3(\\xFF.example.com');
      },
    );
    assert.equal(error, undefined);
    assert.deepEqual(errorEvents(session), [
      'protocol: line contains NUL bytes',
      'protocol: line contains bytes that are not valid UTF-8 (shown as \\xNN)',
    ]);
    assert.deepEqual(receivedBytesOf(session.transcript), peer.sentBytes);
  });

  test('a multiline reply with different codes takes the last code and reports the mix', async () => {
    const { session, peer, error } = await runFault(
      async (peer) => {
        await peer.send(greeting);
        await peer.expect('EHLO ');
        await peer.send('250 mail.example.com\r\n');
        await peer.expect('RCPT ');
        await peer.send('250-2.1.5 looks fine\r\n550 5.7.1 but relay denied\r\n');
        await peer.converse([]);
      },
      async (session) => {
        await greetAndEhlo(session);
        const reply = await session.command('RCPT TO:<b@example.org>');
        assert.equal(reply.code, 550);
        assert.deepEqual(reply.problems, ['reply lines carry different codes (250, 550)']);
      },
    );
    assert.equal(error, undefined);
    assert.deepEqual(errorEvents(session), ['protocol: reply lines carry different codes (250, 550)']);
    assert.deepEqual(receivedBytesOf(session.transcript), peer.sentBytes);
  });

  test('TLS handshake failure after STARTTLS: a TlsError, and the session is closed', async () => {
    let plainBytesBeforeGarbage = 0;
    const { session, peer, error } = await runFault(
      async (peer) => {
        await peer.send(greeting);
        await peer.expect('EHLO ');
        await peer.send('250-mail.example.com\r\n250 STARTTLS\r\n');
        await peer.expect('STARTTLS');
        await peer.send('220 2.0.0 Ready to start TLS\r\n');
        await peer.nextChunk(); // the client's TLS ClientHello
        plainBytesBeforeGarbage = peer.sentBytes.length;
        await peer.send('this is not TLS at all\r\n');
        await peer.end();
      },
      async (session) => {
        await greetAndEhlo(session);
        await session.starttls();
      },
    );
    assert.ok(error instanceof TlsError);
    assert.match(error.message, /^TLS handshake with 127\.0\.0\.1:\d+ failed: /);
    assert.equal(session.state, 'closed');
    assert.equal(session.tlsActive, false);
    assert.deepEqual(errorEvents(session), [error.message]);
    // The garbage went to the TLS layer as handshake bytes; every SMTP line before it is in the transcript.
    assert.deepEqual(receivedBytesOf(session.transcript), peer.sentBytes.subarray(0, plainBytesBeforeGarbage));
  });

  test('STARTTLS refused with 454: the reply is returned and the session stays plain and usable', async () => {
    const { session, peer, error } = await runFault(
      async (peer) => {
        await peer.send(greeting);
        await peer.expect('EHLO ');
        await peer.send('250-mail.example.com\r\n250 STARTTLS\r\n');
        await peer.converse([
          [/^STARTTLS/i, '454 4.7.0 TLS not available due to temporary reason\r\n'],
          [/^NOOP/i, '250 2.0.0 OK\r\n'],
        ]);
      },
      async (session) => {
        await greetAndEhlo(session);
        const reply = await session.starttls();
        assert.deepEqual([reply.code, reply.enhanced, reply.text], [454, '4.7.0', 'TLS not available due to temporary reason']);
        assert.equal(session.tlsActive, false);
        assert.equal((await session.command('NOOP')).code, 250);
      },
    );
    assert.equal(error, undefined);
    assert.ok(session.transcript.every((event) => !event.tls));
    assert.deepEqual(receivedBytesOf(session.transcript), peer.sentBytes);
  });

  test('no reply after DATA: a TimeoutError naming the end of the message', async () => {
    const { session, peer, error } = await runFault(
      async (peer) => {
        await peer.send(greeting);
        await peer.expect('EHLO ');
        await peer.send('250 mail.example.com\r\n');
        await peer.expect('DATA');
        await peer.send('354 End data with <CR><LF>.<CR><LF>\r\n');
        await peer.hang();
      },
      async (session) => {
        await greetAndEhlo(session);
        await session.data('Subject: test\r\n\r\nhello\r\n');
      },
      { ...roomyTimeouts, dataEndMs: 300 },
    );
    assert.ok(error instanceof TimeoutError);
    assert.match(error.message, /^no reply to the end of the message \("\."\) from 127\.0\.0\.1:\d+ within 300 ms$/);
    assert.equal(session.state, 'closed');
    assert.deepEqual(receivedBytesOf(session.transcript), peer.sentBytes);
  });

  test('a server that closes right after accepting: ConnectionClosedError before any greeting', async () => {
    const { session, peer, error } = await runFault(
      (peer) => peer.end(),
      (session) => session.connect(),
    );
    assert.ok(error instanceof ConnectionClosedError);
    assert.match(error.message, /^connection closed by 127\.0\.0\.1:\d+ before sending a greeting$/);
    assert.equal(session.state, 'closed');
    assert.deepEqual(receivedBytesOf(session.transcript), peer.sentBytes);
  });

  // Issue 8, item 8: what arrived before the session gave up is in the transcript, byte for byte.
  test('a greeting dripped byte by byte and never finished: the timeout keeps every byte it sent', async () => {
    const { session, peer, error } = await runFault(
      async (peer) => {
        await peer.drip('220 mail.example.com slo', 5);
        await peer.hang();
      },
      (session) => session.connect(),
      { greetingMs: 2000, replyMs: 2000, dataEndMs: 2000 },
    );
    assert.ok(error instanceof TimeoutError);
    assert.equal(peer.sentBytes.toString('latin1'), '220 mail.example.com slo');
    assert.deepEqual(receivedBytesOf(session.transcript), peer.sentBytes);
    const partial = session.transcript.find((event) => event.kind === 'received');
    assert.deepEqual([partial?.text, partial?.ending], ['220 mail.example.com slo', 'none']);
  });

  test('a partial "250-second" held open until the reply timeout: the partial line is kept', async () => {
    const { session, peer, error } = await runFault(
      async (peer) => {
        await peer.send(greeting);
        await peer.expect(/^EHLO /);
        await peer.send('250-first\r\n250-second');
        await peer.hang();
      },
      greetAndEhlo,
      { greetingMs: 10_000, replyMs: 1000, dataEndMs: 1000 },
    );
    assert.ok(error instanceof TimeoutError);
    assert.deepEqual(receivedBytesOf(session.transcript), peer.sentBytes);
    assert.ok(session.transcript.some((event) => event.kind === 'received' && event.text === '250-second' && event.ending === 'none'));
  });

  test('a cancel (Ctrl+C) while a line is half read: the half line is kept, before the cancel note', async () => {
    const controller = new AbortController();
    const { session, peer, error } = await runFault(
      async (peer) => {
        // One write: when the first line is seen, the partial one is already in the parser.
        await peer.send('220-first line\r\n220 still arriv');
        await peer.hang();
      },
      (session) => {
        session.onEvent((event) => {
          if (event.kind === 'received' && event.text === '220-first line') {
            // As a signal handler would: after the chunk being parsed.
            setImmediate(() => controller.abort());
          }
        });
        return session.connect();
      },
      roomyTimeouts,
      controller.signal,
    );
    assert.ok(error instanceof CancelledError);
    assert.deepEqual(receivedBytesOf(session.transcript), peer.sentBytes);
    const kinds = session.transcript.map((event) => `${event.kind} ${event.text}`);
    assert.ok(kinds.indexOf('received 220 still arriv') < kinds.findIndex((kind) => kind.startsWith('info cancelled')));
  });

  test('an endless line without CRLF: the reply ends with a ProtocolError at the cap, the kept bytes exact, the dropped counted', async () => {
    const endless = Buffer.alloc(3 * replyCapBytes, 'A');
    const { session, peer, error } = await runFault(
      async (peer) => {
        await peer.send(greeting);
        await peer.expect(/^EHLO /);
        await peer.send(Buffer.concat([Buffer.from('250-'), endless]));
        await peer.hang();
      },
      greetAndEhlo,
    );
    assert.ok(error instanceof ProtocolError);
    assert.match(error.message, new RegExp(`passed ${replyCapBytes} bytes for one reply without ending; the transcript keeps the first ${replyCapBytes} bytes of it and \\d+ more bytes received were dropped`));
    assert.deepEqual(receivedBytesOf(session.transcript), peer.sentBytes.subarray(0, greeting.length + replyCapBytes));
    assert.deepEqual(errorEvents(session).at(-1), error.message);
    assert.equal(session.state, 'closed');
  });

  test('every engine failure above is an SmtpError with a one-line message', async () => {
    const { error } = await runFault((peer) => peer.hang(), (session) => session.connect(), shortTimeouts);
    assert.ok(error instanceof SmtpError);
    assert.doesNotMatch(error.message, /\n|\s{2}at /);
  });
});
