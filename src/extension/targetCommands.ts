import * as vscode from 'vscode';
import { commandIds } from './ids';
import type { LabContext } from './labContext';

/** "SMTP: Choose Target": picks the server the terminal and the relay commands talk to in this workspace. */
export function registerTargetCommands(lab: LabContext): vscode.Disposable {
  return vscode.commands.registerCommand(commandIds.chooseTarget, async () => {
    const target = await lab.targets.choose();
    if (target) {
      lab.log.info(`Target chosen: ${target.label} (${target.host}:${target.port}, ${target.tls})`);
    }
    return target;
  });
}
