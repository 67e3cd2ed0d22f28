/**
 * Our side of the race: the CLI as an admin runs it, a separate Node process (so its start-up counts,
 * as nmap's and swaks's do), on the full catalogue: the control, KB tests 1-7 and every extended variant.
 */
import path from 'node:path';
import type { RelayReportJson } from '../../src/core/relay/relayJson';
import { runTimed } from '../externalCommand';
import type { BenchTarget } from './benchTargets';
import { benchRelayParameters, type RelayTool, type RelayToolRun } from './relayTool';

export const ourCliPath = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');

export const ourRelayCli: RelayTool = {
  name: 'smtp-relay-lab',
  run: (target) => runOurRelayCli(target, 'all'),
};

/** `tests` as the CLI's --tests takes it: all, kb, extended or ids. */
export async function runOurRelayCli(target: BenchTarget, tests: string): Promise<RelayToolRun> {
  const args = [
    ourCliPath,
    'relay',
    '--host', target.host,
    '--port', String(target.port),
    // Like for like: the other tools of the race speak clear text (the CLI's default offers STARTTLS).
    '--tls', 'none',
    '--tests', tests,
    '--local-domain', target.localDomain,
    '--local-user', benchRelayParameters.localUser,
    '--remote-domain', benchRelayParameters.remoteDomain,
    '--remote-user', benchRelayParameters.remoteUser,
    '--helo', benchRelayParameters.heloName,
    '--json',
  ];
  const run = await runTimed(process.execPath, args, { timeoutMs: 300_000 });
  let report: RelayReportJson;
  try {
    report = JSON.parse(run.stdout) as RelayReportJson;
  } catch {
    const why = run.stderr.trim().split('\n')[0] ?? '';
    return { seconds: run.seconds, verdict: 'error', detail: `no JSON report (exit ${run.exitCode}): ${why}`, counted: [] };
  }
  const relayed = report.tests.filter((test) => test.outcome === 'failed').map((test) => test.id);
  const pending = report.tests.filter((test) => test.outcome === 'needs-confirmation').map((test) => test.id);
  const parts = [`${report.tests.length} tests`, `${relayed.length} relayed`];
  if (pending.length > 0) {
    parts.push(`${pending.length} NDR-pending`);
  }
  return {
    seconds: run.seconds,
    verdict: report.verdict,
    detail: `${report.verdict}: ${parts.join(', ')}`,
    counted: relayed,
    pending,
    warnings: report.warnings,
  };
}
