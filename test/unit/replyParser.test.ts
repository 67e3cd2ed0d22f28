import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplyParser, replyCapBytes, sessionCapBytes, type ParserEnd, type ParserOverflow, type ReceivedLine } from '../../src/core/protocol/replyParser';
import type { SmtpReply } from '../../src/core/protocol/reply';
import { unescapeWireText } from '../../src/core/protocol/wireText';

/** Feeds the chunks to a fresh parser and collects what it emits. */
function parse(chunks: Array<string | Uint8Array>, options: { close?: boolean } = {}) {
  const lines: ReceivedLine[] = [];
  const replies: SmtpReply[] = [];
  const replyProblems: string[] = [];
  const overflows: ParserOverflow[] = [];
  const parser = new ReplyParser({
    onLine: (line) => lines.push(line),
    onReply: (reply) => replies.push(reply),
    onReplyProblem: (problem) => replyProblems.push(problem),
    onOverflow: (overflow) => overflows.push({ ...overflow }),
  });
  for (const chunk of chunks) {
    parser.feed(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
  }
  let end: ParserEnd | undefined;
  if (options.close) {
    end = parser.finish();
  }
  return { lines, replies, replyProblems, end, overflows, parser };
}

/** The wire cut into chunks of `size` bytes, as a socket delivers it. */
function chunked(wire: Buffer, size = 65536): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < wire.length; offset += size) {
    chunks.push(wire.subarray(offset, offset + size));
  }
  return chunks;
}

/** The bytes the lines stand for, endings included, to prove nothing was lost. */
function bytesOf(lines: ReceivedLine[]): Buffer {
  const ending = { crlf: '\r\n', lf: '\n', none: '' } as const;
  return Buffer.concat(lines.flatMap((line) => [unescapeWireText(line.text), Buffer.from(ending[line.ending])]));
}

