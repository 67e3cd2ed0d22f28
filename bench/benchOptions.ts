/**
 * The command line of `npm run bench`: `node out/bench/run.js [--runs N] [--quick] [--json FILE]
 * [--only relay|costs]`. Relay timings are the median of --runs runs (default 5); --quick is one run.
 */
import { parseArgs } from 'node:util';

export interface BenchOptions {
  runs: number;
  json?: string;
  only?: 'relay' | 'costs';
}

export const benchHelp = `Usage: npm run bench -- [options]

Times the relay suite of smtp-relay-lab next to nmap's smtp-open-relay script and a swaks loop, on a
real Postfix (closed and open) and the exchange practice persona, all on loopback; then measures the
engine and editor costs (parser and classifier throughput, annotation, activation, bundle and .vsix sizes).

Options:
  --runs N        runs per figure; the table shows their median, min and max (default 5)
  --quick         one run per figure
  --json FILE     also write the figures as JSON: { relay: [...], costs: [...] }
  --only WHAT     relay or costs
  -h, --help      show this help
`;

export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

/** Undefined means: help was asked for. */
export function readBenchOptions(args: string[]): BenchOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      options: {
        runs: { type: 'string' },
        quick: { type: 'boolean' },
        json: { type: 'string' },
        only: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new BenchUsageError((error as Error).message.split('\n')[0]);
  }
  const { values } = parsed;
  if (values.help) {
    return undefined;
  }
  if (values.quick && values.runs !== undefined) {
    throw new BenchUsageError('--quick is one run: leave out --runs, or --quick');
  }
  const runs = values.quick ? 1 : values.runs === undefined ? 5 : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
    throw new BenchUsageError(`--runs must be a whole number from 1 to 100, not "${values.runs}"`);
  }
  if (values.only !== undefined && values.only !== 'relay' && values.only !== 'costs') {
    throw new BenchUsageError(`--only must be relay or costs, not "${values.only}"`);
  }
  return { runs, ...(values.json ? { json: values.json } : {}), ...(values.only ? { only: values.only as 'relay' | 'costs' } : {}) };
}
