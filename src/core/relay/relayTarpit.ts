/**
 * A tarpit (Exchange's TarpitTime, KB 842851) delays the reply to every failed recipient, more with
 * each failure, so harvesting a directory costs time. The runner times each RCPT reply; this decides
 * from those timings whether the server seems to do that.
 */

export interface RcptTiming {
  /** From sending RCPT TO to its complete reply. */
  latencyMs: number;
  /** Whether the reply refused the recipient. */
  rejected: boolean;
}

export interface TarpitFinding {
  /** The fastest RCPT reply: what the server takes without a deliberate delay. */
  baselineMs: number;
  /** The slowest reply to a refused recipient. */
  slowestMs: number;
}

/** A deliberate delay must stand out from the baseline by this much, and by this factor, to count. */
const minimumExtraMs = 150;
const minimumFactor = 3;
/**
 * A fixed delay (Postfix sleeps smtpd_error_sleep_time, 1 s, before every reply past its soft error
 * limit) comes back a few milliseconds shorter or longer each time: only a real drop counts as shrinking.
 */
const jitterAllowance = 0.9;

/**
 * Tarpitting is suspected when at least two refused recipients were answered clearly slower than the
 * fastest RCPT reply, and the delays do not shrink: the last slow reply is at least as slow as the first.
 */
export function detectTarpit(timings: readonly RcptTiming[]): TarpitFinding | undefined {
  if (timings.length < 2) {
    return undefined;
  }
  const baselineMs = Math.min(...timings.map((timing) => timing.latencyMs));
  const threshold = Math.max(baselineMs + minimumExtraMs, baselineMs * minimumFactor);
  const slowRefusals = timings.filter((timing) => timing.rejected && timing.latencyMs >= threshold);
  if (slowRefusals.length < 2) {
    return undefined;
  }
  const first = slowRefusals[0].latencyMs;
  const last = slowRefusals[slowRefusals.length - 1].latencyMs;
  if (last < first * jitterAllowance) {
    return undefined;
  }
  return { baselineMs, slowestMs: Math.max(...slowRefusals.map((timing) => timing.latencyMs)) };
}
