import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { escapeWireBytes, unescapeWireText } from '../../src/core/protocol/wireText';

const bytes = (...values: number[]) => Uint8Array.from(values);
const utf8 = (text: string) => new TextEncoder().encode(text);

describe('wire text escaping', () => {
  test('printable ASCII and UTF-8 stay as they are', () => {
    assert.equal(escapeWireBytes(utf8('250 mail.example.com Grüße 👋')), '250 mail.example.com Grüße 👋');
  });

  test('a backslash is doubled so it cannot be mistaken for an escape', () => {
    assert.equal(escapeWireBytes(utf8('550 C:\\x41')), '550 C:\\\\x41');
    assert.deepEqual(unescapeWireText('550 C:\\\\x41'), utf8('550 C:\\x41'));
  });

  test('NUL, control bytes, bare CR and DEL become \\xNN', () => {
    assert.equal(escapeWireBytes(bytes(0x32, 0x00, 0x0d, 0x09, 0x1b, 0x7f)), '2\\x00\\x0D\\x09\\x1B\\x7F');
  });

  test('invalid UTF-8 is escaped byte by byte: lone continuation, truncated sequence, overlong, surrogate', () => {
    assert.equal(escapeWireBytes(bytes(0x80)), '\\x80');
    assert.equal(escapeWireBytes(bytes(0xe2, 0x82, 0x41)), '\\xE2\\x82A');
    assert.equal(escapeWireBytes(bytes(0xc0, 0xaf)), '\\xC0\\xAF');
    assert.equal(escapeWireBytes(bytes(0xed, 0xa0, 0x80)), '\\xED\\xA0\\x80');
    assert.equal(escapeWireBytes(bytes(0xf4, 0x90, 0x80, 0x80)), '\\xF4\\x90\\x80\\x80');
  });

  test('C1 control characters are escaped although they are valid UTF-8', () => {
    assert.equal(escapeWireBytes(bytes(0xc2, 0x9b)), '\\xC2\\x9B');
  });

  test('an unknown escape is kept literally when unescaping', () => {
    assert.deepEqual(unescapeWireText('a\\qb\\'), utf8('a\\qb\\'));
    assert.deepEqual(unescapeWireText('\\xZZ'), utf8('\\xZZ'));
  });

  test('round trip is exact for any byte sequence', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (input) => {
        assert.deepEqual(unescapeWireText(escapeWireBytes(input)), input);
      }),
      { numRuns: 2000 },
    );
  });

  test('round trip is exact for text made of UTF-8 and stray bytes mixed', () => {
    const piece = fc.oneof(
      fc.string({ unit: 'binary' }).map(utf8),
      fc.uint8Array({ maxLength: 4 }),
      fc.constantFrom(bytes(0x5c), bytes(0x5c, 0x78), bytes(0x5c, 0x78, 0x34, 0x31)),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), (pieces) => {
        const input = Uint8Array.from(pieces.flatMap((p) => [...p]));
        assert.deepEqual(unescapeWireText(escapeWireBytes(input)), input);
      }),
      { numRuns: 1000 },
    );
  });

  test('escaped text never contains a raw CR or LF, so it fits on one transcript line', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (input) => {
        assert.doesNotMatch(escapeWireBytes(input), /[\r\n]/);
      }),
    );
  });
});
