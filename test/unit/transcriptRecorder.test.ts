import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TranscriptRecorder, type TranscriptEventSource } from '../../src/core/transcript/transcriptRecorder';
import type { TranscriptEvent } from '../../src/core/transcript/transcriptEvent';

/** Stands in for an SmtpSession: reports events to whoever listens until they unsubscribe. */
class FakeSession implements TranscriptEventSource {
  private readonly listeners = new Set<(event: TranscriptEvent) => void>();

  onEvent(listener: (event: TranscriptEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: TranscriptEvent): void {
    for (const listener of this.listeners) {
      listener(event);
    }
  }
}

const greeting: TranscriptEvent = { kind: 'received', at: 1000, tls: false, text: '220 mail.example.com ESMTP' };

describe('TranscriptRecorder', () => {
  test('records what a session reports, in order, until told to stop', () => {
    const session = new FakeSession();
    const recorder = new TranscriptRecorder();
    const stop = recorder.follow(session);
    session.emit(greeting);
    session.emit({ kind: 'sent', at: 1001, tls: false, text: 'QUIT' });
    stop();
    session.emit({ kind: 'info', at: 1002, tls: false, text: 'after stop' });
    assert.deepEqual(
      recorder.events.map((event) => event.text),
      ['220 mail.example.com ESMTP', 'QUIT'],
    );
  });

  test('keeps every event: there is no cap', () => {
    const recorder = new TranscriptRecorder();
    for (let index = 0; index < 50_000; index += 1) {
      recorder.record({ kind: 'sent', at: index, tls: false, text: 'NOOP' });
    }
    assert.equal(recorder.size, 50_000);
    assert.equal(recorder.toTranscript({ tool: 't', startedAt: 0 }).events.length, 50_000);
  });

  test('a caller that mutates its event or the transcript afterwards cannot rewrite the record', () => {
    const recorder = new TranscriptRecorder();
    const event: TranscriptEvent = { ...greeting };
    recorder.record(event);
    event.text = 'tampered';
    const first = recorder.toTranscript({ tool: 't', startedAt: 0, extra: { persona: 'exchange' } });
    first.events[0].text = 'tampered too';
    first.header.extra!.persona = 'tampered';
    const second = recorder.toTranscript({ tool: 't', startedAt: 0 });
    assert.equal(second.events[0].text, '220 mail.example.com ESMTP');
  });

  test('toTranscript gives the header and an ending only where the event had one', () => {
    const recorder = new TranscriptRecorder();
    recorder.record(greeting);
    recorder.record({ kind: 'received', at: 1001, tls: true, text: '421 bye', ending: 'none' });
    assert.deepEqual(recorder.toTranscript({ tool: 'smtp-relay-lab 0.1.0', startedAt: 1000, target: '127.0.0.1:2525' }), {
      header: { tool: 'smtp-relay-lab 0.1.0', startedAt: 1000, target: '127.0.0.1:2525' },
      events: [greeting, { kind: 'received', at: 1001, tls: true, text: '421 bye', ending: 'none' }],
    });
  });
});
