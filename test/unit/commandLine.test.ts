import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assertSingleLine, encodeMessageBody } from '../../src/core/protocol/commandLine';
import { CommandInjectionError } from '../../src/core/protocol/errors';

describe('command line guard', () => {
  test('a single line passes', () => {
    assert.doesNotThrow(() => assertSingleLine('RCPT TO:<"user@example.org"@example.com>'));
  });

  for (const [name, text] of [
    ['LF', 'MAIL FROM:<a@example.com>\nRCPT TO:<b@example.org>'],
    ['CR', 'MAIL FROM:<a@example.com>\rDATA'],
    ['CRLF', 'NOOP\r\n'],
  ]) {
    test(`a command with ${name} inside is refused as two commands`, () => {
      assert.throws(
        () => assertSingleLine(text),
        (error: unknown) =>
          error instanceof CommandInjectionError &&
          error.message === 'refused: the command contains a line break (CR or LF) and would be sent as two commands',
      );
    });
  }

  test('the refusal names what was refused', () => {
    assert.throws(() => assertSingleLine('client\r\n.example.com', 'the EHLO name'), /^CommandInjectionError: refused: the EHLO name contains/);
  });
});

describe('message body encoding', () => {
  test('LF, CR and CRLF line endings all become CRLF and the body ends with CRLF.CRLF', () => {
    assert.equal(encodeMessageBody('a\nb\rc\r\nd'), 'a\r\nb\r\nc\r\nd\r\n.\r\n');
  });

  test('a final line ending is not doubled', () => {
    assert.equal(encodeMessageBody('Subject: x\r\n\r\nbody\r\n'), 'Subject: x\r\n\r\nbody\r\n.\r\n');
  });

  test('lines starting with a dot are dot-stuffed, so a lone dot cannot end the message early', () => {
    assert.equal(encodeMessageBody('.\n..x\n.hidden\nnot.first'), '..\r\n...x\r\n..hidden\r\nnot.first\r\n.\r\n');
  });

  test('an empty message is an empty line then the end marker', () => {
    assert.equal(encodeMessageBody(''), '\r\n.\r\n');
  });

  test('for any message, undoing the dot-stuffing gives the message back with CRLF endings', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '.', '\r', '\n', ' ') }), (message) => {
        const encoded = encodeMessageBody(message);
        assert.ok(encoded.endsWith('\r\n.\r\n'));
        const lines = encoded.slice(0, -'.\r\n'.length).split('\r\n').slice(0, -1);
        for (const line of lines) {
          assert.doesNotMatch(line, /[\r\n]/);
          assert.notEqual(line, '.', 'no line of the body may be a lone dot');
        }
        const unstuffed = lines.map((line) => (line.startsWith('.') ? line.slice(1) : line)).join('\r\n');
        const expected = message.replace(/\r\n|\r|\n/g, '\r\n').replace(/\r\n$/, '');
        assert.equal(unstuffed, expected);
      }),
      { numRuns: 1000 },
    );
  });
});
