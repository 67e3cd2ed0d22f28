/**
 * Loaded by the extension host as `extensionTestsPath` (see activationTime.ts): times loading our bundle
 * and then activating the extension, and writes the figures to the file the bench named in
 * SMTP_RELAY_LAB_ACTIVATION_PROBE. Loading first keeps the two apart: the host reuses the loaded module.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { extensionId } from '../../src/extension/ids';

/** A built-in extension of VS Code 1.100 with a trivial activate(). */
const hostReadyProbeExtension = 'vscode.debug-server-ready';

export interface ActivationProbeResult {
  /** Loading and evaluating the bundle (require of dist/extension.js) in the extension host, cold. */
  loadMs?: number;
  /** extension.activate() through the API once the bundle is loaded: activate() plus the host's scheduling. */
  activationMs?: number;
  alreadyActive: boolean;
  error?: string;
}

export async function run(): Promise<void> {
  const output = process.env.SMTP_RELAY_LAB_ACTIVATION_PROBE;
  let result: ActivationProbeResult;
  try {
    const extension = vscode.extensions.getExtension(extensionId);
    if (!extension) {
      throw new Error(`${extensionId} is not installed in this host`);
    }
    // The host holds every activation until the workbench has started; activating a small built-in
    // extension first waits for that, so the figures below are ours, not the host's start-up.
    await vscode.extensions.getExtension(hostReadyProbeExtension)?.activate();
    const alreadyActive = extension.isActive;
    if (alreadyActive) {
      result = { alreadyActive };
    } else {
      const main = path.join(extension.extensionPath, (extension.packageJSON as { main: string }).main);
      const loadStartedAt = performance.now();
      // Loading the bundle is what is timed: a dynamic import() would add the ESM loader's own work.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(main);
      const loadMs = performance.now() - loadStartedAt;
      const activateStartedAt = performance.now();
      await extension.activate();
      result = { alreadyActive, loadMs, activationMs: performance.now() - activateStartedAt };
    }
  } catch (error) {
    result = { alreadyActive: false, error: (error as Error).message };
  }
  if (output) {
    writeFileSync(output, JSON.stringify(result));
  }
}
