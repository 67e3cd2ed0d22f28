/**
 * The command line of `npm run bench`: `node out/bench/run.js [--runs N] [--quick] [--json FILE]
 * [--only relay|costs|hostile|domain|catcher]`. Relay timings are the median of --runs runs (default 5); --quick is one run.
 */
import { parseArgs } from 'node:util';

export const benchGroups = ['relay', 'costs', 'hostile', 'domain', 'catcher'] as const;
export type BenchGroupName = (typeof benchGroups)[number];

export interface BenchOptions {
  runs: number;
  json?: string;
  only?: BenchGroupName;
}

export const benchHelp = `Usage: npm run bench -- [options]

Times the relay suite of smtp-relay-lab next to nmap's smtp-open-relay script and a swaks loop, on a
real Postfix (closed and open) and the exchange practice persona, all on loopback; then measures the
engine and editor costs (parser and classifier throughput, annotation, activation, bundle and .vsix sizes);
then memory and time on hostile input (issue 8), and a domain of 8 MX addresses at --parallel 1 and 4 and
the catcher round trip on a real Postfix (issue 10).

Options:
  --runs N        runs per figure; the table shows their median, min and max (default 5)
  --quick         one run per figure
  --json FILE     also write the figures as JSON: { relay: [...], costs: [...] }
  --only WHAT     one group: relay, costs, hostile (issue 8: a 100 MB line without CRLF, annotate on
                  200 MB, the reply-text patterns on 1 MiB pathological lines), domain (issue 10: 8 MX
                  addresses on practice servers and dnsmasq, --parallel 1 and 4) or catcher (issue 10:
                  test sent to relayed copy received, on a real Postfix)
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
  if (values.only !== undefined && !(benchGroups as readonly string[]).includes(values.only)) {
    throw new BenchUsageError(`--only must be one of ${benchGroups.join(', ')}, not "${values.only}"`);
  }
  return { runs, ...(values.json ? { json: values.json } : {}), ...(values.only ? { only: values.only as BenchGroupName } : {}) };
}
