/**
 * Runs the in-VS-Code mocha suites (out/test/vscode/suite, then suite-untrusted) inside code-server, VS Code
 * 1.100.3's server build, driven by headless Chromium: the way to run them on machines that cannot download VS Code.
 * Builds nothing itself: run `npm run build` and `npm run compile-tests` first.
 * The extension host is code-server's Node process, so the suite sees the full `vscode` API, net and tls.
 *
 *     node out/test/vscode/runInCodeServer.js                              both runs, every test
 *     node out/test/vscode/runInCodeServer.js --grep 'AUTH secrets' --only trusted --repeat 20
 *
 * `--grep` keeps the tests whose full title matches (mocha's grep; their hooks run, the others' do not);
 * `--only trusted|restricted` starts only that host; `--repeat n` runs it all n times in a row, a fresh host
 * each time, and stops at the first failure (how a flaky test is shown fixed).
 */
import { format } from 'node:util';
import { CodeServerHost, type CodeServerHostOptions } from './host/codeServerHost';
import { launchHeadlessChromium } from './host/headlessChromium';
import { assertSuiteBuilt, repoRoot, suiteIndexPath, untrustedSuiteIndexPath } from './host/repoPaths';
import { restrictedWorkspaceHost } from './suite-untrusted/restrictedWorkspace';
import { grepVariable } from './suite/index';

/**
 * A ceiling for a hung host, not the budget: each start-up takes 10-25 s, the main suite a few minutes and the
 * Restricted Mode one seconds, and mocha's 60 s per-test timeout already ends a hung test.
 */
const overallTimeoutMs = 10 * 60_000;

/** Each suite's last line (suite/index.ts); repeated at the very end, after the workbench's shutdown noise. */
const summaryLine = /^(\d+) passed, (\d+) failed$/;

interface SuiteRun {
  readonly name: string;
  readonly indexPath: string;
  readonly host: CodeServerHostOptions;
}

/**
 * Two hosts: the main suite in a trusted workspace (as test mode wants), then the Restricted Mode suite in
 * a host with workspace trust on, whose folder opens untrusted. A second host, because trust is decided
 * when the window opens; it adds some 15 s.
 */
const suiteRuns: readonly SuiteRun[] = [
  { name: 'trusted workspace', indexPath: suiteIndexPath, host: {} },
  { name: 'Restricted Mode', indexPath: untrustedSuiteIndexPath, host: restrictedWorkspaceHost },
];

interface RunnerArguments {
  readonly grep?: string;
  readonly only?: 'trusted' | 'restricted';
  readonly repeat: number;
}

function readArguments(args: readonly string[]): RunnerArguments {
  let grep: string | undefined;
  let only: RunnerArguments['only'];
  let repeat = 1;
  for (let index = 0; index < args.length; index += 1) {
    const [name, value] = [args[index], args[index + 1]];
    if (value === undefined) {
      throw new Error(`${name} takes a value`);
    }
    index += 1;
    if (name === '--grep') {
      grep = value;
    } else if (name === '--only' && (value === 'trusted' || value === 'restricted')) {
      only = value;
    } else if (name === '--repeat' && /^[1-9]\d*$/.test(value)) {
      repeat = Number(value);
    } else {
      throw new Error(`unknown argument ${name} ${value}: --grep <pattern>, --only trusted|restricted, --repeat <n>`);
    }
  }
  return { ...(grep === undefined ? {} : { grep }), ...(only === undefined ? {} : { only }), repeat };
}

interface SuiteOutcome {
  readonly exitCode: number;
  readonly summary: string | undefined;
}

async function runSuite(run: SuiteRun): Promise<SuiteOutcome> {
  const host = await CodeServerHost.start(run.host);
  const browser = await launchHeadlessChromium();
  let summary: string | undefined;
  try {
    const page = await browser.newPage();
    const exitCode = new Promise<number>((resolve) => {
      // Called once by the workbench with the suite's result: 0 when the suite's run() resolved.
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
      summary = printWorkbenchLog(type, args) ?? summary;
    });
    await page.goto(
      host.workbenchUrl([
        ['extensionDevelopmentPath', host.remoteAuthority + repoRoot],
        ['extensionTestsPath', host.remoteAuthority + run.indexPath],
        ['skipWelcome', 'true'],
      ]),
    );
    return { exitCode: await exitCode, summary };
  } finally {
    await browser.close();
    await host.stop();
  }
}

/** Every run, even after a failure; exit code 0 only when each run's suite passed. */
async function runSuites(runs: readonly SuiteRun[]): Promise<number> {
  const outcomes: SuiteOutcome[] = [];
  for (const run of runs) {
    console.log(`== in-VS-Code suite, ${run.name}`);
    outcomes.push(await runSuite(run));
  }
  let passed = 0;
  let failed = 0;
  runs.forEach((run, index) => {
    const { exitCode, summary } = outcomes[index]!;
    console.log(`in-VS-Code suite (code-server), ${run.name}: ${summary ?? 'no summary line'}, exit code ${exitCode}`);
    const counts = summary === undefined ? undefined : summaryLine.exec(summary);
    passed += Number(counts?.[1] ?? 0);
    failed += Number(counts?.[2] ?? 0);
  });
  // The last line sums both runs, in the form the suites print.
  console.log(`${passed} passed, ${failed} failed`);
  if (passed + failed === 0) {
    console.log('no test ran: a --grep that matches nothing, or a suite that did not load');
    return 1;
  }
  return outcomes.find((outcome) => outcome.exitCode !== 0)?.exitCode ?? 0;
}

/**
 * The workbench forwards console calls as (level, arguments): mocha's reporters use printf-style formats.
 * Returns the line when it is a suite's summary.
 */
function printWorkbenchLog(type: string, args: unknown): string | undefined {
  const text = format(...(Array.isArray(args) ? args : [args])).replace(/\n$/, '');
  console.log(type === 'info' || type === 'log' ? text : `[${type}] ${text}`);
  return summaryLine.test(text.trim()) ? text.trim() : undefined;
}

function failAfter(timeoutMs: number): Promise<never> {
  return new Promise((_, reject) => {
    setTimeout(
      () => reject(new Error(`the in-VS-Code suite did not finish within ${timeoutMs / 60_000} minutes`)),
      timeoutMs,
    ).unref();
  });
}

/** The runs asked for, `repeat` times; the first failing round ends it. */
async function main(): Promise<number> {
  const { grep, only, repeat } = readArguments(process.argv.slice(2));
  assertSuiteBuilt();
  if (grep !== undefined) {
    process.env[grepVariable] = grep;
  }
  const runs = suiteRuns.filter((run) => only === undefined || run.name === (only === 'trusted' ? 'trusted workspace' : 'Restricted Mode'));
  for (let round = 1; round <= repeat; round += 1) {
    if (repeat > 1) {
      console.log(`== round ${round} of ${repeat}`);
    }
    const code = await Promise.race([runSuites(runs), failAfter(overallTimeoutMs)]);
    if (code !== 0) {
      if (repeat > 1) {
        console.log(`round ${round} of ${repeat} failed`);
      }
      return code;
    }
  }
  if (repeat > 1) {
    console.log(`${repeat} of ${repeat} rounds passed`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`runInCodeServer: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
