/** The timer functions a WriteThrottle uses; tests pass their own to run timers by hand. */
export interface Timers {
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (callback, delayMs) => setTimeout(callback, delayMs),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Writes at most once per `delayMs` while changes keep coming, and never two writes at once. A throttle
 * rather than a debounce: a session that talks without pause (a relay run) is still on disk within
 * `delayMs`, not only once it falls silent. `flush()` writes now, for a session that just closed.
 */
export class WriteThrottle {
  private timer: unknown;
  private timerSet = false;
  private lastWrite: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(
    /** Must not reject: the owner logs its own failures. */
    private readonly write: () => Promise<void>,
    private readonly delayMs: number,
    private readonly timers: Timers = realTimers,
  ) {}

  get isScheduled(): boolean {
    return this.timerSet;
  }

  /** Something changed: write within `delayMs`, unless a write is already scheduled. */
  request(): void {
    if (this.disposed || this.timerSet) {
      return;
    }
    this.timerSet = true;
    this.timer = this.timers.set(() => {
      this.timerSet = false;
      void this.run();
    }, this.delayMs);
  }

  /** Writes now (after any write in progress); resolves when that write is done. */
  flush(): Promise<void> {
    this.cancel();
    return this.run();
  }

  /** Drops a scheduled write; a write in progress finishes. */
  dispose(): void {
    this.disposed = true;
    this.cancel();
  }

  private cancel(): void {
    if (this.timerSet) {
      this.timers.clear(this.timer);
      this.timerSet = false;
    }
  }

  private run(): Promise<void> {
    this.lastWrite = this.lastWrite.then(() => this.write());
    return this.lastWrite;
  }
}
