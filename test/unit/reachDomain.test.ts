// Issue 10 §3 without DNS: the worst-of verdict, bounded concurrency, and --resolver forms.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { boundedMap, worstVerdict } from '../../src/core/reach/domainRun';
import { resolverServer } from '../../src/core/reach/mxResolution';

describe('a mail domain\'s verdict and runs', () => {
  test('open beats inconclusive beats closed; an error host makes the domain inconclusive, never closed', () => {
    assert.equal(worstVerdict(['closed', 'open', 'inconclusive']), 'open');
    assert.equal(worstVerdict(['closed', 'inconclusive']), 'inconclusive');
    assert.equal(worstVerdict(['closed', 'error']), 'inconclusive');
    assert.equal(worstVerdict(['closed', 'closed']), 'closed');
    assert.equal(worstVerdict([]), 'inconclusive');
  });

  test('boundedMap keeps the order and never runs more than N at a time', async () => {
    let running = 0;
    let most = 0;
    const results = await boundedMap([5, 1, 4, 2, 3, 0], 2, async (value) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, value));
      running--;
      return value * 10;
    });
    assert.deepEqual(results, [50, 10, 40, 20, 30, 0]);
    assert.equal(most, 2);
  });

  test('--resolver takes an IP with an optional port, IPv6 in brackets', () => {
    assert.equal(resolverServer('127.0.0.1'), '127.0.0.1');
    assert.equal(resolverServer('127.0.0.1:5353'), '127.0.0.1:5353');
    assert.equal(resolverServer('[::1]:5353'), '[::1]:5353');
    assert.throws(() => resolverServer('dns.example.com'), /--resolver needs an IP address/);
  });
});
