/**
 * The in-VS-Code suite's entry, loaded by the extension host of whichever VS Code runs it: code-server
 * (runInCodeServer) or a downloaded VS Code (runInElectron). Both call `run()` and wait for it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  return runTestFilesUnder(__dirname);
}

/**
 * The environment variable that narrows a run to the tests whose full title matches it (mocha's --grep), set
 * by `runInCodeServer --grep`: the extension host inherits code-server's environment.
 */
export const grepVariable = 'SMTP_LAB_TEST_GREP';

/** Runs every *.test.js under `suiteDir` with mocha; also the entry of suite-untrusted/ (Restricted Mode). */
export async function runTestFilesUnder(suiteDir: string): Promise<void> {
  const grep = process.env[grepVariable];
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec', ...(grep ? { grep } : {}) });
  const testFiles = findTestFiles(suiteDir);
  if (testFiles.length === 0) {
    throw new Error(`no *.test.js files under ${suiteDir}: run \`npm run compile-tests\``);
  }
  testFiles.forEach((file) => mocha.addFile(file));
  const { passed, failed } = await runMocha(mocha);
  // The last line is the one a reader (and CI log) looks for.
  console.log(`${passed} passed, ${failed} failed`);
  if (failed > 0) {
    throw new Error(`${failed} of ${passed + failed} in-VS-Code tests failed`);
  }
}

function findTestFiles(suiteDir: string): string[] {
  return fs
    .readdirSync(suiteDir, { recursive: true, encoding: 'utf8' })
    .filter((relative) => relative.endsWith('.test.js'))
    .sort()
    .map((relative) => path.join(suiteDir, relative));
}

function runMocha(mocha: Mocha): Promise<{ passed: number; failed: number }> {
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run(() => {
        resolve({ passed: runner.stats?.passes ?? 0, failed: runner.stats?.failures ?? 0 });
      });
    } catch (error) {
      reject(error);
    }
  });
}
