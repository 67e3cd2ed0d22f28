/**
 * Extension activation time in a real VS Code host: code-server 4.100.3 (installed by
 * scripts/install-code-server.sh into .cache/) driven by headless Chromium, as the in-VS-Code suite
 * runs. Each sample is a fresh host, so the figure is a cold activation: loading the bundle plus
 * activate(). Without code-server or Chromium the figure is "n/a", with the reason.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CodeServerHost } from '../../test/vscode/host/codeServerHost';
import { launchHeadlessChromium } from '../../test/vscode/host/headlessChromium';
import { codeServerEntry, repoRoot } from '../../test/vscode/host/repoPaths';
import type { ActivationProbeResult } from './activationProbe';

const probePath = path.join(__dirname, 'activationProbe');
const hostTimeoutMs = 120_000;

export type ActivationMeasurement = { loadMs: number[]; activationMs: number[] } | { unavailable: string };

export async function measureActivation(runs: number, log: (line: string) => void): Promise<ActivationMeasurement> {
  if (!existsSync(codeServerEntry)) {
    return { unavailable: 'code-server is not installed (bash scripts/install-code-server.sh)' };
  }
  if (!existsSync('/usr/bin/chromium')) {
    return { unavailable: 'Chromium is not installed (scripts/install-debian-deps.sh)' };
  }
  if (!existsSync(path.join(repoRoot, 'dist', 'extension.js'))) {
    return { unavailable: 'dist/extension.js is missing (npm run build)' };
  }
  const loadMs: number[] = [];
  const activationMs: number[] = [];
  for (let run = 1; run <= runs; run++) {
    const result = await activateOnce();
    if (result.error) {
      return { unavailable: `the probe failed: ${result.error}` };
    }
    if (result.activationMs === undefined || result.loadMs === undefined) {
      return { unavailable: 'the extension was already active when the probe ran, so its activation could not be timed' };
    }
    log(`  activation ${run}/${runs}: bundle load ${result.loadMs.toFixed(1)} ms, activate() ${result.activationMs.toFixed(1)} ms`);
    loadMs.push(result.loadMs);
    activationMs.push(result.activationMs);
  }
  return { loadMs, activationMs };
}

async function activateOnce(): Promise<ActivationProbeResult> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'relay-lab-activation-'));
  const output = path.join(scratch, 'activation.json');
  // The extension host inherits code-server's environment, which inherits ours.
  process.env.SMTP_RELAY_LAB_ACTIVATION_PROBE = output;
  const host = await CodeServerHost.start();
  const browser = await launchHeadlessChromium();
  try {
    const page = await browser.newPage();
    const finished = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    await page.exposeFunction('codeAutomationLog', () => undefined);
    await page.goto(
      host.workbenchUrl([
        ['extensionDevelopmentPath', host.remoteAuthority + repoRoot],
        ['extensionTestsPath', host.remoteAuthority + probePath],
        ['skipWelcome', 'true'],
      ]),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the activation probe did not finish within ${hostTimeoutMs / 1000} s`)), hostTimeoutMs);
    });
    try {
      await Promise.race([finished, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return JSON.parse(readFileSync(output, 'utf8')) as ActivationProbeResult;
  } catch (error) {
    return { alreadyActive: false, error: (error as Error).message };
  } finally {
    delete process.env.SMTP_RELAY_LAB_ACTIVATION_PROBE;
    await browser.close();
    await host.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
