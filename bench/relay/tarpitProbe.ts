/**
 * Does the server tarpit? One polite connection: EHLO, MAIL, one recipient it accepts (the baseline),
 * then refused remote recipients one at a time, each reply timed, until the delays clearly grow or
 * maxRefusals is reached (below Postfix's smtpd_hard_error_limit of 20). A tarpit is a finding for the
 * admin (KB 304897 recommends one against directory harvest), not only a cost for the tools.
 */
import { performance } from 'node:perf_hooks';
import { detectTarpit, type RcptTiming, type TarpitFinding } from '../../src/core/relay/relayTarpit';
import { SmtpSession } from '../../src/core/protocol/session';
import type { BenchTarget } from './benchTargets';
import { benchRelayParameters } from './relayTool';

const maxRefusals = 14;

export interface TarpitProbeResult {
  refusals: number;
  /** Reply times of the refused recipients, in order. */
  refusalMs: number[];
  baselineMs?: number;
  finding?: TarpitFinding;
  /** 1-based: the refusal from which replies were slow. */
  slowFrom?: number;
  summary: string;
}

export async function probeTarpit(target: BenchTarget): Promise<TarpitProbeResult> {
  const session = new SmtpSession({ host: target.host, port: target.port, tls: 'none', timeouts: { replyMs: 10_000 } });
  const timings: RcptTiming[] = [];
  const refusalMs: number[] = [];
  let baselineMs: number | undefined;
  let finding: TarpitFinding | undefined;
  const timedRcpt = async (recipient: string) => {
    const sentAt = performance.now();
    const reply = await session.command(`RCPT TO:<${recipient}>`);
    return { reply, ms: performance.now() - sentAt };
  };
  try {
    await session.connect();
    await session.ehlo(benchRelayParameters.heloName);
    await session.command(`MAIL FROM:<tarpit-probe@example.org>`);
    const baseline = await timedRcpt(`${benchRelayParameters.localUser}@${target.localDomain}`);
    if (baseline.reply.code < 400) {
      baselineMs = baseline.ms;
      timings.push({ latencyMs: baseline.ms, rejected: false });
    }
    for (let index = 1; index <= maxRefusals; index++) {
      const { reply, ms } = await timedRcpt(`probe-${index}@${benchRelayParameters.remoteDomain}`);
      if (reply.code < 400) {
        return { refusals: refusalMs.length, refusalMs, summary: 'accepts remote recipients: no refusals to time (an open relay does not tarpit them)' };
      }
      if (reply.code === 421) {
        break;
      }
      refusalMs.push(ms);
      timings.push({ latencyMs: ms, rejected: true });
      finding = detectTarpit(timings);
      if (finding && refusalMs.length >= 3 && refusalMs.at(-1)! >= finding.slowestMs * 0.9) {
        break;
      }
    }
  } finally {
    await session.quit();
  }
  return describe({ refusals: refusalMs.length, refusalMs, ...(baselineMs === undefined ? {} : { baselineMs }), ...(finding ? { finding } : {}) });
}

function describe(result: Omit<TarpitProbeResult, 'summary' | 'slowFrom'>): TarpitProbeResult {
  const rounded = (ms: number): string => `${Math.round(ms)} ms`;
  if (!result.finding) {
    const range = result.refusalMs.length > 0 ? ` (${rounded(Math.min(...result.refusalMs))} to ${rounded(Math.max(...result.refusalMs))})` : '';
    return { ...result, summary: `no tarpit: ${result.refusals} refused recipients answered without a growing delay${range}` };
  }
  const threshold = Math.max(result.finding.baselineMs + 150, result.finding.baselineMs * 3);
  const slowFrom = result.refusalMs.findIndex((ms) => ms >= threshold) + 1;
  const before = slowFrom > 1 ? `${slowFrom - 1} refusals answered in about ${rounded(median(result.refusalMs.slice(0, slowFrom - 1)))}, then ` : '';
  return {
    ...result,
    slowFrom,
    summary:
      `TARPIT: ${before}replies slowed to ${slowRange(result.refusalMs.slice(slowFrom - 1))} from refusal #${slowFrom} on ` +
      `(baseline ${rounded(result.finding.baselineMs)})`,
  };
}

/** "about 1061 ms each" for a fixed delay (Postfix's error sleep), "205 ms, growing to 605 ms" for a growing one. */
function slowRange(slow: readonly number[]): string {
  const first = Math.round(slow[0]);
  const last = Math.round(slow[slow.length - 1]);
  return Math.abs(last - first) < Math.max(20, first * 0.1) ? `about ${first} ms each` : `${first} ms, growing to ${last} ms`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
