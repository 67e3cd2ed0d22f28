/**
 * Fuzzing the reply parser with fast-check: whatever bytes a server sends, in whatever chunks they
 * arrive, the parser never throws, keeps every byte, and finds the same lines and replies. The inputs in
 * test/fixtures/fuzz-corpus/parser/ are replayed on every run. Bounded by numRuns, never by time.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { SmtpReply } from '../../src/core/protocol/reply';
import { ReplyParser, type ReceivedLine } from '../../src/core/protocol/replyParser';
import { unescapeWireText } from '../../src/core/protocol/wireText';

const corpusDirectory = path.resolve(__dirname, '../../../test/fixtures/fuzz-corpus/parser');

interface ParseResult {
  lines: ReceivedLine[];
  replies: SmtpReply[];
  replyProblems: string[];
  cutOff: boolean;
}

/** Feeds the chunks, then the end of the stream, and collects everything the handlers saw. */
function parseChunks(chunks: readonly Uint8Array[]): ParseResult {
  const result: ParseResult = { lines: [], replies: [], replyProblems: [], cutOff: false };
  const parser = new ReplyParser({
    onLine: (line) => result.lines.push(line),
    onReplyProblem: (problem) => result.replyProblems.push(problem),
    onReply: (reply) => result.replies.push(reply),
    onOverflow: () => undefined,
  });
  for (const chunk of chunks) {
    parser.feed(chunk);
  }
  result.cutOff = parser.finish().replyCutOff;
  return result;
}

const endingBytes = { crlf: [0x0d, 0x0a], lf: [0x0a], none: [] } as const;

/** The bytes the lines stand for: what the transcript can give back. */
function bytesOfLines(lines: readonly ReceivedLine[]): Buffer {
  return Buffer.concat(lines.flatMap((line) => [Buffer.from(unescapeWireText(line.text)), Buffer.from(endingBytes[line.ending])]));
}

/** Splits `bytes` at the given cut points (any numbers; taken modulo the length). */
function chunked(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  if (bytes.length === 0) {
    return [bytes];
  }
  const points = [...new Set(cuts.map((cut) => cut % bytes.length))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

function oneByteAtATime(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (byte) => Uint8Array.of(byte));
}

// ---- generators ----

const ascii = (text: string): Uint8Array => Buffer.from(text, 'latin1');

/** Pieces that make the parser's decisions: codes, separators, enhanced codes, every kind of line end, bad bytes. */
const smtpishPiece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('220', '250', '354', '421', '451', '550', '554', '999', '000', '25', '2500').map(ascii) },
  { weight: 3, arbitrary: fc.constantFrom(' ', '-', '\r\n', '\n', '\r', '\r\r\n').map(ascii) },
  { weight: 2, arbitrary: fc.constantFrom('2.1.5 ', '5.7.1 ', '4.7.0', '5.999.999 ', '2.0.0  ', 'mail.example.com', 'Relay access denied').map(ascii) },
  { weight: 1, arbitrary: fc.constantFrom(Uint8Array.of(0x00), Uint8Array.of(0xff), Uint8Array.of(0xc3), Uint8Array.of(0xc3, 0xa9), Uint8Array.of(0x5c)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 12 }) },
);

const replyishBytes = fc.array(smtpishPiece, { maxLength: 60 }).map((pieces) => Buffer.concat(pieces));
const anyBytes = fc.oneof(replyishBytes, fc.uint8Array({ maxLength: 300 }));
const cutPoints = fc.array(fc.nat(), { maxLength: 20 });

/** A well-formed reply: one code, text without CR or LF, CRLF endings. */
const wellFormedReply = fc.record({
  code: fc.integer({ min: 200, max: 599 }),
  lines: fc.array(fc.string({ unit: fc.constantFrom(...'abc xyz.:<>@%!"-_0123456789'.split('')), maxLength: 30 }), { minLength: 1, maxLength: 5 }),
});

