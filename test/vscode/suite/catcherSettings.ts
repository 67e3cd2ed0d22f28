import * as net from 'node:net';
import * as vscode from 'vscode';
import { settingKeys } from '../../../src/extension/ids';
import type { ConfigValue } from '../../../src/extension/configValue';
import type { LabContext } from '../../../src/extension/labContext';
import type { RelayVerdictRecord } from '../../../src/extension/verdict/relayVerdictRecord';

/** Helpers of the catcher tests (catcher.test.ts, and the IMAP run of secretsNeverWritten.test.ts). */

/** A port nothing listens on right now, on loopback. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something still listens on 127.0.0.1:port (the catcher, if the run did not close it). */
export function canListenOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Writes a user setting and waits until the extension's typed value has it. */
export async function setUserSetting<T>(key: string, value: T | undefined, seen: ConfigValue<T>, expected: T): Promise<void> {
  const changed = new Promise<void>((resolve) => {
    if (JSON.stringify(seen.value) === JSON.stringify(expected)) {
      resolve();
      return;
    }
    const listener = seen.onDidChange((now) => {
      if (JSON.stringify(now) === JSON.stringify(expected)) {
        listener.dispose();
        resolve();
      }
    });
  });
  await vscode.workspace.getConfiguration().update(key, value, vscode.ConfigurationTarget.Global);
  await changed;
}

export function nextVerdict(lab: LabContext): Promise<RelayVerdictRecord> {
  return new Promise((resolve) => {
    const listener = lab.relayVerdicts.onDidPublish((record) => {
      listener.dispose();
      resolve(record);
    });
  });
}

/** Points the catcher settings somewhere (undefined: back to the defaults). */
export async function configureCatcher(lab: LabContext, catcher: string | undefined, confirmTimeoutSeconds: number | undefined): Promise<void> {
  await setUserSetting(settingKeys.catcher, catcher, lab.settings.catcher, catcher ?? '');
  await setUserSetting(settingKeys.confirmTimeoutSeconds, confirmTimeoutSeconds, lab.settings.confirmTimeoutSeconds, confirmTimeoutSeconds ?? 60);
  await setUserSetting(settingKeys.confirmByDelivery, catcher === undefined ? undefined : true, lab.settings.confirmByDelivery, catcher !== undefined);
}

