import * as vscode from 'vscode';
import { CatcherSpecError, describeCatcherSpec, parseCatcherSpec } from '../core/reach/catcherSpec';
import { imapPasswordVariable, type ImapCatcherAddress } from '../core/reach/imapCatcher';
import { describeTarget } from '../core/protocol/sessionOptions';
import { DisposableStore } from './disposableStore';
import { commandIds, settingKeys } from './ids';
import type { LabContext } from './labContext';

/** One password the user can keep in SecretStorage: whose it is, and where it goes. */
interface PasswordAccount {
  /** "AUTH password for alice on mail.example.com:587": the box's title. */
  title: string;
  /** "alice on mail.example.com:587": the confirmation after saving or forgetting. */
  label: string;
  /** The box's prompt, under the title. */
  prompt: string;
  store(password: string): Promise<void>;
  delete(): Promise<void>;
}

/** A password command: how it finds the account (asking what it must), or undefined when the user cancelled. */
type AccountFinder = (lab: LabContext) => Promise<PasswordAccount | undefined>;

/**
 * Every "Set … Password" command: find the account, ask for the password in a masked box, store it in
 * SecretStorage (an empty password deletes the stored one). The password is passed on once and kept
 * nowhere else: not in settings, transcripts, the log or a message.
 */
function registerPasswordCommandFor(lab: LabContext, commandId: string, findAccount: AccountFinder): vscode.Disposable {
  return vscode.commands.registerCommand(commandId, async () => {
    const account = await findAccount(lab);
    if (!account) {
      return;
    }
    const password = await vscode.window.showInputBox({
      title: account.title,
      prompt: account.prompt,
      password: true,
      ignoreFocusOut: true,
    });
    if (password === undefined) {
      return;
    }
    if (password === '') {
      await account.delete();
      void vscode.window.showInformationMessage(`Forgot the password of ${account.label}.`);
    } else {
      await account.store(password);
      void vscode.window.showInformationMessage(`Saved the password of ${account.label}.`);
    }
  });
}

const keptPrompt = 'Kept in the system keychain (SecretStorage), never in settings or transcripts. Leave empty to forget it.';

/** "SMTP: Set AUTH Password": a user on the current target (or one picked). */
const authAccount: AccountFinder = async (lab) => {
  const target = lab.targets.current ?? (await lab.targets.pickTarget());
  if (!target) {
    return undefined;
  }
  const where = describeTarget(target);
  const typed = await vscode.window.showInputBox({
    title: `AUTH user on ${where}`,
    value: target.username,
    prompt: 'The user name to authenticate as',
    validateInput: (value) => (value.trim() === '' ? 'Type a user name.' : /[\r\n]/.test(value) ? 'One line only.' : undefined),
  });
  if (typed === undefined) {
    return undefined;
  }
  const username = typed.trim();
  return {
    title: `AUTH password for ${username} on ${where}`,
    label: `${username} on ${where}`,
    prompt: keptPrompt,
    store: (password) => lab.passwords.store(target, username, password),
    delete: () => lab.passwords.delete(target, username),
  };
};

/**
 * "SMTP: Set IMAP Catcher Password": the mailbox of `relay.catcher` when it is an imap:// address, else the
 * one typed (in the same form). Used when SMTP_RELAY_LAB_IMAP_PASSWORD is not set.
 */
const imapCatcherAccount: AccountFinder = async (lab) => {
  let address = imapAddressOf(lab.settings.catcher.value);
  if (!address) {
    const typed = await vscode.window.showInputBox({
      title: 'IMAP catcher mailbox',
      prompt: `The mailbox to look in, as ${settingKeys.catcher} takes it: imap://user@host[:port]/MAILBOX (imaps:// for TLS)`,
      placeHolder: 'imap://relay-test@mail.example.net/INBOX',
      ignoreFocusOut: true,
      validateInput: (value) => imapAddressProblem(value),
    });
    address = typed === undefined ? undefined : imapAddressOf(typed);
    if (!address) {
      return undefined;
    }
  }
  const mailbox = address;
  const description = describeCatcherSpec({ kind: 'imap', address: mailbox });
  return {
    title: `Password for the ${description}`,
    label: `the ${description}`,
    prompt: `${keptPrompt} ${imapPasswordVariable}, when set, is used instead.`,
    store: (password) => lab.imapCatcherPasswords.store(mailbox, password),
    delete: () => lab.imapCatcherPasswords.delete(mailbox),
  };
};

function imapAddressOf(text: string): ImapCatcherAddress | undefined {
  if (!/^imaps?:\/\//i.test(text.trim())) {
    return undefined;
  }
  try {
    const spec = parseCatcherSpec(text, settingKeys.catcher);
    return spec.kind === 'imap' ? spec.address : undefined;
  } catch {
    return undefined;
  }
}

function imapAddressProblem(text: string): string | undefined {
  if (!/^imaps?:\/\//i.test(text.trim())) {
    return 'An imap:// or imaps:// address: imap://user@host[:port]/MAILBOX';
  }
  try {
    parseCatcherSpec(text, settingKeys.catcher);
    return undefined;
  } catch (error) {
    return error instanceof CatcherSpecError ? error.message : String(error);
  }
}

/** Both password commands: AUTH (per target and user) and the IMAP catcher's mailbox. */
export function registerPasswordCommand(lab: LabContext): vscode.Disposable {
  const store = new DisposableStore();
  store.add(registerPasswordCommandFor(lab, commandIds.setPassword, authAccount));
  store.add(registerPasswordCommandFor(lab, commandIds.setImapCatcherPassword, imapCatcherAccount));
  return store;
}
