import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readPositionedTranscript, readTranscript, TranscriptParseError, writeTranscript } from '../../src/core/transcript/transcriptFormat';
import type { Transcript, TranscriptEvent } from '../../src/core/transcript/transcriptEvent';

const startedAt = Date.parse('2026-11-28T22:30:00.000Z');

function event(kind: TranscriptEvent['kind'], offsetMs: number, text: string, extra: Partial<TranscriptEvent> = {}): TranscriptEvent {
  return { kind, at: startedAt + offsetMs, tls: false, text, ...extra };
}

const starttlsSession: Transcript = {
  header: { tool: 'smtp-relay-lab 0.1.0', target: '127.0.0.1:2525', startedAt, extra: { tls: 'starttls' } },
  events: [
    event('info', 0, 'connecting to 127.0.0.1:2525'),
    event('received', 4, '220 mail.example.com ESMTP'),
    event('sent', 10, 'EHLO client.example.org'),
    event('received', 12, '250-mail.example.com'),
    event('received', 12, '250 STARTTLS'),
    event('sent', 13, 'STARTTLS'),
    event('received', 15, '220 2.0.0 Ready to start TLS'),
    event('info', 40, 'TLS established: TLSv1.3', { tls: true }),
    event('sent', 41, 'EHLO client.example.org', { tls: true }),
    event('received', 1250, '250 mail.example.com', { tls: true }),
    event('error', 61_000, 'no reply within 60 s', { tls: true }),
  ],
};

function parseErrorOf(text: string): TranscriptParseError {
  try {
    readTranscript(text);
  } catch (error) {
    assert.ok(error instanceof TranscriptParseError, `expected a TranscriptParseError, got ${String(error)}`);
    return error;
  }
  assert.fail('readTranscript accepted a corrupt transcript');
}

describe('transcript format: writing', () => {
  test('writes the header, then one line per event with a relative timestamp and a swaks-style marker', () => {
    assert.equal(
      writeTranscript(starttlsSession),
      [
        '=== SMTP Relay Lab transcript v1',
        '=== tool: smtp-relay-lab 0.1.0',
        '=== target: 127.0.0.1:2525',
        '=== started: 2026-11-28T22:30:00.000Z',
        '=== tls: starttls',
        '+0.000 === connecting to 127.0.0.1:2525',
        '+0.004 <-  220 mail.example.com ESMTP',
        '+0.010  -> EHLO client.example.org',
        '+0.012 <-  250-mail.example.com',
        '+0.012 <-  250 STARTTLS',
        '+0.013  -> STARTTLS',
        '+0.015 <-  220 2.0.0 Ready to start TLS',
        '+0.040 =~= TLS established: TLSv1.3',
        '+0.041  ~> EHLO client.example.org',
        '+1.250 <~  250 mail.example.com',
        '+61.000 *~* no reply within 60 s',
        '',
      ].join('\n'),
    );
  });

  test('a received line that ended with a bare LF is marked " \\LF", one cut short by the peer " \\EOF"', () => {
    const text = writeTranscript({
      header: { tool: 't', startedAt },
      events: [event('received', 1, '250 ok', { ending: 'lf' }), event('received', 2, '421 bye', { ending: 'none' })],
    });
    assert.match(text, /^\+0\.001 <- {2}250 ok \\LF$/m);
    assert.match(text, /^\+0\.002 <- {2}421 bye \\EOF$/m);
  });

  test('an event before the start time gets a negative offset', () => {
    const text = writeTranscript({ header: { tool: 't', startedAt }, events: [event('info', -1500, 'resolving')] });
    assert.match(text, /^-1\.500 === resolving$/m);
  });

  test('a time that is not a whole millisecond is written as an absolute number', () => {
    const text = writeTranscript({ header: { tool: 't', startedAt }, events: [{ kind: 'sent', at: startedAt + 0.25, tls: false, text: 'NOOP' }] });
    assert.match(text, new RegExp(`^@${startedAt + 0.25}  -> NOOP$`, 'm'));
  });
});

describe('transcript format: reading back what was written', () => {
  test('a STARTTLS session round-trips exactly, header and events', () => {
    assert.deepEqual(readTranscript(writeTranscript(starttlsSession)), starttlsSession);
  });

  test('line endings round-trip, and an escaped backslash before "LF" is text, not a marker', () => {
    const transcript: Transcript = {
      header: { tool: 't', startedAt },
      events: [
        event('received', 1, '250 ok', { ending: 'lf' }),
        event('received', 2, '', { ending: 'none' }),
        event('received', 3, 'path C:\\\\LF'),
        event('received', 4, 'ends in an escaped backslash \\\\', { ending: 'lf' }),
        event('sent', 5, ''),
        event('received', 6, ''),
      ],
    };
    assert.deepEqual(readTranscript(writeTranscript(transcript)), transcript);
  });

  test('text that is not canonical escaped text but ends like a marker still round-trips', () => {
    const transcript: Transcript = {
      header: { tool: 't', startedAt },
      events: [event('info', 0, 'typed by hand \\LF'), event('info', 0, 'typed by hand \\EOF', { ending: 'lf' }), event('info', 0, 'x \\CRLF')],
    };
    assert.deepEqual(readTranscript(writeTranscript(transcript)), transcript);
  });

  test('odd numbers round-trip: fractional and huge times, a start time that is not an ISO millisecond', () => {
    const transcript: Transcript = {
      header: { tool: 't', startedAt: 1.5 },
      events: [
        { kind: 'sent', at: 0.1, tls: false, text: 'a' },
        { kind: 'sent', at: 1e300, tls: false, text: 'b' },
        { kind: 'sent', at: -0, tls: false, text: 'c' },
        { kind: 'sent', at: Number.MAX_SAFE_INTEGER, tls: false, text: 'd' },
      ],
    };
    assert.deepEqual(readTranscript(writeTranscript(transcript)), transcript);
  });

  test('extra header keys with colons, spaces, reserved names and line breaks round-trip', () => {
    const transcript: Transcript = {
      header: {
        tool: 'smtp-relay-lab 0.1.0',
        startedAt,
        extra: { tool: 'shadow', 'a: b': 'c: d', started: '', persona: 'exchange\nsecond line', 'back\\slash': '\\' },
      },
      events: [],
    };
    assert.deepEqual(readTranscript(writeTranscript(transcript)), transcript);
  });

  test('a file checked out with CRLF line ends and a BOM reads the same', () => {
    const written = writeTranscript(starttlsSession);
    assert.deepEqual(readTranscript('\uFEFF' + written.replaceAll('\n', '\r\n')), starttlsSession);
  });

  test('blank lines and a marker whose trailing space an editor trimmed are accepted', () => {
    const text = ['=== SMTP Relay Lab transcript v1', '=== tool: t', '=== started: 2026-11-28T22:30:00.000Z', '', '+0.001 <-', ''].join('\n');
    assert.deepEqual(readTranscript(text).events, [event('received', 1, '')]);
  });

  test('positions give the 1-based line and the columns of each event text', () => {
    const { positions } = readPositionedTranscript(writeTranscript(starttlsSession));
    assert.deepEqual(positions[1], { line: 7, startColumn: 11, endColumn: 11 + '220 mail.example.com ESMTP'.length });
    assert.deepEqual(positions[10], { line: 16, startColumn: 12, endColumn: 12 + 'no reply within 60 s'.length });
  });
});

