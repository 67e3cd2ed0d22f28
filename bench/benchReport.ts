/**
 * Everything the bench measured, as the table on stdout and as the JSON document of --json:
 * { relay: [{ target, tool, medianSeconds, runs, verdict }], costs: [{ name, value, unit }] }, plus the
 * date, the machine, the verdict notes and the tarpit findings for the README.
 */
import os from 'node:os';
import type { CostSeries } from './costs/engineCosts';
import type { RelayBenchResult, RelaySeries } from './relay/relayBench';
import { typicalRun } from './relay/verdictComparison';
import { summarise, type SampleSummary } from './samples';

export interface BenchFigures {
  date: Date;
  relay?: RelayBenchResult;
  costs: CostSeries[];
  /** Costs that could not be measured, and why ("activation: n/a (...)"). */
  unavailableCosts: string[];
  notes: string[];
  /** The groups of issues 8 and 10 (hostile, domain, catcher), each its own table. */
  groups: BenchGroup[];
}

/** One `--only` group's figures: a table of series, with notes and what could not be measured. */
export interface BenchGroup {
  /** As --only names it, and as the JSON's key. */
  id: string;
  title: string;
  series: CostSeries[];
  notes: string[];
  unavailable: string[];
}

export interface BenchJson {
  date: string;
  machine: string;
  relay: Array<{ target: string; tool: string; medianSeconds: number; minSeconds: number; maxSeconds: number; runs: number; verdict: string }>;
  costs: Array<{ name: string; value: number; unit: string }>;
  verdictNotes: Array<{ target: string; notes: string[] }>;
  tarpits: Array<{ target: string; finding: string; runnerWarned: boolean }>;
  notMeasured: string[];
  groups: Record<string, { series: Array<{ name: string; median: number; min: number; max: number; runs: number; unit: string }>; notes: string[] }>;
}

export function describeMachine(): string {
  const cpus = os.cpus();
  const memory = `${Math.round(os.totalmem() / 1024 ** 3)} GB RAM`;
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'} x ${cpus.length}, ${memory}, ${os.type()} ${os.release()}, Node ${process.version}`;
}

const ourTool = 'smtp-relay-lab';

function relaySummary(series: RelaySeries): SampleSummary {
  return summarise(series.runs.map((run) => run.seconds));
}

/** Peer rows: how many times our time theirs is; our row: what fraction of each peer's time ours is. */
function relayRatio(series: RelaySeries, all: readonly RelaySeries[]): string {
  const sameTarget = all.filter((candidate) => candidate.targetId === series.targetId);
  const ours = sameTarget.find((candidate) => candidate.tool === ourTool);
  if (!ours) {
    return '-';
  }
  const ourMedian = relaySummary(ours).median;
  if (series.tool !== ourTool) {
    return `${(relaySummary(series).median / ourMedian).toFixed(1)}x ours`;
  }
  const peers = sameTarget.filter((candidate) => candidate.tool !== ourTool);
  const fractionOf = (peer: RelaySeries): string => {
    const times = relaySummary(peer).median / ourMedian;
    return times >= 1 ? `1/${times.toFixed(1)} of ${peer.tool.split(' ')[0]}` : `${(1 / times).toFixed(1)}x ${peer.tool.split(' ')[0]}`;
  };
  return peers.length === 0 ? '-' : peers.map(fractionOf).join(', ');
}

