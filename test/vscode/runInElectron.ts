/**
 * Runs the same in-VS-Code mocha suite as runInCodeServer, in desktop VS Code downloaded by
 * @vscode/test-electron into .vscode-test/. For contributors whose machine can reach update.code.visualstudio.com;
 * where only npm and Debian can be reached, use runInCodeServer. Builds nothing itself.
 * Like rust-analyzer's tests/runTests.ts it runs on the oldest VS Code that package.json `engines` allows and on
 * the current stable, so an API newer than our minimum is caught. VSCODE_TEST_VERSION=<x.y.z|stable> runs one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { assertSuiteBuilt, repoRoot, suiteIndexPath } from './host/repoPaths';

function versionsToTest(): string[] {
  if (process.env.VSCODE_TEST_VERSION) {
    return [process.env.VSCODE_TEST_VERSION];
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    engines: { vscode: string };
  };
  const minimum = manifest.engines.vscode.replace(/^[\^~>=]+/, '');
  return [minimum, 'stable'];
}

async function runSuiteIn(version: string): Promise<number> {
  const workspaceFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'smtp-relay-lab-electron-'));
  try {
    return await runTests({
      version,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: suiteIndexPath,
      launchArgs: [workspaceFolder, '--disable-extensions', '--disable-workspace-trust'],
    });
  } finally {
    fs.rmSync(workspaceFolder, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  assertSuiteBuilt();
  let worstExitCode = 0;
  for (const version of versionsToTest()) {
    console.log(`== in-VS-Code suite on VS Code ${version} (@vscode/test-electron)`);
    try {
      const code = await runSuiteIn(version);
      console.log(`VS Code ${version}: exit code ${code}`);
      worstExitCode = Math.max(worstExitCode, code);
    } catch (error) {
      // runTests rejects both for a failed suite (TestRunFailedError) and for a failed download.
      console.error(`VS Code ${version}: ${error instanceof Error ? error.message : String(error)}`);
      worstExitCode = 1;
    }
  }
  return worstExitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`runInElectron: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