function wireFormOf(reply: { code: number; lines: string[] }): string {
  return reply.lines.map((line, index) => `${reply.code}${index === reply.lines.length - 1 ? ' ' : '-'}${line}\r\n`).join('');
}

// ---- properties ----

describe('reply parser properties', () => {
  test('random byte streams never throw, and the lines give back every byte received', () => {
    fc.assert(
      fc.property(anyBytes, cutPoints, (bytes, cuts) => {
        const result = parseChunks(chunked(bytes, cuts));
        assert.deepEqual(bytesOfLines(result.lines), Buffer.from(bytes));
      }),
      { numRuns: 1000 },
    );
  });

  test('how the bytes are chunked changes nothing: the same lines, replies and problems', () => {
    fc.assert(
      fc.property(anyBytes, cutPoints, (bytes, cuts) => {
        const whole = parseChunks([bytes]);
        assert.deepEqual(parseChunks(chunked(bytes, cuts)), whole);
        assert.deepEqual(parseChunks(oneByteAtATime(bytes)), whole);
      }),
      { numRuns: 300 },
    );
  });

  test('every reply delivered has a code from 000 to 999, at least one line, and no raw line break in its lines', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        for (const reply of parseChunks([bytes]).replies) {
          assert.ok(Number.isInteger(reply.code) && reply.code >= 0 && reply.code <= 999, `code ${reply.code}`);
          assert.ok(reply.lines.length >= 1);
          assert.equal(typeof reply.text, 'string');
          assert.ok(!/[\r\n]/.test(reply.lines.join('')), 'a reply line holds no raw line break');
        }
      }),
      { numRuns: 500 },
    );
  });

  test('well-formed replies come back exactly as sent, without problems', () => {
    fc.assert(
      fc.property(fc.array(wellFormedReply, { minLength: 1, maxLength: 6 }), cutPoints, (replies, cuts) => {
        const result = parseChunks(chunked(Buffer.from(replies.map(wireFormOf).join(''), 'latin1'), cuts));
        assert.equal(result.cutOff, false);
        assert.deepEqual(
          result.replies.map((reply) => ({ code: reply.code, lines: reply.lines, problems: reply.problems })),
          replies.map((reply) => ({ code: reply.code, lines: reply.lines, problems: undefined })),
        );
      }),
      { numRuns: 500 },
    );
  });

  test('halting after any reply (as STARTTLS does) hands back exactly the bytes not yet parsed', () => {
    fc.assert(
      fc.property(anyBytes, cutPoints, fc.nat({ max: 5 }), (bytes, cuts, haltAfter) => {
        const lines: ReceivedLine[] = [];
        let replies = 0;
        const parser: ReplyParser = new ReplyParser({
          onLine: (line) => lines.push(line),
          onReplyProblem: () => undefined,
          onReply: () => {
            if (replies++ === haltAfter) {
              parser.halt();
            }
          },
          onOverflow: () => undefined,
        });
        for (const chunk of chunked(bytes, cuts)) {
          parser.feed(chunk);
        }
        if (replies <= haltAfter) {
          return; // never halted: the first property covers this stream
        }
        const leftover = parser.takeLeftoverAndResume();
        assert.deepEqual(Buffer.concat([bytesOfLines(lines), Buffer.from(leftover.bytes)]), Buffer.from(bytes));
      }),
      { numRuns: 500 },
    );
  });
});

describe('reply parser fuzz corpus', () => {
  const files = readdirSync(corpusDirectory).filter((name) => name.endsWith('.bin'));

  test('the corpus is there', () => {
    assert.ok(files.length >= 10, `only ${files.length} corpus files in ${corpusDirectory}`);
  });

  for (const name of files) {
    test(`${name}: no throw, every byte kept, the same result whole and one byte at a time`, () => {
      const bytes = readFileSync(path.join(corpusDirectory, name));
      const whole = parseChunks([bytes]);
      assert.deepEqual(bytesOfLines(whole.lines), bytes);
      assert.deepEqual(parseChunks(oneByteAtATime(bytes)), whole);
    });
  }
});
