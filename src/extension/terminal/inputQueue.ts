/**
 * The session terminal's work queue: one thing at a time, and what the user types while the console is busy
 * (typeahead, a pasted block) waits its turn, as in a shell. Raw input is kept as it came and handed to the
 * line editor only when the console is free, so a pasted line after "DATA" is read in message mode.
 * No `vscode` here.
 */

export interface InputQueueHandlers {
  /** Feeds raw input to the line editor (echo, Ctrl+C); returns the input it did not take and a submitted line. */
  edit(input: string): { rest: string; submitted?: string };
  /** A line the user submitted, handled in its turn. */
  handleLine(line: string): Promise<void>;
  /** A queued piece of work rejected: say so, and go on with the next. */
  unexpected(error: unknown): void;
}

export class InputQueue {
  /** Raw input typed while the console was busy, handled once it is free. */
  private pendingInput = '';
  private readonly queuedWork: Array<() => Promise<void>> = [];
  private busyValue = false;
  private disposed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly handlers: InputQueueHandlers) {}

  /** A piece of work (a line, a command) is running. */
  get busy(): boolean {
    return this.busyValue;
  }

  /** Raw data from the terminal: edited now if the console is free, else when it is. */
  input(data: string): void {
    this.pendingInput += data;
    this.drain();
  }

  /** Work from outside the keyboard (connecting, a relay test run), after what is queued. */
  schedule(work: () => Promise<void>): void {
    this.queuedWork.push(work);
    this.drain();
  }

  /** Ctrl+C during a wait: the typeahead goes with the wait it was meant to follow, as a shell's interrupt does. */
  dropTypeahead(): void {
    this.pendingInput = '';
  }

  /** Resolves once every typed line, pasted line and queued piece of work has been handled. */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.drain();
    });
  }

  /** Nothing more runs; whoever waits for idle is released. */
  dispose(): void {
    this.disposed = true;
    this.drain();
  }

  private drain(): void {
    if (this.disposed) {
      this.releaseIdleWaiters();
      return;
    }
    while (!this.busyValue) {
      const work = this.queuedWork.shift();
      if (work) {
        this.busyValue = true;
        void work()
          .catch((error: unknown) => this.handlers.unexpected(error))
          .finally(() => {
            this.busyValue = false;
            this.drain();
          });
        return;
      }
      if (this.pendingInput === '') {
        this.releaseIdleWaiters();
        return;
      }
      const step = this.handlers.edit(this.pendingInput);
      this.pendingInput = step.rest;
      const submitted = step.submitted;
      if (submitted !== undefined) {
        this.queuedWork.push(() => this.handlers.handleLine(submitted));
      }
    }
  }

  private releaseIdleWaiters(): void {
    for (const resolve of this.idleWaiters.splice(0)) {
      resolve();
    }
  }
}
