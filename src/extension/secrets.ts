import * as vscode from 'vscode';
import { describeTarget } from '../core/protocol/sessionOptions';
import { storageKeys } from './ids';
import type { Target } from './target';

/**
 * AUTH passwords, kept in VS Code's SecretStorage (the OS keychain) and keyed by user and server, so they
 * never appear in settings, .smtp files or transcripts.
 */
export class AuthPasswords {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  /** Fires when a password was stored or deleted, here or in another window. */
  get onDidChange(): vscode.Event<vscode.SecretStorageChangeEvent> {
    return this.secrets.onDidChange;
  }

  async get(target: Target, username: string): Promise<string | undefined> {
    return this.secrets.get(passwordKey(target, username));
  }

  async store(target: Target, username: string, password: string): Promise<void> {
    await this.secrets.store(passwordKey(target, username), password);
  }

  async delete(target: Target, username: string): Promise<void> {
    await this.secrets.delete(passwordKey(target, username));
  }
}

/** One password per user per server: the TLS mode does not change who you are. */
export function passwordKey(target: Pick<Target, 'host' | 'port'>, username: string): string {
  return `${storageKeys.authPasswordPrefix}${username}@${describeTarget(target)}`;
}
