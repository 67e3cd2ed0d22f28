/** What a command needs from the process: where to write, and a signal for Ctrl+C. Tests pass their own. */
export interface CliContext {
  /** Writes to standard output; the text carries its own line ends. */
  out(text: string): void;
  /** Writes to standard error; the text carries its own line ends. */
  err(text: string): void;
  /** Progress lines are only written when stderr is a terminal. */
  errIsTerminal: boolean;
  /** Aborted on Ctrl+C (SIGINT) or SIGTERM. */
  signal: AbortSignal;
}

/** A failure that is not the user's command line: unreachable server, unreadable file (exit 3). */
export class CliRuntimeError extends Error {
  override name = 'CliRuntimeError';
}
