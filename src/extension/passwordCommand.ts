import * as vscode from 'vscode';
import { describeTarget } from '../core/protocol/sessionOptions';
import { commandIds } from './ids';
import type { LabContext } from './labContext';

/**
 * "SMTP: Set AUTH Password": stores the password for a user on a target in SecretStorage. An empty password
 * deletes the stored one.
 */
export function registerPasswordCommand(lab: LabContext): vscode.Disposable {
  return vscode.commands.registerCommand(commandIds.setPassword, async () => {
    const target = lab.targets.current ?? (await lab.targets.pickTarget());
    if (!target) {
      return;
    }
    const where = describeTarget(target);
    const username = await vscode.window.showInputBox({
      title: `AUTH user on ${where}`,
      value: target.username,
      prompt: 'The user name to authenticate as',
      validateInput: (value) => (value.trim() === '' ? 'Type a user name.' : /[\r\n]/.test(value) ? 'One line only.' : undefined),
    });
    if (username === undefined) {
      return;
    }
    const password = await vscode.window.showInputBox({
      title: `AUTH password for ${username.trim()} on ${where}`,
      prompt: 'Kept in the system keychain (SecretStorage), never in settings or transcripts. Leave empty to forget it.',
      password: true,
    });
    if (password === undefined) {
      return;
    }
    if (password === '') {
      await lab.passwords.delete(target, username.trim());
      void vscode.window.showInformationMessage(`Forgot the password of ${username.trim()} on ${where}.`);
    } else {
      await lab.passwords.store(target, username.trim(), password);
      void vscode.window.showInformationMessage(`Saved the password of ${username.trim()} on ${where}.`);
    }
  });
}
