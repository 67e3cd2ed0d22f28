/**
 * Part 1 of the bench: on each target, in one run on this machine, our CLI on the full catalogue, nmap's
 * smtp-open-relay script and a swaks loop, each `runs` times; then the verdicts compared (and proved by
 * delivery where they differ) and the server probed for a tarpit.
 */
import { tarpitWarning } from '../../src/core/relay/relayVerdict';
import type { Prerequisites } from '../prerequisites';
import { startPersonaTarget, startPostfixTarget, type BenchTarget } from './benchTargets';
import { nmapRelayScript } from './nmapRelayScript';
import { ourRelayCli, runOurRelayCli } from './ourRelayCli';
import type { RelayTool, RelayToolRun } from './relayTool';
import { swaksLoop } from './swaksLoop';
import { probeTarpit, type TarpitProbeResult } from './tarpitProbe';
import { explainVerdicts, typicalRun } from './verdictComparison';

export interface RelaySeries {
  targetId: string;
  targetLabel: string;
  tool: string;
  runs: RelayToolRun[];
}

export interface TarpitReport {
  targetId: string;
  targetLabel: string;
  probe: TarpitProbeResult;
  /** Whether our own report warned about it (the runner reconnects before Postfix's slow-down starts). */
  runnerWarned: boolean;
}

export interface RelayBenchResult {
  series: RelaySeries[];
  /** Per target: agreement, who is right where verdicts differ, and why. */
  verdictNotes: Array<{ targetLabel: string; notes: string[] }>;
  tarpits: TarpitReport[];
  /** Targets or tools that could not be benchmarked, and why. */
  skipped: string[];
}

interface TargetPlan {
  start: () => Promise<BenchTarget>;
  /** Also time the tools (the tarpit persona is only probed). */
  timed: boolean;
}

export async function runRelayBench(prerequisites: Prerequisites, runs: number, log: (line: string) => void): Promise<RelayBenchResult> {
  const result: RelayBenchResult = { series: [], verdictNotes: [], tarpits: [], skipped: [] };
  const peers: RelayTool[] = [];
  if (prerequisites.found.nmap) {
    peers.push(nmapRelayScript(prerequisites.found.nmap));
  } else {
    result.skipped.push('nmap smtp-open-relay: nmap is not installed');
  }
  if (prerequisites.found.swaks) {
    peers.push(swaksLoop(prerequisites.found.swaks));
  } else {
    result.skipped.push('swaks loop: swaks is not installed');
  }
  const tools = [ourRelayCli, ...peers];

  const plans: TargetPlan[] = [];
  if (prerequisites.postfixProblem) {
    result.skipped.push(`Postfix targets: ${prerequisites.postfixProblem}`);
  } else {
    plans.push({ start: () => startPostfixTarget('closed'), timed: true }, { start: () => startPostfixTarget('open'), timed: true });
  }
  plans.push({ start: () => startPersonaTarget('exchange'), timed: true }, { start: () => startPersonaTarget('tarpit'), timed: false });

  for (const plan of plans) {
    let target: BenchTarget;
    try {
      target = await plan.start();
    } catch (error) {
      result.skipped.push(`a target could not start: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    try {
      log(`${target.label} on ${target.host}:${target.port}`);
      let ourRuns: RelayToolRun[] = [];
      if (plan.timed) {
        // Untimed: the server's first connection pays for process start-up and map loading.
        await ourRelayCli.run(target);
        const byTool = new Map<RelayTool, RelayToolRun[]>(tools.map((tool) => [tool, []]));
        for (let round = 1; round <= runs; round++) {
          for (const tool of tools) {
            const run = await tool.run(target);
            byTool.get(tool)!.push(run);
            log(`  run ${round}/${runs} ${tool.name}: ${run.seconds.toFixed(2)} s, ${run.verdict}`);
          }
        }
        for (const [tool, toolRuns] of byTool) {
          result.series.push({ targetId: target.id, targetLabel: target.label, tool: tool.name, runs: toolRuns });
        }
        ourRuns = byTool.get(ourRelayCli)!;
        const notes = await explainVerdicts(
          target,
          { tool: ourRelayCli.name, run: typicalRun(ourRuns) },
          peers.map((peer) => ({ tool: peer.name, run: typicalRun(byTool.get(peer)!) })),
        );
        result.verdictNotes.push({ targetLabel: target.label, notes });
      } else {
        // The KB tests are enough to see a tarpit; the whole catalogue would only wait longer.
        ourRuns = [await runOurRelayCli(target, 'kb')];
      }
      const probe = await probeTarpit(target);
      log(`  tarpit probe: ${probe.summary}`);
      const runnerWarned = ourRuns.some((run) => run.warnings?.some((warning) => warning.startsWith(tarpitWarning(0, 0).split('(')[0])));
      result.tarpits.push({ targetId: target.id, targetLabel: target.label, probe, runnerWarned });
    } finally {
      await target.stop();
    }
  }
  return result;
}
