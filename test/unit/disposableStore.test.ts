import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DisposableStore, toDisposable } from '../../src/extension/disposableStore';

function recorder(log: string[], name: string) {
  return toDisposable(() => log.push(name));
}

describe('DisposableStore', () => {
  test('disposes what it owns, newest first, once', () => {
    const log: string[] = [];
    const store = new DisposableStore();
    store.add(recorder(log, 'first'));
    store.add(recorder(log, 'second'));
    store.dispose();
    store.dispose();
    assert.deepEqual(log, ['second', 'first']);
  });

  test('an item added after disposal is disposed at once instead of leaking', () => {
    const log: string[] = [];
    const store = new DisposableStore();
    store.dispose();
    store.add(recorder(log, 'late'));
    assert.deepEqual(log, ['late']);
  });

  test('one item that throws does not keep the others alive, and its error is rethrown', () => {
    const log: string[] = [];
    const store = new DisposableStore();
    store.add(recorder(log, 'first'));
    store.add({ dispose: () => { throw new Error('broken'); } });
    store.add(recorder(log, 'third'));
    assert.throws(() => store.dispose(), /broken/);
    assert.deepEqual(log, ['third', 'first']);
  });

  test('listeners pushed into listenerArray (the three-argument event form) are owned by the store', () => {
    const log: string[] = [];
    const store = new DisposableStore();
    // What VS Code's Emitter does with the third argument: Array.isArray, then push.
    assert.ok(Array.isArray(store.listenerArray));
    store.listenerArray.push(recorder(log, 'listener'));
    store.dispose();
    assert.deepEqual(log, ['listener']);
  });

  test('a released item is no longer disposed with the store', () => {
    const log: string[] = [];
    const store = new DisposableStore();
    const item = store.add(recorder(log, 'released'));
    store.release(item);
    store.dispose();
    assert.deepEqual(log, []);
  });
});
