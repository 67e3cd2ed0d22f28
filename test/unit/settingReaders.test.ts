import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readBoolean, readNumberInRange, readOneOf, readStringList } from '../../src/extension/settingReaders';

describe('setting readers', () => {
  test('a number outside the allowed range is clamped, not rejected', () => {
    const seconds = readNumberInRange(1, 600);
    assert.equal(seconds(0), 1);
    assert.equal(seconds(9999), 600);
    assert.equal(seconds(12.5), 12.5);
  });

  test('a number written as a string, NaN or Infinity falls back to the default', () => {
    const seconds = readNumberInRange(1, 600);
    assert.equal(seconds('30'), undefined);
    assert.equal(seconds(Number.NaN), undefined);
    assert.equal(seconds(Number.POSITIVE_INFINITY), undefined);
  });

  test('an enumeration accepts only its own values', () => {
    const level = readOneOf(['all', 'relevant', 'off'] as const);
    assert.equal(level('off'), 'off');
    assert.equal(level('OFF'), undefined);
    assert.equal(level(1), undefined);
  });

  test('a boolean must be a boolean', () => {
    assert.equal(readBoolean(true), true);
    assert.equal(readBoolean('true'), undefined);
  });

  test('a string list drops blanks and non-strings, and a lone string becomes a list', () => {
    assert.deepEqual(readStringList([' example.com ', '', 3, 'example.org']), ['example.com', 'example.org']);
    assert.deepEqual(readStringList('example.com'), ['example.com']);
    assert.equal(readStringList({}), undefined);
  });
});
