/**
 * `npm run bench`: proof of speed (issue 4). Builds are done by the npm script; this runs the relay
 * tools side by side on loopback targets, then the engine and editor costs, and prints the table.
 * Progress goes to stderr, the table to stdout, the JSON to --json FILE.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { benchHelp, BenchUsageError, readBenchOptions, type BenchGroupName } from './benchOptions';
import { benchJson, renderBenchTable, type BenchFigures } from './benchReport';
import { measureActivation } from './costs/activationTime';
import { measureEngineCosts } from './costs/engineCosts';
import { measurePackageSizes } from './costs/packageSizes';
import { measureHostileInput } from './hostile/hostileBench';
import { measureCatcherRoundTrip } from './reach/catcherBench';
import { measureDomainRun } from './reach/domainBench';
import { ensurePrerequisites } from './prerequisites';
import { runRelayBench } from './relay/relayBench';

/** A fresh code-server per sample costs seconds: a few samples are enough for a cold-start figure. */
const maxActivationRuns = 3;

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

async function main(args: string[]): Promise<number> {
  let options;
  try {
    options = readBenchOptions(args);
  } catch (error) {
    if (error instanceof BenchUsageError) {
      process.stderr.write(`bench: ${error.message}\n\n${benchHelp}`);
      return 64;
    }
    throw error;
  }
  if (!options) {
    process.stdout.write(benchHelp);
    return 0;
  }
  const figures: BenchFigures = { date: new Date(), costs: [], unavailableCosts: [], notes: [], groups: [] };
  const wanted = (group: BenchGroupName): boolean => options.only === undefined || options.only === group;

  if (wanted('relay')) {
    const prerequisites = ensurePrerequisites(log);
    figures.notes.push(...prerequisites.notes);
    log(`relay suite, ${options.runs} run(s) per tool and target`);
    figures.relay = await runRelayBench(prerequisites, options.runs, log);
  }

  if (wanted('costs')) {
    log('engine costs: parser, classifier, annotation on 10k, 100k and 1M lines');
    figures.costs.push(...measureEngineCosts(options.runs, log));
    log('extension activation in code-server');
    const activation = await measureActivation(Math.min(options.runs, maxActivationRuns), log);
    if ('loadMs' in activation) {
      figures.costs.push(
        { name: 'extension bundle load in the VS Code extension host (cold)', unit: 'ms', samples: activation.loadMs },
        { name: 'extension activate() via the API, bundle loaded (code-server 4.100.3)', unit: 'ms', samples: activation.activationMs },
      );
    } else {
      figures.unavailableCosts.push(`extension activation: ${activation.unavailable}`);
    }
    log('bundle and package sizes');
    for (const size of await measurePackageSizes()) {
      if (size.bytes === undefined) {
        figures.unavailableCosts.push(`${size.name}: ${size.unavailable}`);
      } else {
        figures.costs.push({ name: `size of ${size.name}`, unit: 'bytes', samples: [size.bytes] });
      }
    }
  }

  if (wanted('hostile')) {
    const hostile = await measureHostileInput(options.runs, log);
    figures.groups.push({ id: 'hostile', title: 'Hostile input (issue 8; peak RSS of the CLI process, reported by the child itself)', series: hostile.costs, notes: hostile.notes, unavailable: [] });
  }

  if (wanted('domain')) {
    const title = 'Domain with 8 MX addresses (issue 10 §5; relay --domain, dnsmasq and practice servers on loopback)';
    try {
      const domain = await measureDomainRun(options.runs, log);
      figures.groups.push({ id: 'domain', title, series: domain.series, notes: domain.notes, unavailable: [] });
    } catch (error) {
      figures.groups.push({ id: 'domain', title, series: [], notes: [], unavailable: [`domain run: ${(error as Error).message}`] });
    }
  }

  if (wanted('catcher')) {
    const title = 'Catcher round trip (issue 10 §5; real Postfix relaying to the catcher only, all on loopback)';
    try {
      const catcher = await measureCatcherRoundTrip(options.runs, log);
      figures.groups.push({ id: 'catcher', title, series: catcher.series, notes: catcher.notes, unavailable: [] });
    } catch (error) {
      figures.groups.push({ id: 'catcher', title, series: [], notes: [], unavailable: [`catcher round trip: ${(error as Error).message}`] });
    }
  }

  process.stdout.write(renderBenchTable(figures));
  if (options.json) {
    await mkdir(path.dirname(path.resolve(options.json)), { recursive: true });
    await writeFile(options.json, `${JSON.stringify(benchJson(figures), null, 2)}\n`);
    log(`figures written to ${options.json}`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
