import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Where the in-VS-Code hosts find the extension, its compiled suite and code-server. This file runs from
 * out/test/vscode/host/, four levels below the repository root.
 */
export const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

/** The compiled mocha entry, without `.js`: the form `extensionTestsPath` takes in both hosts. */
export const suiteIndexPath = path.join(repoRoot, 'out', 'test', 'vscode', 'suite', 'index');

/** The Restricted Mode suite's entry (suite-untrusted/index), run in a host with workspace trust on. */
export const untrustedSuiteIndexPath = path.join(repoRoot, 'out', 'test', 'vscode', 'suite-untrusted', 'index');

export const codeServerEntry = path.join(
  repoRoot,
  '.cache',
  'code-server',
  'node_modules',
  'code-server',
  'out',
  'node',
  'entry.js',
);

export const screenshotsDir = path.join(repoRoot, 'test-results', 'screenshots');

/** Fails early, with the command to run, when the bundle the extension host loads is missing. */
export function assertExtensionBuilt(): void {
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'extension.js'))) {
    throw new Error('dist/extension.js is missing: run `npm run build`');
  }
}

/** Fails early when the extension or the compiled suite is missing. */
export function assertSuiteBuilt(): void {
  assertExtensionBuilt();
  for (const indexPath of [suiteIndexPath, untrustedSuiteIndexPath]) {
    if (!fs.existsSync(`${indexPath}.js`)) {
      throw new Error(`${path.relative(repoRoot, indexPath)}.js is missing: run \`npm run compile-tests\``);
    }
  }
}
