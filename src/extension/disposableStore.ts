/**
 * Owns disposables and releases them together, newest first. Imports nothing from `vscode`: anything with a
 * `dispose()` method fits, so the store can be unit-tested with plain node.
 */
export interface Disposable {
  dispose(): unknown;
}

export class DisposableStore implements Disposable {
  private readonly items: Disposable[] = [];
  private disposed = false;

  /**
   * An array to pass as the third argument of a VS Code event (`onDidX(listener, this, store.listenerArray)`).
   * VS Code only pushes into real arrays, so this is one, but its `push` hands each listener to the store.
   */
  readonly listenerArray: Disposable[] = this.createListenerArray();

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Takes ownership. Adding to a store that is already disposed disposes the item at once (no leak). */
  add<T extends Disposable>(item: T): T {
    if (this.disposed) {
      item.dispose();
    } else {
      this.items.push(item);
    }
    return item;
  }

  /** Gives up ownership without disposing, e.g. when a terminal closed itself. */
  release(item: Disposable): void {
    const index = this.items.indexOf(item);
    if (index >= 0) {
      this.items.splice(index, 1);
    }
  }

  /** Disposes every item even when one throws, then rethrows the first error. */
  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    const errors: unknown[] = [];
    while (this.items.length > 0) {
      const item = this.items.pop()!;
      try {
        item.dispose();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) {
      throw errors[0];
    }
    if (errors.length > 1) {
      throw new AggregateError(errors, `${errors.length} disposables failed to dispose`);
    }
  }

  private createListenerArray(): Disposable[] {
    const array: Disposable[] = [];
    array.push = (...items: Disposable[]): number => {
      for (const item of items) {
        this.add(item);
      }
      return this.items.length;
    };
    return array;
  }
}

/** Wraps a cleanup function as a disposable that runs it once. */
export function toDisposable(cleanup: () => void): Disposable {
  let done = false;
  return {
    dispose() {
      if (!done) {
        done = true;
        cleanup();
      }
    },
  };
}
