import type { Persona } from '../persona';
import { exchangePersona, exchangeRecipient } from './exchange';

export interface TarpitTiming {
  /** Added for each failed recipient of the connection: 1st waits stepMs, 2nd 2 x stepMs, ... */
  stepMs: number;
  capMs: number;
}

export const defaultTarpitTiming: TarpitTiming = { stepMs: 200, capMs: 1_500 };

/**
 * Exchange 2003 with recipient filtering and the TarpitTime of KB 842851: it looks recipients up at
 * RCPT (so it refuses unknown users with 5.1.1) and slows every failed recipient down, more with
 * each failure, so that harvesting a directory costs the attacker time.
 */
export function createTarpitPersona(timing: TarpitTiming = defaultTarpitTiming): Persona {
  return {
    ...exchangePersona,
    name: 'tarpit',
    summary: `Exchange 2003 with recipient filtering and a tarpit: 550 5.1.1 for unknown users, each failure delayed more (${timing.stepMs} ms steps, at most ${timing.capMs} ms)`,
    rcptTo: (path, site) => exchangeRecipient(path, site, { directoryLookup: true }),
    rejectionDelayMs: (failedRecipients) => Math.min(timing.stepMs * failedRecipients, timing.capMs),
  };
}
