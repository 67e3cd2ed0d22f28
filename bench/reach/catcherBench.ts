/**
 * Issue 10 §5: the catcher round trip on a real Postfix (test/support/postfixCatcherConfig.ts, open to
 * loopback, relaying only to smtp:[127.0.0.1]:<catcher port>): `relay --tests control,kb6
 * --confirm-by-delivery --catcher 127.0.0.1:P`. Two figures per run: from the test's message to its relayed
 * copy arriving at the catcher (the report's confirmation.afterMs), and the CLI's wall time. Loopback only.
 */
import { findFreeLoopbackPort, startPostfix, type PostfixInstance } from '../../test/support/postfix';
import { catcherRelayPostfixOptions } from '../../test/support/postfixCatcherConfig';
import type { CostSeries } from '../costs/engineCosts';
import { runTimed } from '../externalCommand';
import { ourCliPath } from '../relay/ourRelayCli';

export interface CatcherFigures {
  series: CostSeries[];
  notes: string[];
}

interface ConfirmedTest {
  id: string;
  outcome: string;
  confirmation?: { method: string; result: string; afterMs?: number };
}

export async function measureCatcherRoundTrip(runs: number, log: (line: string) => void): Promise<CatcherFigures> {
  const catcherPort = await findFreeLoopbackPort();
  let postfix: PostfixInstance | undefined;
  const roundTrip: number[] = [];
  const wall: number[] = [];
  const outcomes = new Set<string>();
  try {
    postfix = await startPostfix(catcherRelayPostfixOptions('open-to-catcher', catcherPort));
    for (let run = 0; run < runs; run += 1) {
      log(`catcher round trip on Postfix, run ${run + 1} of ${runs}`);
      const result = await runTimed(
        process.execPath,
        [
          ourCliPath, 'relay', '--host', postfix.host, '--port', String(postfix.port), '--local-domain', postfix.localDomain,
          '--tests', 'control,kb6', '--confirm-by-delivery', '--catcher', `127.0.0.1:${catcherPort}`, '--confirm-timeout', '30', '--json',
        ],
        { timeoutMs: 120_000 },
      );
      wall.push(result.seconds);
      try {
        const json = JSON.parse(result.stdout) as { verdict: string; tests: ConfirmedTest[] };
        const kb6 = json.tests.find((test) => test.id === 'kb6');
        const confirmation = kb6?.confirmation;
        if (confirmation?.afterMs !== undefined) {
          roundTrip.push(confirmation.afterMs / 1000);
        }
        outcomes.add(`exit ${result.exitCode}, verdict ${json.verdict}, kb6 ${kb6?.outcome ?? 'missing'} (${confirmation ? `${confirmation.method}: ${confirmation.result}` : 'no confirmation'})`);
      } catch {
        outcomes.add(`exit ${result.exitCode}, no JSON: ${result.stderr.trim().split('\n')[0] ?? ''}`);
      }
    }
  } finally {
    await postfix?.stop();
  }
  return {
    series: [
      { name: 'catcher round trip on Postfix: kb6 started (token issued) -> relayed copy at the catcher', unit: 's', samples: roundTrip },
      { name: 'relay --tests control,kb6 --confirm-by-delivery --catcher: wall time', unit: 's', samples: wall },
    ],
    notes: [...outcomes],
  };
}
