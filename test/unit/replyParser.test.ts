import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplyParser, lineCapBytes, type ParserEnd, type ReceivedLine } from '../../src/core/replyParser';
import type { SmtpReply } from '../../src/core/reply';
import { unescapeWireText } from '../../src/core/wireText';

/** Feeds the chunks to a fresh parser and collects what it emits. */
function parse(chunks: Array<string | Uint8Array>, options: { close?: boolean } = {}) {
  const lines: ReceivedLine[] = [];
  const replies: SmtpReply[] = [];
  const replyProblems: string[] = [];
  const parser = new ReplyParser({
    onLine: (line) => lines.push(line),
    onReply: (reply) => replies.push(reply),
    onReplyProblem: (problem) => replyProblems.push(problem),
  });
  for (const chunk of chunks) {
    parser.feed(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
  }
  let end: ParserEnd | undefined;
  if (options.close) {
    end = parser.finish();
  }
  return { lines, replies, replyProblems, end };
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

  test('a line beyond the cap is cut into parts, the reply completes at its real end, no byte lost', () => {
    const body = 'y'.repeat(lineCapBytes + 5000);
    const wire = Buffer.from(`250 ${body}\r\n221 next\r\n`);
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < wire.length; offset += 65536) {
      chunks.push(wire.subarray(offset, offset + 65536));
    }
    const { lines, replies } = parse(chunks);
    assert.equal(lines.length, 3);
    assert.equal(lines[0].ending, 'none');
    assert.equal(unescapeWireText(lines[0].text).length, lineCapBytes);
    assert.deepEqual(bytesOf(lines), wire);
    assert.deepEqual(
      replies.map((reply) => reply.code),
      [250, 221],
    );
    assert.equal(replies[0].text.length, lineCapBytes - 4);
    assert.ok(replies[0].problems?.some((problem) => problem.includes('cut into parts')));
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
    });
    parser.feed(Buffer.from('220 go ahead\r\n250 injected\r\n'));
    assert.equal(replies.length, 1);
    assert.equal(Buffer.from(parser.takeLeftoverAndResume()).toString(), '250 injected\r\n');
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
