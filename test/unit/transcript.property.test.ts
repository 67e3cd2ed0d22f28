import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { annotateTranscript } from '../../src/core/transcript/annotateTranscript';
import { readTranscript, TranscriptParseError, writeTranscript } from '../../src/core/transcript/transcriptFormat';
import { parseAnyTranscript } from '../../src/core/transcript/transcriptImport';
import type { Transcript, TranscriptEvent, TranscriptHeader } from '../../src/core/transcript/transcriptEvent';
import { escapeWireBytes } from '../../src/core/protocol/wireText';

const corpusDirectory = path.resolve(__dirname, '../../../test/fixtures/fuzz-corpus/transcript');

// ---- generators ----

const time = fc.oneof(
  fc.integer({ min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2100-01-01T00:00:00Z') }),
  fc.integer({ min: -8.64e15, max: 8.64e15 }),
  fc.double(),
);

/** Canonical escaped text, as the engine records it, from any bytes. */
const escapedText = fc.uint8Array({ maxLength: 60 }).map((bytes) => escapeWireBytes(bytes));

/** Text built to collide with our markers: backslashes, "LF", "EOF", "CRLF", spaces (no CR/LF: never in event text). */
const markerLikeText = fc
  .array(fc.constantFrom('\\', 'LF', 'EOF', 'CRLF', ' ', 'x', '0A', '<- ', ' ->', '===', '+0.001'), { maxLength: 8 })
  .map((pieces) => pieces.join(''));

const eventArbitrary: fc.Arbitrary<TranscriptEvent> = fc
  .record({
    kind: fc.constantFrom<TranscriptEvent['kind'][]>('sent', 'received', 'info', 'error'),
    at: time,
    tls: fc.boolean(),
    text: fc.oneof(escapedText, markerLikeText, fc.string({ unit: 'grapheme-ascii' }).map((text) => text.replace(/[\r\n]/g, ''))),
    ending: fc.option(fc.constantFrom<('lf' | 'none')[]>('lf', 'none'), { nil: undefined }),
  })
  .map(({ ending, ...event }) => (ending === undefined ? event : { ...event, ending }));

const headerText = fc.string({ unit: 'binary', maxLength: 20 });

const headerArbitrary: fc.Arbitrary<TranscriptHeader> = fc
  .record({
    tool: headerText,
    startedAt: time,
    target: fc.option(headerText, { nil: undefined }),
    extra: fc.option(
      fc
        .uniqueArray(fc.tuple(fc.oneof(headerText, fc.constantFrom('tool', 'target', 'started', '__proto__', 'a: b', '')), headerText), {
          minLength: 1,
          maxLength: 4,
          selector: ([key]) => key,
        })
        .map((entries) => Object.fromEntries(entries)),
      { nil: undefined },
    ),
  })
  .map(({ target, extra, ...header }) => ({
    ...header,
    ...(target === undefined ? {} : { target }),
    ...(extra === undefined ? {} : { extra }),
  }));

const transcriptArbitrary: fc.Arbitrary<Transcript> = fc.record(
  { header: headerArbitrary, events: fc.array(eventArbitrary, { maxLength: 25 }) },
  { noNullPrototype: true },
);

/** Text that looks partly like a transcript: real prefixes, reply codes and markers mixed with noise. */
const transcriptLikeText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '=== SMTP Relay Lab transcript v1',
        '=== SMTP Relay Lab transcript v9',
        '=== tool: smtp-relay-lab 0.1.0',
        '=== started: 2026-11-28T22:30:00.000Z',
        '=== started: @NaN',
        '=== target: 127.0.0.1:2525',
        '+0.004 <-  220 mail.example.com ESMTP',
        '+0.010  -> EHLO client.example.org',
        '+0.011 <-  250-mail.example.com \\LF',
        '@1e+300 *~* boom \\EOF',
        '<-  250 ok',
        ' -> RCPT TO:<a@example.net>',
        '<** 550 5.7.1 Unable to relay',
        '354 go ahead',
        '.',
        '421 bye',
        '250-',
        'Connected to mail.example.com.',
        '',
        '\r',
        '\uFEFF',
      ),
      fc.string({ unit: 'binary', maxLength: 40 }),
    ),
    { maxLength: 30 },
  )
  .map((lines) => lines.join('\n'));

const anyText = fc.oneof(transcriptLikeText, fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 200 }));

// ---- properties ----

function readOrParseError(text: string): Transcript | TranscriptParseError {
  try {
    return readTranscript(text);
  } catch (error) {
    if (error instanceof TranscriptParseError) {
      return error;
    }
    throw error;
  }
}

describe('transcript properties', () => {
  test('writing then reading is the identity for any header and events', () => {
    fc.assert(
      fc.property(transcriptArbitrary, (transcript) => {
        assert.deepEqual(readTranscript(writeTranscript(transcript)), transcript);
      }),
      { numRuns: 500 },
    );
  });

  test('reading random text returns a transcript or throws a TranscriptParseError naming an existing line', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const result = readOrParseError(text);
        if (result instanceof TranscriptParseError) {
          assert.ok(result.line >= 1 && result.line <= text.split('\n').length, `line ${result.line} is outside the text`);
          assert.match(result.message, /^line \d+: /);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('parseAnyTranscript and annotateTranscript never throw, and every event points at a line of the text', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const imported = parseAnyTranscript(text);
        assert.equal(imported.positions.length, imported.events.length);
        const lineCount = text.split('\n').length;
        for (const position of imported.positions) {
          assert.ok(position.line >= 1 && position.line <= lineCount);
          assert.ok(position.startColumn <= position.endColumn);
        }
        for (const reply of annotateTranscript(text)) {
          assert.ok(reply.line <= reply.endLine);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('every written transcript is recognised as ours by parseAnyTranscript, with the same events', () => {
    fc.assert(
      fc.property(transcriptArbitrary, (transcript) => {
        const imported = parseAnyTranscript(writeTranscript(transcript));
        assert.equal(imported.format, 'smtp-relay-lab');
        assert.deepEqual(imported.events, transcript.events);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the transcript fuzz corpus (test/fixtures/fuzz-corpus/transcript)', () => {
  const files = readdirSync(corpusDirectory).filter((name) => !name.startsWith('.') && name !== 'README.md');

  test('the corpus is there', () => {
    assert.ok(files.length >= 10, `only ${files.length} corpus files`);
  });

  for (const name of files) {
    test(`${name}: read or refused cleanly, imported and annotated without throwing, stable once rewritten`, () => {
      const text = readFileSync(path.join(corpusDirectory, name), 'utf8');
      const result = readOrParseError(text);
      if (!(result instanceof TranscriptParseError)) {
        assert.deepEqual(readTranscript(writeTranscript(result)), result);
      }
      const imported = parseAnyTranscript(text);
      assert.equal(imported.positions.length, imported.events.length);
      annotateTranscript(text);
    });
  }
});