describe('reply parser', () => {
  test('a single-line reply gives its code, text and enhanced code', () => {
    const { replies } = parse(['250 2.1.0 Sender OK\r\n']);
    assert.deepEqual(replies, [{ code: 250, enhanced: '2.1.0', lines: ['2.1.0 Sender OK'], text: 'Sender OK' }]);
  });

  test('a multiline reply ends at the line with a space after the code', () => {
    const { replies } = parse(['250-mail.example.com Hello\r\n250-SIZE 1000\r\n250 HELP\r\n']);
    assert.equal(replies.length, 1);
    assert.deepEqual(replies[0].lines, ['mail.example.com Hello', 'SIZE 1000', 'HELP']);
    assert.equal(replies[0].text, 'mail.example.com Hello\nSIZE 1000\nHELP');
    assert.equal(replies[0].problems, undefined);
  });

  test('the enhanced code is stripped from every line of text but kept in lines', () => {
    const { replies } = parse(['550-5.7.1 Unable to relay\r\n550 5.7.1 for this recipient\r\n']);
    assert.equal(replies[0].enhanced, '5.7.1');
    assert.equal(replies[0].text, 'Unable to relay\nfor this recipient');
    assert.deepEqual(replies[0].lines, ['5.7.1 Unable to relay', '5.7.1 for this recipient']);
  });

  test('a code alone on its line ends the reply with empty text', () => {
    const { replies } = parse(['354\r\n']);
    assert.deepEqual(replies, [{ code: 354, lines: [''], text: '' }]);
  });

  test('replies split across chunks at any byte are parsed the same', () => {
    const wire = '220 mail.example.com ESMTP\r\n250-a\r\n250 2.0.0 b\r\n';
    const whole = parse([wire]).replies;
    fc.assert(
      fc.property(fc.array(fc.nat(wire.length), { maxLength: 6 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: string[] = [];
        let previous = 0;
        for (const point of [...points, wire.length]) {
          chunks.push(wire.slice(previous, point));
          previous = point;
        }
        assert.deepEqual(parse(chunks).replies, whole);
      }),
    );
  });

  test('every line is emitted as it arrives, before the reply is complete', () => {
    const { lines, replies } = parse(['250-first\r\n']);
    assert.deepEqual(lines, [{ text: '250-first', ending: 'crlf', problems: [] }]);
    assert.equal(replies.length, 0);
  });

  test('a bare LF ends a line but is recorded as a problem with ending lf', () => {
    const { lines, replies } = parse(['220 hello\n']);
    assert.equal(lines[0].ending, 'lf');
    assert.deepEqual(lines[0].problems, ['line ended with a bare LF instead of CRLF']);
    assert.equal(replies[0].code, 220);
    assert.deepEqual(replies[0].problems, ['line ended with a bare LF instead of CRLF']);
  });

  test('different codes in one multiline reply are a problem, and the last line gives the code', () => {
    const { replies, replyProblems } = parse(['250-ok\r\n550 no\r\n']);
    assert.equal(replies[0].code, 550);
    assert.deepEqual(replyProblems, ['reply lines carry different codes (250, 550)']);
    assert.ok(replies[0].problems?.includes('reply lines carry different codes (250, 550)'));
  });

  test('a line without a three-digit code is kept in the reply and flagged', () => {
    const { lines, replies } = parse(['hello there\r\n220 ready\r\n']);
    assert.deepEqual(lines[0].problems, ['line does not start with a three-digit reply code']);
    assert.equal(replies.length, 1);
    assert.equal(replies[0].code, 220);
    assert.deepEqual(replies[0].lines, ['hello there', 'ready']);
  });

  test('NUL and invalid UTF-8 are escaped and flagged, and the bytes survive', () => {
    const wire = Buffer.from([...Buffer.from('250 a'), 0x00, 0xff, 0xfe, ...Buffer.from('b\r\n')]);
    const { lines, replies } = parse([wire]);
    assert.equal(lines[0].text, '250 a\\x00\\xFF\\xFEb');
    assert.ok(lines[0].problems.includes('line contains NUL bytes'));
    assert.ok(lines[0].problems.some((problem) => problem.includes('not valid UTF-8')));
    assert.equal(replies[0].text, 'a\\x00\\xFF\\xFEb');
    assert.deepEqual(bytesOf(lines), wire);
  });

  test('a 100 KB line is delivered whole and flagged as overlong', () => {
    const long = 'x'.repeat(100_000);
    const { lines, replies } = parse([`250 ${long}\r\n`]);
    assert.equal(lines.length, 1);
    assert.equal(replies[0].text, long);
    assert.ok(replies[0].problems?.some((problem) => problem.startsWith('overlong line of 100004 bytes')));
  });

  test('an endless line is cut at the reply cap: the kept bytes are exact, the dropped ones counted, no reply', () => {
    const wire = Buffer.concat([Buffer.from('250 '), Buffer.alloc(replyCapBytes + 300_000, 'y')]);
    const { lines, replies, overflows } = parse(chunked(wire));
    assert.equal(replies.length, 0);
    assert.equal(lines.length, 1);
    assert.equal(lines[0].ending, 'none');
    assert.deepEqual(bytesOf(lines), wire.subarray(0, replyCapBytes));
    assert.ok(lines[0].problems.includes(`line cut: the reply passed ${replyCapBytes} bytes`));
    assert.equal(overflows.length, 1);
    assert.deepEqual(overflows[0], { cap: 'reply', capBytes: replyCapBytes, keptBytes: replyCapBytes, droppedBytes: 65536 - (replyCapBytes % 65536) });
  });

  test('bytes fed after the cut are counted as dropped, never kept', () => {
    const head = Buffer.from('250-first\r\n');
    const { lines, overflows, parser } = parse([head, Buffer.alloc(replyCapBytes, 'z'), Buffer.alloc(1000, 'z')]);
    assert.equal(bytesOf(lines).length, replyCapBytes);
    assert.equal(lines.length, 2);
    assert.deepEqual(overflows[0], { cap: 'reply', capBytes: replyCapBytes, keptBytes: replyCapBytes, droppedBytes: head.length });
    assert.equal(parser.overflow?.droppedBytes, head.length + 1000);
  });

  test('a reply of many short lines is capped as a whole, not per line', () => {
    const line = Buffer.from(`250-${'w'.repeat(1018)}\r\n`);
    const lineCount = Math.ceil(replyCapBytes / line.length) + 10;
    const { replies, overflows, lines } = parse(chunked(Buffer.concat(Array.from({ length: lineCount }, () => line))));
    assert.equal(replies.length, 0);
    assert.equal(overflows[0]?.cap, 'reply');
    assert.equal(bytesOf(lines).length, replyCapBytes);
  });

  test('replies that each stay under the cap pass until the session cap, which ends the session the same way', () => {
    const reply = Buffer.from(`250 ${'v'.repeat(64 * 1024 - 6)}\r\n`);
    const count = sessionCapBytes / reply.length + 3;
    const { replies, overflows, lines } = parse(Array.from({ length: count }, () => reply));
    assert.equal(replies.length, sessionCapBytes / reply.length);
    assert.equal(overflows.length, 1);
    assert.equal(overflows[0].cap, 'session');
    assert.equal(bytesOf(lines).length, sessionCapBytes);
  });

  test('a close in the middle of a reply reports the cut-off reply and delivers the partial line', () => {
    const { lines, replies, end } = parse(['250-one\r\n250-two\r\n250 thr'], { close: true });
    assert.equal(replies.length, 0);
    assert.deepEqual(end, { replyCutOff: true, linesOfCutReply: 3 });
    assert.deepEqual(lines[2], { text: '250 thr', ending: 'none', problems: [] });
  });

  test('a close between replies is not a cut-off', () => {
    const { end } = parse(['221 bye\r\n'], { close: true });
    assert.deepEqual(end, { replyCutOff: false, linesOfCutReply: 0 });
  });

  test('after halt, the rest of the chunk is kept apart and not parsed as replies', () => {
    const replies: SmtpReply[] = [];
    const parser = new ReplyParser({
      onLine: () => {},
      onReplyProblem: () => {},
      onReply: (reply) => {
        replies.push(reply);
        parser.halt();
      },
      onOverflow: () => {},
    });
    parser.feed(Buffer.from('220 go ahead\r\n250 injected\r\n'));
    assert.equal(replies.length, 1);
    const leftover = parser.takeLeftoverAndResume();
    assert.equal(Buffer.from(leftover.bytes).toString(), '250 injected\r\n');
    assert.equal(leftover.received, leftover.bytes.length);
    parser.feed(Buffer.from('250 after tls\r\n'));
    assert.equal(replies[1].text, 'after tls');
  });

  test('whatever the bytes, every byte comes back from the emitted lines', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 8 }), (chunks) => {
        const { lines } = parse(chunks, { close: true });
        assert.deepEqual(bytesOf(lines), Buffer.concat(chunks));
      }),
      { numRuns: 500 },
    );
  });
});
