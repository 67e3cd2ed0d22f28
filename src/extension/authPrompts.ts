import * as vscode from 'vscode';
import type { AuthPrompts } from '../core/protocol/authFlow';
import { describeTarget } from '../core/protocol/sessionOptions';
import type { AuthPasswords } from './secrets';
import type { Target } from './target';

/**
 * The questions AUTH asks a person in VS Code, for every face (session terminal, .smtp files): who to log
 * in as, and the password, from SecretStorage when "SMTP: Set AUTH Password" stored one, else typed into a
 * masked box. The password is returned once and kept nowhere. The steps around them are core/authFlow.ts.
 */
export function authPromptsFor(passwords: AuthPasswords, target: Target): AuthPrompts {
  const where = describeTarget(target);
  return {
    askForUsername: async (mechanism) =>
      vscode.window.showInputBox({
        title: `AUTH ${mechanism} on ${where}`,
        prompt: 'The user name to authenticate as ("/auth plain name" in the terminal or "# @user name" in a .smtp file saves asking)',
        ignoreFocusOut: true,
        validateInput: (value) => (/[\r\n]/.test(value) ? 'One line only.' : undefined),
      }),
    passwordFor: async (username, mechanism) =>
      (await passwords.get(target, username)) ??
      vscode.window.showInputBox({
        title: `AUTH ${mechanism} password for ${username} on ${where}`,
        prompt: 'Sent once; never shown or recorded in the transcript. "SMTP: Set AUTH Password" keeps it in the keychain.',
        password: true,
        ignoreFocusOut: true,
      }),
  };
}
