import * as vscode from 'vscode';
import { describeTarget } from '../core/protocol/sessionOptions';
import { storageKeys } from './ids';
import type { ImapCatcherAddress } from '../core/reach/imapCatcher';
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

/**
 * The IMAP catcher's mailbox password (relay.catcher imap://…), in SecretStorage like the AUTH passwords,
 * keyed by user and server. Asked for only when SMTP_RELAY_LAB_IMAP_PASSWORD is not set (core/reach/catcherSpec.ts).
 */
export class ImapCatcherPasswords {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  async get(address: ImapCatcherMailbox): Promise<string | undefined> {
    return this.secrets.get(imapCatcherPasswordKey(address));
  }

  async store(address: ImapCatcherMailbox, password: string): Promise<void> {
    await this.secrets.store(imapCatcherPasswordKey(address), password);
  }

  async delete(address: ImapCatcherMailbox): Promise<void> {
    await this.secrets.delete(imapCatcherPasswordKey(address));
  }
}

export type ImapCatcherMailbox = Pick<ImapCatcherAddress, 'user' | 'host' | 'port'>;

/** One password per mailbox user per server; the mailbox name and TLS mode do not change who you are. */
function imapCatcherPasswordKey(address: ImapCatcherMailbox): string {
  return `${storageKeys.imapCatcherPasswordPrefix}${address.user}@${describeTarget(address)}`;
}
