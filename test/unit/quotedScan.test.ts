/** The one quote-aware scanner behind addressArgumentOf (core) and the practice server's path parser (lab). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closingBracketIndex, scanOutsideQuotes } from '../../src/core/protocol/quotedScan';
import { addressArgumentOf } from '../../src/core/protocol/smtpCommand';
import { parseMailPath } from '../../src/lab/mailPath';

describe('scanning SMTP text outside quoted strings', () => {
  test('a character inside quotes, or escaped inside them, does not stop the scan', () => {
    const text = '"a>b\\"c>d"@example.com>';
    assert.equal(scanOutsideQuotes(text, 0, (character) => character === '>').index, text.length - 1);
    assert.equal(scanOutsideQuotes('"user@x"@example.com', 0, (character) => character === '@').index, 8);
  });

  test('nothing found: -1, and whether the text ended inside an open quote', () => {
    assert.deepEqual(scanOutsideQuotes('"open', 0, () => false), { index: -1, openQuote: true });
    assert.deepEqual(scanOutsideQuotes('"closed"', 0, () => false), { index: -1, openQuote: false });
  });

  test('the closing bracket of a path; a second "<" before it, or none at all, is -1', () => {
    assert.equal(closingBracketIndex('<"x>y"@example.com> SIZE=10'), 18);
    assert.equal(closingBracketIndex('<a<b>'), -1);
    assert.equal(closingBracketIndex('<a@example.com'), -1);
  });

  test('core and lab read the same quoted path the same way', () => {
    assert.equal(addressArgumentOf('RCPT TO:<"a>b"@example.net> NOTIFY=NEVER'), '<"a>b"@example.net>');
    assert.deepEqual(
      { ...parseMailPath('<"a>b"@example.net> NOTIFY=NEVER') },
      { text: '"a>b"@example.net', bracketed: true, isNull: false, sourceRoute: undefined, localPart: '"a>b"', domain: 'example.net', parameters: ['NOTIFY=NEVER'] },
    );
    assert.deepEqual(parseMailPath('"user name"@example.org SIZE=1')?.localPart, '"user name"');
    assert.equal(parseMailPath('"unterminated@example.org'), undefined);
  });
});
