import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { changedItemDescription, changedItemMessage, describeOutcomeChanges, outcomeChangeOf, outcomeChanges } from '../../src/core/relay/outcomeChanges';
import { normaliseTranscriptForComparison, previousRunOf } from '../../src/core/transcript/transcriptComparison';
import { writeTranscript } from '../../src/core/transcript/transcriptFormat';
import type { TranscriptEvent } from '../../src/core/transcript/transcriptEvent';

function transcript(startedAt: number, events: [TranscriptEvent['kind'], number, string][]): string {
  return writeTranscript({
    header: { tool: 'smtp-relay-lab 0.1.0', target: '127.0.0.1:2525', startedAt, extra: { file: 'relay.smtp' } },
    events: events.map(([kind, offset, text]) => ({ kind, at: startedAt + offset, tls: false, text })),
  });
}

describe('Compare with Previous Run: normalising two runs', () => {
  test('two runs that differ only in times, queue ids and banner dates normalise to the same text', () => {
    const first = transcript(Date.UTC(2026, 11, 1, 9, 0, 0), [
      ['received', 4, '220 mail.corp.example ESMTP Sendmail 8.17; Tue, 1 Dec 2026 09:00:00 +0000 (UTC)'],
      ['sent', 10, 'MAIL FROM:<a@corp.example>'],
      ['received', 12, '250 2.1.0 Ok'],
      ['received', 30, '250 2.0.0 Ok: queued as 4BXkQ1Z2wz'],
      ['received', 31, '250 OK id=1tA2bC-000123-Xy'],
      ['received', 32, '250 2.6.0 <a1b2c3@mail.corp.example> [InternalId=1234, Hostname=mail] Queued mail for delivery'],
      ['received', 33, '250 2.0.0 4B1M0abc012345 Message accepted for delivery'],
      ['info', 40, 'stored at 2026-12-01T09:00:01.000Z'],
    ]);
    const second = transcript(Date.UTC(2026, 11, 2, 1, 30, 0), [
      ['received', 9, '220 mail.corp.example ESMTP Sendmail 8.17; Wed, 2 Dec 2026 01:30:00 +0000 (UTC)'],
      ['sent', 15, 'MAIL FROM:<a@corp.example>'],
      ['received', 16, '250 2.1.0 Ok'],
      ['received', 80, '250 2.0.0 Ok: queued as 9ZZzQ8Y7xa'],
      ['received', 81, '250 OK id=1tB9zz-000999-Qq'],
      ['received', 82, '250 2.6.0 <ffee99@mail.corp.example> [InternalId=98765, Hostname=mail] Queued mail for delivery'],
      ['received', 83, '250 2.0.0 4B2N1xyz987654 Message accepted for delivery'],
      ['info', 90, 'stored at 2026-12-02T01:30:01.500Z'],
    ]);
    assert.notEqual(first, second);
    assert.equal(normaliseTranscriptForComparison(first), normaliseTranscriptForComparison(second));
    assert.match(normaliseTranscriptForComparison(first), /queued as <queue-id>/);
    assert.match(normaliseTranscriptForComparison(first), /^=== started: <start time>$/m);
  });

  test('a reply that changed (454 then 250) still shows, on its own line; addresses and codes are never taken for ids', () => {
    const before = normaliseTranscriptForComparison(transcript(0, [['sent', 1, 'RCPT TO:<relay-test@example.net>'], ['received', 2, '454 4.7.1 <relay-test@example.net>: Relay access denied']]));
    const after = normaliseTranscriptForComparison(transcript(60_000, [['sent', 3, 'RCPT TO:<relay-test@example.net>'], ['received', 4, '250 2.1.5 Ok']]));
    const beforeLines = before.split('\n');
    const afterLines = after.split('\n');
    assert.equal(beforeLines.length, afterLines.length);
    const differing = beforeLines.filter((line, index) => line !== afterLines[index]);
    assert.deepEqual(differing, ['<-  454 4.7.1 <relay-test@example.net>: Relay access denied']);
  });

  test('the previous run is the latest earlier one against the same target, of the same kind when there is one', () => {
    const runs = [
      { id: 'c', label: '.smtp file: relay.smtp', target: '127.0.0.1:2525', startedAt: 300 },
      { id: 'b', label: 'Session terminal', target: '127.0.0.1:2525', startedAt: 200 },
      { id: 'x', label: '.smtp file: relay.smtp', target: '127.0.0.1:2526', startedAt: 250 },
      { id: 'a', label: '.smtp file: relay.smtp', target: '127.0.0.1:2525', startedAt: 100 },
    ];
    assert.equal(previousRunOf(runs[0], runs)?.id, 'a');
    assert.equal(previousRunOf(runs[1], runs)?.id, 'a', 'no earlier terminal run: any run against the target');
    assert.equal(previousRunOf(runs[3], runs), undefined);
  });
});

describe('Test Explorer: tests that changed outcome since the last run', () => {
  test('lists each test whose outcome differs, with before and after; the first run says so', () => {
    const changes = outcomeChanges({ control: 'passed', kb1: 'passed', kb6: 'needs-confirmation' }, { control: 'passed', kb1: 'failed', kb6: 'needs-confirmation', kb7: 'passed' });
    assert.deepEqual(changes, [
      { id: 'kb1', before: 'passed', after: 'failed' },
      { id: 'kb7', before: undefined, after: 'passed' },
    ]);
    assert.deepEqual(describeOutcomeChanges('127.0.0.1:2525', changes, true), [
      'Changed since the last run against 127.0.0.1:2525:',
      '  kb1: passed -> failed',
      '  kb7: not run -> passed',
    ]);
    assert.deepEqual(outcomeChanges(undefined, { kb1: 'passed' }), []);
    assert.match(describeOutcomeChanges('127.0.0.1:2525', [], false)[0], /^First run against/);
    assert.match(describeOutcomeChanges('127.0.0.1:2525', [], true)[0], /^No test changed outcome/);
  });

  test("one test's mark: its description in the tree and its message, only when its outcome changed", () => {
    const previous = { kb1: 'passed', control: 'passed' };
    assert.equal(outcomeChangeOf(previous, 'control', 'passed'), undefined);
    assert.equal(outcomeChangeOf(undefined, 'kb1', 'failed'), undefined, 'no last run: nothing to compare');
    const kb1 = outcomeChangeOf(previous, 'kb1', 'failed');
    assert.deepEqual(kb1, { id: 'kb1', before: 'passed', after: 'failed' });
    assert.equal(changedItemDescription(kb1!), 'kb1 · changed: passed -> failed');
    assert.equal(changedItemMessage('Staging (127.0.0.1:2525)', kb1!), 'Changed since the last run against Staging (127.0.0.1:2525): passed -> failed');
    assert.equal(changedItemDescription(outcomeChangeOf(previous, 'kb7', 'passed')!), 'kb7 · changed: not run -> passed');
  });
});
