/**
 * How many refusals one connection of a relay run may collect before the runner says QUIT and opens a
 * fresh one. Refusals are errors to the server, and servers punish clients that make many: Postfix sleeps
 * before every reply once a session has made smtpd_soft_error_limit (10) errors and drops it at
 * smtpd_hard_error_limit (20); Exim drops a session after smtp_max_synprot_errors (3) syntax or protocol
 * errors, and a refused sender address is one. The plan starts from a budget below Postfix's soft limit
 * and learns the server's own limit from the first connection it drops: the next connections are closed
 * by the runner one refusal before that count.
 */

/**
 * Refusals (4xx/5xx replies) on one connection after which the next test starts on a new connection:
 * below Postfix's default smtpd_soft_error_limit of 10, with room for a test that is refused twice
 * (RSET and MAIL, or MAIL and DATA, or a refused sender and then its recipient).
 */
export const refusalsPerConnection = 7;

/** Refusals a single test can make on its own: its sender, then its recipient (with an accepted sender). */
const refusalsPerTest = 2;

/** Syntax and protocol errors (500-504): what Exim counts against smtp_max_synprot_errors. */
function isSyntaxRefusal(code: number): boolean {
  return code >= 500 && code <= 504;
}

/** A limit the server showed: on every refusal (Postfix), or on syntax and protocol errors only (Exim). */
interface LearnedLimit {
  counts: 'refusals' | 'syntax errors';
  tolerated: number;
}

export class ConnectionErrorPlan {
  private refusals = 0;
  private syntaxRefusals = 0;
  private refusalBudget = refusalsPerConnection;
  private syntaxBudget = Number.POSITIVE_INFINITY;
  /** The lowest limit a server showed by closing a connection, once it has done so. */
  private learned: LearnedLimit | undefined;

  /** Refusals made on the connection now open. */
  get refusalsOnConnection(): number {
    return this.refusals;
  }

  /** The server's error limit as seen in this run, if it has closed a connection for it. */
  get serverLimit(): LearnedLimit | undefined {
    return this.learned;
  }

  /** A new connection starts with a clean count, as the server's own count does. */
  connectionOpened(): void {
    this.refusals = 0;
    this.syntaxRefusals = 0;
  }

  /** Counts the server's 4xx/5xx replies. */
  recordReplies(codes: Iterable<number>): void {
    for (const code of codes) {
      if (code >= 400) {
        this.refusals += 1;
      }
      if (isSyntaxRefusal(code)) {
        this.syntaxRefusals += 1;
      }
    }
  }

  /**
   * The server closed the connection because of its error limit. `closingCode` is the reply it closed
   * with, already recorded unless it was a 421:
   * - a 421 ("421 4.7.0 Error: too many errors", Postfix) comes after the refusals it tolerated;
   * - a syntax error (Exim answers its fourth syntax or protocol error "501 Too many syntax or protocol
   *   errors" and closes) is the first error past a limit on syntax errors only: Exim's "550 relay not
   *   permitted" does not count;
   * - any other refusal followed by the close is the first refusal past a limit on all refusals.
   * The budget then leaves room for a test refused twice (sender and recipient) within that limit: with
   * Exim's default, a new connection after 2 syntax errors. A limit of no error at all cannot be kept
   * below, and changes nothing.
   */
  connectionClosedByErrorLimit(closingCode: number): void {
    const limit: LearnedLimit =
      closingCode === 421
        ? { counts: 'refusals', tolerated: this.refusals }
        : isSyntaxRefusal(closingCode)
          ? { counts: 'syntax errors', tolerated: this.syntaxRefusals - 1 }
          : { counts: 'refusals', tolerated: this.refusals - 1 };
    if (limit.tolerated < 1) {
      return;
    }
    const budget = Math.max(1, limit.tolerated - (refusalsPerTest - 1));
    if (limit.counts === 'syntax errors') {
      this.syntaxBudget = Math.min(this.syntaxBudget, budget);
    } else {
      this.refusalBudget = Math.min(this.refusalBudget, budget);
    }
    if (this.learned === undefined || limit.tolerated < this.learned.tolerated) {
      this.learned = limit;
    }
  }

  /** True when the next test should start on a fresh connection. */
  get exhausted(): boolean {
    return this.refusals >= this.refusalBudget || this.syntaxRefusals >= this.syntaxBudget;
  }

  /** The transcript note that explains an early reconnection. */
  reconnectionNote(): string {
    const learned = this.learned;
    const why =
      learned === undefined
        ? '(Postfix: smtpd_soft_error_limit)'
        : `(this server closed an earlier connection after ${learned.tolerated} tolerated ${learned.counts}` +
          `${learned.counts === 'syntax errors' ? '; Exim: smtp_max_synprot_errors' : '; Postfix: smtpd_hard_error_limit'})`;
    const counted = this.syntaxRefusals >= this.syntaxBudget ? `${this.syntaxRefusals} syntax errors` : `${this.refusals} refusals`;
    return `${counted} on this connection: reconnecting before the server's error limit slows it down or drops it ${why}`;
  }
}
