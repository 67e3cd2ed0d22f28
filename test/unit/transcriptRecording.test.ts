import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TranscriptEvent } from '../../src/core/transcript/transcriptEvent';
import { readTranscript } from '../../src/core/transcript/transcriptFormat';
import { localDomainsOfHeader } from '../../src/core/transcript/transcriptLocalDomains';
import { TranscriptRecording, type RecordingHost } from '../../src/extension/transcripts/transcriptRecording';
import { WriteThrottle, type Timers } from '../../src/extension/transcripts/writeThrottle';

const startedAt = Date.parse('2026-11-28T22:30:00.000Z');

function received(text: string, offsetMs: number): TranscriptEvent {
  return { kind: 'received', at: startedAt + offsetMs, tls: false, text };
}

function sent(text: string, offsetMs: number): TranscriptEvent {
  return { kind: 'sent', at: startedAt + offsetMs, tls: false, text };
}

/** A session-like source whose events and close the test fires by hand. */
class FakeSession {
  private eventListeners = new Set<(event: TranscriptEvent) => void>();
  private closeListeners = new Set<() => void>();

  onEvent(listener: (event: TranscriptEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onClose(listener: () => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  emit(event: TranscriptEvent): void {
    this.eventListeners.forEach((listener) => listener(event));
  }

  close(): void {
    this.closeListeners.forEach((listener) => listener());
  }

  get listenerCount(): number {
    return this.eventListeners.size + this.closeListeners.size;
  }
}

class RecordingHostLog implements RecordingHost {
  readonly calls: string[] = [];
  recorded(): void {
    this.calls.push('recorded');
  }
  sourceClosed(): void {
    this.calls.push('closed');
  }
  finished(): Promise<void> {
    this.calls.push('finished');
    return Promise.resolve();
  }
}

function newRecording(host: RecordingHost = new RecordingHostLog()): TranscriptRecording {
  return new TranscriptRecording(
    {
      id: 'r1',
      label: 'Session terminal: Practice server (exchange)',
      target: '127.0.0.1:2525',
      startedAt,
      tool: 'smtp-relay-lab 0.1.0',
      extra: { tls: 'none' },
      localDomains: ['corp.example', 'example.com'],
    },
    host,
  );
}

describe('a recording', () => {
  test('keeps every event of every session it follows, in order, across a reconnect', () => {
    const recording = newRecording();
    const first = new FakeSession();
    const second = new FakeSession();
    recording.follow(first);
    first.emit(received('220 mail.example.com ESMTP', 1));
    first.emit(sent('QUIT', 2));
    recording.follow(second);
    second.emit(received('220 mail.example.com ESMTP', 3));
    assert.deepEqual(
      recording.events.map((event) => event.text),
      ['220 mail.example.com ESMTP', 'QUIT', '220 mail.example.com ESMTP'],
    );
  });

  test('its text is our v1 format with target, tool, extra headers and the local domains', () => {
    const recording = newRecording();
    recording.record(received('220 mail.example.com ESMTP', 4));
    const read = readTranscript(recording.toText());
    assert.equal(read.header.target, '127.0.0.1:2525');
    assert.equal(read.header.tool, 'smtp-relay-lab 0.1.0');
    assert.equal(read.header.startedAt, startedAt);
    assert.equal(read.header.extra?.tls, 'none');
    assert.deepEqual(localDomainsOfHeader(read.header), ['corp.example', 'example.com']);
    assert.deepEqual(read.events, [received('220 mail.example.com ESMTP', 4)]);
  });

  test('tells the store of each event, of a closed connection, and of the end', async () => {
    const host = new RecordingHostLog();
    const recording = newRecording(host);
    const session = new FakeSession();
    recording.follow(session);
    session.emit(received('220 ready', 1));
    session.close();
    await recording.finish();
    assert.deepEqual(host.calls, ['recorded', 'closed', 'finished']);
  });

  test('finish stops following: later events of the session are not recorded, and no listener is left behind', async () => {
    const recording = newRecording();
    const session = new FakeSession();
    recording.follow(session);
    await recording.finish();
    session.emit(received('250 late', 9));
    assert.equal(recording.events.length, 0);
    assert.equal(session.listenerCount, 0);
    assert.equal(recording.isFinished, true);
  });

  test('an event recorded by hand after finish is still kept: a transcript must not drop lines', async () => {
    const recording = newRecording();
    await recording.finish();
    recording.record(received('421 closing', 5));
    assert.equal(recording.events.length, 1);
  });

  test('the last activity is the time of the latest event, so the most recent session sorts first', () => {
    const recording = newRecording();
    assert.equal(recording.lastActivityAt, startedAt);
    recording.record(received('220 ready', 1500));
    assert.equal(recording.lastActivityAt, startedAt + 1500);
  });
});

/** Timers the test runs by hand: no waiting, no timed assertions. */
class ManualTimers implements Timers {
  private nextHandle = 1;
  readonly pending = new Map<number, () => void>();

  set(callback: () => void): unknown {
    const handle = this.nextHandle++;
    this.pending.set(handle, callback);
    return handle;
  }

  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  runAll(): void {
    const callbacks = [...this.pending.values()];
    this.pending.clear();
    callbacks.forEach((callback) => callback());
  }
}

describe('writing while events arrive', () => {
  test('many changes before the timer fires make one write (a throttle, not one write per line)', async () => {
    const timers = new ManualTimers();
    let writes = 0;
    const throttle = new WriteThrottle(async () => void writes++, 1000, timers);
    for (let index = 0; index < 50; index++) {
      throttle.request();
    }
    assert.equal(timers.pending.size, 1);
    timers.runAll();
    await throttle.flush();
    assert.equal(writes, 2, 'the timer write, then the flush');
  });

  test('a flush writes at once and cancels the scheduled write', async () => {
    const timers = new ManualTimers();
    let writes = 0;
    const throttle = new WriteThrottle(async () => void writes++, 1000, timers);
    throttle.request();
    await throttle.flush();
    assert.equal(writes, 1);
    assert.equal(timers.pending.size, 0);
    assert.equal(throttle.isScheduled, false);
  });

  test('writes never overlap: a flush during a write waits for it', async () => {
    const order: string[] = [];
    let releaseFirst: () => void = () => undefined;
    let calls = 0;
    const throttle = new WriteThrottle(
      () => {
        calls += 1;
        const call = calls;
        order.push(`start ${call}`);
        if (call === 1) {
          return new Promise<void>((resolve) => {
            releaseFirst = () => {
              order.push('end 1');
              resolve();
            };
          });
        }
        order.push(`end ${call}`);
        return Promise.resolve();
      },
      1000,
      new ManualTimers(),
    );
    const first = throttle.flush();
    const second = throttle.flush();
    await Promise.resolve();
    releaseFirst();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['start 1', 'end 1', 'start 2', 'end 2']);
  });

  test('after dispose nothing more is scheduled', () => {
    const timers = new ManualTimers();
    const throttle = new WriteThrottle(async () => undefined, 1000, timers);
    throttle.request();
    throttle.dispose();
    throttle.request();
    assert.equal(timers.pending.size, 0);
  });
});

describe('TranscriptRecording: running or ended, as the Save and Open Recent pickers say', () => {
  test('a followed session is running until its connection closes, even though the recording is not finished', () => {
    const recording = new TranscriptRecording({ id: 'r1', label: 'Session terminal', target: '127.0.0.1:2525', startedAt, tool: 't' }, new RecordingHostLog());
    const session = new FakeSession();
    recording.follow(session);
    assert.equal(recording.isRunning, true);
    session.close();
    assert.equal(recording.isFinished, false, 'the terminal is still open');
    assert.equal(recording.isRunning, false, 'but its connection is closed: not "running"');
    const reconnected = new FakeSession();
    recording.follow(reconnected);
    assert.equal(recording.isRunning, true, 'a /reconnect makes it run again');
    void recording.finish();
    assert.equal(recording.isRunning, false);
  });

  test('a run that records its own events is running until it finishes', () => {
    const recording = new TranscriptRecording({ id: 'r2', label: 'Run Relay Suite', target: '127.0.0.1:2525', startedAt, tool: 't' }, new RecordingHostLog());
    recording.record(sent('EHLO client.example.com', 1));
    assert.equal(recording.isRunning, true);
    void recording.finish();
    assert.equal(recording.isRunning, false);
  });
});
