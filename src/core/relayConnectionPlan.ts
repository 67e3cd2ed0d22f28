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

export class ConnectionErrorPlan {
  private refusals = 0;
  private budget = refusalsPerConnection;
  /** The refusals after which the server closed a connection, once it has done so. */
  private learnedLimit: number | undefined;

  /** Refusals made on the connection now open. */
  get refusalsOnConnection(): number {
    return this.refusals;
  }

  /** Refusals the runner allows itself per connection now (the default, or one below the server's limit). */
  get refusalBudget(): number {
    return this.budget;
  }

  /** The server's error limit as seen in this run, if it has closed a connection after refusals. */
  get serverLimit(): number | undefined {
    return this.learnedLimit;
  }

  /** A new connection starts with a clean count, as the server's own count does. */
  connectionOpened(): void {
    this.refusals = 0;
  }

  /** Counts the server's 4xx/5xx replies (the closing reply included; the caller passes it separately). */
  recordReplies(codes: Iterable<number>): void {
    for (const code of codes) {
      if (code >= 400) {
        this.refusals += 1;
      }
    }
  }

  /**
   * The server closed the connection because of its error limit, having tolerated `toleratedRefusals`
   * refusals on it: the refusals before a closing "421 too many errors" (Postfix), or all but the last
   * one when the server answered a refusal and closed (Exim answers the fourth syntax error with
   * "501 Too many syntax or protocol errors"). The budget then leaves room for a test refused twice
   * (sender and recipient) within that limit: with Exim's default, a new connection after 2 refusals.
   * A limit of no refusal at all cannot be kept below, and changes nothing.
   */
  connectionDropped(toleratedRefusals: number): void {
    if (toleratedRefusals < 1) {
      return;
    }
    if (this.learnedLimit === undefined || toleratedRefusals < this.learnedLimit) {
      this.learnedLimit = toleratedRefusals;
      this.budget = Math.max(1, Math.min(this.budget, toleratedRefusals - (refusalsPerTest - 1)));
    }
  }

  /** True when the next test should start on a fresh connection. */
  get exhausted(): boolean {
    return this.refusals >= this.budget;
  }

  /** The transcript note that explains an early reconnection. */
  reconnectionNote(): string {
    const why =
      this.learnedLimit === undefined
        ? '(Postfix: smtpd_soft_error_limit)'
        : `(this server closed an earlier connection after ${this.learnedLimit} tolerated refusal${this.learnedLimit === 1 ? '' : 's'}; ` +
          'Exim: smtp_max_synprot_errors)';
    return `${this.refusals} refusals on this connection: reconnecting before the server's error limit slows it down or drops it ${why}`;
  }
}
