import { describeDuration } from '../protocol/socketFailure';

/**
 * A bound on a whole run (`--deadline`): every wait of the run (connects, replies, greylisting backoff,
 * waiting for a delivery) ends when it passes. `signal` aborts then, and is what the run's sessions get,
 * combined with the user's own cancel; `reason` tells the two apart afterwards.
 */
export class RunDeadline {
  readonly endsAt: number;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly totalMs: number,
    now = Date.now(),
  ) {
    this.endsAt = now + totalMs;
    this.timer = setTimeout(() => this.controller.abort(new DeadlinePassedError(this)), Math.max(0, totalMs));
    // A pending deadline alone must not keep a CLI process alive.
    this.timer.unref?.();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get passed(): boolean {
    return this.controller.signal.aborted || Date.now() >= this.endsAt;
  }

  remainingMs(now = Date.now()): number {
    return Math.max(0, this.endsAt - now);
  }

  /** What a test that the deadline stopped (or never let start) says. */
  get reason(): string {
    return `the run's deadline of ${describeDuration(this.totalMs)} passed`;
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

export class DeadlinePassedError extends Error {
  constructor(deadline: RunDeadline) {
    super(deadline.reason);
    this.name = 'DeadlinePassedError';
  }
}

/** One signal that aborts when any of `signals` does (AbortSignal.any, Node 20.3+). */
export function eitherSignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (present.length <= 1) {
    return present[0];
  }
  return AbortSignal.any(present);
}

/**
 * Waits `ms`, or less when `signal` aborts first; resolves true when the whole wait ran, false when it
 * was cut short. Never rejects.
 */
export function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const done = (completed: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(completed);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