function formatValue(value: number, unit: string): string {
  if (unit === 'bytes') {
    return value.toLocaleString('en-US');
  }
  if (unit === 'µs/line') {
    return value.toFixed(3);
  }
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function table(header: string[], rows: string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ').trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)];
}

export function renderBenchTable(figures: BenchFigures): string {
  const out: string[] = [];
  out.push(`SMTP Relay Lab benchmark, ${figures.date.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  out.push(`Machine: ${describeMachine()}`);
  const relay = figures.relay;
  if (relay) {
    out.push('', 'Relay suite side by side (seconds, wall clock of each tool as a process; all on 127.0.0.1)');
    const rows = relay.series.map((series) => {
      const summary = relaySummary(series);
      return [
        `${series.targetLabel}: ${series.tool}`,
        summary.median.toFixed(2),
        summary.min.toFixed(2),
        summary.max.toFixed(2),
        relayRatio(series, relay.series),
        `${typicalRun(series.runs).verdict} (${typicalRun(series.runs).detail})`,
      ];
    });
    const runs = relay.series[0]?.runs.length ?? 0;
    out.push(...table(['figure', 'median', 'min', 'max', 'ratio to peer', 'verdict'], rows, new Set([1, 2, 3])));
    out.push(`(${runs} run${runs === 1 ? '' : 's'} each)`);
    const goal = goalLine(relay.series);
    if (goal) {
      out.push('', goal);
    }
    if (relay.verdictNotes.length > 0) {
      out.push('', 'Verdicts');
      for (const { targetLabel, notes } of relay.verdictNotes) {
        out.push(`  ${targetLabel}:`);
        out.push(...notes.map((note) => `    - ${note}`));
      }
    }
    if (relay.tarpits.length > 0) {
      out.push('', 'Tarpitting (reply delays that grow after refused recipients)');
      for (const tarpit of relay.tarpits) {
        const runner = tarpit.probe.finding ? `; smtp-relay-lab's report ${tarpit.runnerWarned ? 'warns about it' : 'does not (it reconnects before the slow-down starts)'}` : '';
        out.push(`  ${tarpit.targetLabel}: ${tarpit.probe.summary}${runner}`);
      }
    }
    for (const skipped of relay.skipped) {
      out.push(`  not measured: ${skipped}`);
    }
  }
  if (figures.costs.length > 0 || figures.unavailableCosts.length > 0) {
    out.push('', 'Engine and editor costs');
    const rows = figures.costs.map((series) => {
      const summary = summarise(series.samples);
      return [
        series.name,
        `${formatValue(summary.median, series.unit)} ${series.unit}`,
        formatValue(summary.min, series.unit),
        formatValue(summary.max, series.unit),
        series.ratio ? `${series.ratio.value.toFixed(2)}x ${series.ratio.to}` : '-',
      ];
    });
    out.push(...table(['figure', 'median', 'min', 'max', 'ratio'], rows, new Set([1, 2, 3])));
    for (const unavailable of figures.unavailableCosts) {
      out.push(`  n/a: ${unavailable}`);
    }
  }
  for (const group of figures.groups) {
    out.push('', group.title);
    const rows = group.series
      .filter((series) => series.samples.length > 0)
      .map((series) => {
        const summary = summarise(series.samples);
        return [series.name, `${formatValue(summary.median, series.unit)} ${series.unit}`, formatValue(summary.min, series.unit), formatValue(summary.max, series.unit), String(summary.count)];
      });
    if (rows.length > 0) {
      out.push(...table(['figure', 'median', 'min', 'max', 'runs'], rows, new Set([1, 2, 3, 4])));
    }
    out.push(...group.notes.map((note) => `  - ${note}`));
    out.push(...group.unavailable.map((unavailable) => `  n/a: ${unavailable}`));
  }
  for (const note of figures.notes) {
    out.push(`note: ${note}`);
  }
  return `${out.join('\n')}\n`;
}

/** The goal: the full catalogue against the closed Postfix in under a tenth of nmap's time. */
function goalLine(series: readonly RelaySeries[]): string | undefined {
  const ours = series.find((candidate) => candidate.targetId === 'postfix-closed' && candidate.tool === ourTool);
  const nmap = series.find((candidate) => candidate.targetId === 'postfix-closed' && candidate.tool.startsWith('nmap'));
  if (!ours || !nmap) {
    return undefined;
  }
  const ourMedian = relaySummary(ours).median;
  const nmapMedian = relaySummary(nmap).median;
  const met = ourMedian < nmapMedian / 10;
  const sameVerdict = typicalRun(ours.runs).verdict === typicalRun(nmap.runs).verdict;
  return (
    `Goal (full catalogue vs closed Postfix under a tenth of nmap's time): ${met ? 'MET' : 'NOT MET'}: ` +
    `${ourMedian.toFixed(2)} s vs ${nmapMedian.toFixed(2)} s (1/${(nmapMedian / ourMedian).toFixed(1)}), ` +
    `verdicts ${sameVerdict ? 'agree' : 'differ (see below)'}.`
  );
}

/** Seconds to the millisecond: finer digits are noise. */
function milliseconds(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

export function benchJson(figures: BenchFigures): BenchJson {
  return {
    date: figures.date.toISOString(),
    machine: describeMachine(),
    relay: (figures.relay?.series ?? []).map((series) => {
      const summary = relaySummary(series);
      return {
        target: series.targetId,
        tool: series.tool,
        medianSeconds: milliseconds(summary.median),
        minSeconds: milliseconds(summary.min),
        maxSeconds: milliseconds(summary.max),
        runs: summary.count,
        verdict: typicalRun(series.runs).verdict,
      };
    }),
    costs: figures.costs.map((series) => ({ name: series.name, value: Number(summarise(series.samples).median.toPrecision(4)), unit: series.unit })),
    verdictNotes: (figures.relay?.verdictNotes ?? []).map(({ targetLabel, notes }) => ({ target: targetLabel, notes })),
    tarpits: (figures.relay?.tarpits ?? []).map((tarpit) => ({ target: tarpit.targetId, finding: tarpit.probe.summary, runnerWarned: tarpit.runnerWarned })),
    notMeasured: [...(figures.relay?.skipped ?? []), ...figures.unavailableCosts, ...figures.groups.flatMap((group) => group.unavailable)],
    groups: Object.fromEntries(
      figures.groups.map((group) => [
        group.id,
        {
          series: group.series
            .filter((series) => series.samples.length > 0)
            .map((series) => {
              const summary = summarise(series.samples);
              const round = (value: number): number => Number(value.toPrecision(4));
              return { name: series.name, median: round(summary.median), min: round(summary.min), max: round(summary.max), runs: summary.count, unit: series.unit };
            }),
          notes: group.notes,
        },
      ]),
    ),
  };
}
