/**
 * What the extension ships: the two bundles of dist/ (as `npm run build` makes them) and the .vsix that
 * `npm run package` would make, packaged here into a temporary folder with the same vsce command.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTimed } from '../externalCommand';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

export interface SizeFigure {
  name: string;
  bytes?: number;
  /** Why there is no figure. */
  unavailable?: string;
}

export async function measurePackageSizes(): Promise<SizeFigure[]> {
  const figures: SizeFigure[] = [];
  for (const bundle of ['dist/extension.js', 'dist/cli.js']) {
    const file = path.join(repoRoot, bundle);
    figures.push(existsSync(file) ? { name: bundle, bytes: statSync(file).size } : { name: bundle, unavailable: 'not built (npm run build)' });
  }
  figures.push(await vsixSize());
  return figures;
}

async function vsixSize(): Promise<SizeFigure> {
  const name = 'smtp-relay-lab.vsix';
  const vsce = path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  if (!existsSync(vsce)) {
    return { name, unavailable: '@vscode/vsce is not installed (npm install)' };
  }
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'relay-lab-vsix-'));
  const output = path.join(scratch, name);
  try {
    // The "package" script's command; run from the repository so it reads package.json and .vscodeignore.
    const run = await runTimed(process.execPath, [vsce, 'package', '--no-dependencies', '--no-rewrite-relative-links', '-o', output], { timeoutMs: 180_000, input: 'y\n', cwd: repoRoot });
    if (!existsSync(output)) {
      return { name, unavailable: `vsce package failed: ${(run.stderr || run.stdout).trim().split('\n').slice(-1)[0] ?? `exit ${run.exitCode}`}` };
    }
    return { name, bytes: statSync(output).size };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