describe('transcript format: corrupt files', () => {
  const goodHeader = ['=== SMTP Relay Lab transcript v1', '=== tool: t', '=== started: 2026-11-28T22:30:00.000Z'];

  test('a file without our title line is refused at line 1', () => {
    const error = parseErrorOf('220 mail.example.com ESMTP\n');
    assert.equal(error.line, 1);
    assert.match(error.message, /^line 1: no header/);
  });

  test('an empty file is refused', () => {
    assert.equal(parseErrorOf('').line, 1);
  });

  test('a newer version is refused with its version named', () => {
    assert.match(parseErrorOf('=== SMTP Relay Lab transcript v2\n').message, /unsupported transcript version "v2"/);
  });

  test('a header without "started" is refused, naming the title line', () => {
    const error = parseErrorOf('\n=== SMTP Relay Lab transcript v1\n=== tool: t\n+0.000 === x\n');
    assert.equal(error.line, 2);
    assert.match(error.message, /started/);
  });

  test('a start time that is not a time is refused', () => {
    assert.match(parseErrorOf([goodHeader[0], goodHeader[1], '=== started: yesterday'].join('\n')).message, /not a time: "yesterday"/);
  });

  test('a bad direction marker names its line', () => {
    const error = parseErrorOf([...goodHeader, '+0.001 <-  220 ok', '+0.002 >>  EHLO x'].join('\n'));
    assert.equal(error.line, 5);
    assert.match(error.message, /^line 5: bad direction marker ">> "/);
  });

  test('a bad timestamp names its line', () => {
    const error = parseErrorOf([...goodHeader, '+0.01 <-  220 ok'].join('\n'));
    assert.equal(error.line, 4);
    assert.match(error.message, /bad timestamp "\+0\.01"/);
  });

  test('a header line among the events is refused', () => {
    assert.match(parseErrorOf([...goodHeader, '+0.001 <-  220 ok', '=== target: x'].join('\n')).message, /^line 5: header line after/);
  });

  test('a header key given twice is refused', () => {
    assert.match(parseErrorOf([...goodHeader, '=== tool: u'].join('\n')).message, /^line 4: header key "tool" appears twice/);
  });

  test('text glued to the marker is refused', () => {
    assert.match(parseErrorOf([...goodHeader, '+0.001 <- 220 ok'].join('\n')).message, /^line 4: expected a space/);
  });
});

describe('transcript format: line breaks inside remarks (issue 8, item 3)', () => {
  const hostileRemark = 'TLS handshake failed: bad record\r\n+0.100  -> MAIL FROM:<x@example.net>\n+0.200 <-  250 ok';

  test('an error or info text with CR/LF is written on one line and never reads back as a sent or received line', () => {
    const transcript: Transcript = {
      header: { tool: 'smtp-relay-lab 0.1.0', startedAt },
      events: [event('error', 5, hostileRemark), event('info', 6, 'second\nremark')],
    };
    const text = writeTranscript(transcript);
    assert.equal(text.split('\n').filter((line) => line !== '').length, 3 + 2);
    const read = readTranscript(text);
    assert.deepEqual(
      read.events.map((readEvent) => readEvent.kind),
      ['error', 'info'],
    );
    assert.equal(read.events[0].text, 'TLS handshake failed: bad record\\x0D\\x0A+0.100  -> MAIL FROM:<x@example.net>\\x0A+0.200 <-  250 ok');
  });

  test('a session records a remark with line breaks in escaped form, so it round-trips exactly', async () => {
    const { SmtpSession } = await import('../../src/core/protocol/session');
    const session = new SmtpSession({ host: '127.0.0.1', port: 9, tls: 'none' });
    session.note(hostileRemark);
    const recorded = session.transcript[0];
    assert.equal(recorded.text.includes('\n') || recorded.text.includes('\r'), false);
    const roundTrip = readTranscript(writeTranscript({ header: { tool: 'smtp-relay-lab 0.1.0', startedAt: recorded.at }, events: [recorded] }));
    assert.deepEqual(roundTrip.events, [recorded]);
    session.close();
  });
});
