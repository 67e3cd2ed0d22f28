import type { ReplySignal } from '../relay/classification';
import type { SmtpReply } from '../protocol/reply';

/**
 * Greylisting (postgrey, Postfix's postscreen, rspamd's greylist module): a first attempt from an unknown
 * (client, sender, recipient) triple is answered with a 4yz, and the same triple is accepted after a
 * delay. Such a reply says nothing about relaying, so the runner retries the test with the same sender
 * and recipient after a backoff instead of counting the 4yz as a refusal, and never calls the server
 * closed because of it.
 *
 * Only a 4yz that is not a relay denial (454 4.7.1 "Relay access denied" is the server's policy, not a
 * delay) and that reads like a delay counts: "Greylisted", "try again later", "please retry", "deferred",
 * 4.7.1 with a "greylist" word, or 421 at the greeting (a server that is busy or greylists connections).
 */

/** The delays tried when the server names none: growing, as postgrey's default 300 s suggests. */
export const greylistBackoffMs: readonly number[] = [5_000, 15_000, 60_000, 300_000];

/** A delay the server names is honoured up to this, plus a second for clock edges. */
const longestNamedDelayMs = 15 * 60_000;
const namedDelayMarginMs = 1_000;

const delayWords = /\b(grey|gray)[- ]?list(ed|ing)?\b|\btry (again )?later\b|\bplease retry\b|\bretry (in|after)\b|\bdeferred\b|\btemporar(il)?y (deferred|rejected|refused|blocked)\b/i;

export interface GreylistJudgement {
  greylisted: boolean;
  /** The delay the server names ("retry in 60 seconds", "wait 5 minutes"), when it names one. */
  namedDelayMs?: number;
}

/**
 * Whether a reply is greylisting (or another "come back later" that is not a relay denial). `signals`
 * are the classifier's, so that a 4yz relay denial stays a denial.
 */
export function judgeGreylisting(reply: SmtpReply, signals: readonly ReplySignal[] = [], stage: 'greeting' | 'command' = 'command'): GreylistJudgement {
  if (reply.code < 400 || reply.code >= 500 || signals.includes('relay-denied')) {
    return { greylisted: false };
  }
  const text = reply.text;
  const greylisted = (stage === 'greeting' && reply.code === 421) || delayWords.test(text);
  if (!greylisted) {
    return { greylisted: false };
  }
  const namedDelayMs = namedDelay(text);
  return namedDelayMs === undefined ? { greylisted } : { greylisted, namedDelayMs };
}

/** "retry in 60 seconds", "wait 5 minutes", "try again in 30s", "greylisted for 300 seconds". */
export function namedDelay(text: string): number | undefined {
  const match = /\b(\d{1,5})\s*(s|sec|secs|seconds?|m|min|mins|minutes?)\b/i.exec(text);
  if (!match) {
    return undefined;
  }
  const amount = Number(match[1]);
  const unitMs = /^m/i.test(match[2]) ? 60_000 : 1_000;
  const delayMs = amount * unitMs;
  if (delayMs <= 0 || delayMs > longestNamedDelayMs) {
    return undefined;
  }
  return delayMs + namedDelayMarginMs;
}

/**
 * The wait before retry number `attempt` (1 for the first retry): the server's own delay when it named
 * one, else the next step of greylistBackoffMs. Undefined when the schedule is used up.
 */
export function greylistDelayBeforeRetry(
  attempt: number,
  judgement: GreylistJudgement,
  schedule: readonly number[] = greylistBackoffMs,
): number | undefined {
  if (attempt < 1 || attempt > schedule.length) {
    return undefined;
  }
  return judgement.namedDelayMs ?? schedule[attempt - 1];
}
