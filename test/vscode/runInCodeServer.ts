/**
 * Runs the in-VS-Code mocha suite (out/test/vscode/suite) inside code-server, VS Code 1.100.3's server
 * build, driven by headless Chromium: the way to run it on machines that cannot download VS Code.
 * Builds nothing itself: run `npm run build` and `npm run compile-tests` first.
 * The extension host is code-server's Node process, so the suite sees the full `vscode` API, net and tls.
 */
import { format } from 'node:util';
import { CodeServerHost } from './host/codeServerHost';
import { launchHeadlessChromium } from './host/headlessChromium';
import { assertSuiteBuilt, repoRoot, suiteIndexPath } from './host/repoPaths';

/**
 * A ceiling for a hung host, not the budget: start-up takes 10-25 s and the suite a few minutes, and mocha's
 * 60 s per-test timeout already ends a hung test.
 */
const overallTimeoutMs = 8 * 60_000;

/** The suite's last line (suite/index.ts); repeated at the very end, after the workbench's shutdown noise. */
const summaryLine = /^\d+ passed, \d+ failed$/;
let lastSummary: string | undefined;

async function runSuite(): Promise<number> {
  assertSuiteBuilt();
  const host = await CodeServerHost.start();
  const browser = await launchHeadlessChromium();
  try {
    const page = await browser.newPage();
    const exitCode = new Promise<number>((resolve) => {
      // Called once by the workbench with the suite's result: 0 when the suite's run() resolved.
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
      printWorkbenchLog(type, args);
    });
    await page.goto(
      host.workbenchUrl([
        ['extensionDevelopmentPath', host.remoteAuthority + repoRoot],
        ['extensionTestsPath', host.remoteAuthority + suiteIndexPath],
        ['skipWelcome', 'true'],
      ]),
    );
    return await exitCode;
  } finally {
    await browser.close();
    await host.stop();
  }
}

/** The workbench forwards console calls as (level, arguments): mocha's reporters use printf-style formats. */
function printWorkbenchLog(type: string, args: unknown): void {
  const text = format(...(Array.isArray(args) ? args : [args])).replace(/\n$/, '');
  if (summaryLine.test(text.trim())) {
    lastSummary = text.trim();
  }
  console.log(type === 'info' || type === 'log' ? text : `[${type}] ${text}`);
}

function failAfter(timeoutMs: number): Promise<never> {
  return new Promise((_, reject) => {
    setTimeout(
      () => reject(new Error(`the in-VS-Code suite did not finish within ${timeoutMs / 60_000} minutes`)),
      timeoutMs,
    ).unref();
  });
}

Promise.race([runSuite(), failAfter(overallTimeoutMs)]).then(
  (code) => {
    console.log(`in-VS-Code suite (code-server): ${lastSummary ?? 'no summary line'}, exit code ${code}`);
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`runInCodeServer: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
