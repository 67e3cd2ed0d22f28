import * as vscode from 'vscode';
import { describeTarget } from '../core/protocol/sessionOptions';
import { DisposableStore } from './disposableStore';
import { commandIds, settingKeys } from './ids';
import type { LabContext } from './labContext';
import { asClientProblem, newDomainTarget, parseAddressAsClient, readTarget, targetIdentity, targetSettingEntry, type Target } from './target';
import { pickTlsMode } from './targets';

const openTerminalChoice = 'Open Session Terminal';

/**
 * "SMTP: Choose Target": picks the server the terminal and the relay commands talk to in this workspace,
 * and says so (the status bar follows). "SMTP: Add Target": writes a server to the user's
 * `smtpRelayLab.targets`, the list the Settings UI can only hand over to settings.json.
 */
export function registerTargetCommands(lab: LabContext): vscode.Disposable {
  const store = new DisposableStore();
  // Typing a domain in the target picker offers "Test the mail servers of <domain>": a domain target (the one
  // in settings for that domain, if any), whose addresses relay runs test all and the terminal picks one of.
  store.add(
    lab.targets.useMailDomainTests(async (domain) => {
      const configured = lab.targets.configured.find((target) => target.mailDomain?.domain === domain);
      const resolver = lab.settings.dnsResolver.value;
      return configured ?? newDomainTarget(domain, 25, resolver === '' ? undefined : resolver);
    }),
  );
  store.add(
    vscode.commands.registerCommand(commandIds.chooseTarget, async () => {
      const target = await lab.targets.pickTarget({ title: 'Choose Target', ...(lab.targets.current ? { current: lab.targets.current } : {}) });
      if (!target) {
        return undefined;
      }
      await lab.targets.setCurrent(target);
      lab.log.info(`Target chosen: ${target.label} (${describeTarget(target)}, ${target.tls})`);
      void vscode.window
        .showInformationMessage(`SMTP target: ${target.label} (${describeTarget(target)}). The terminal, Run Relay Suite and the Test Explorer use it.`, openTerminalChoice)
        .then((choice) => (choice === openTerminalChoice ? vscode.commands.executeCommand(commandIds.openSessionTerminal) : undefined));
      return target;
    }),
  );
  store.add(
    vscode.commands.registerCommand(commandIds.addTarget, async (given?: unknown) => {
      const target = given === undefined ? await askTarget() : readTarget(given);
      if (!target) {
        if (given !== undefined) {
          void vscode.window.showErrorMessage('Add Target: the target given has no usable host.');
        }
        return undefined;
      }
      const problem = asClientProblem(target);
      if (problem !== undefined) {
        void vscode.window.showErrorMessage(`Add Target: ${problem}`);
        return undefined;
      }
      const configuration = vscode.workspace.getConfiguration();
      const existing = configuration.inspect<unknown[]>(settingKeys.targets)?.globalValue;
      const list = Array.isArray(existing) ? existing : [];
      const identity = targetIdentity(target);
      // The same server spoken to the same way replaces its old entry instead of appearing twice.
      const others = list.filter((entry) => {
        const known = readTarget(entry);
        return !known || targetIdentity(known) !== identity;
      });
      await configuration.update(settingKeys.targets, [...others, targetSettingEntry(target)], vscode.ConfigurationTarget.Global);
      await lab.targets.setCurrent(target);
      lab.log.info(`Target added to user settings: ${target.label} (${describeTarget(target)}, ${target.tls})`);
      void vscode.window.showInformationMessage(
        `Added ${target.label} to your user settings (smtpRelayLab.targets) and made it the target.`,
      );
      return target;
    }),
  );
  return store;
}

/** Address, TLS, a name and the local domains, one question each; Escape at any point adds nothing. */
async function askTarget(): Promise<Target | undefined> {
  const address = await vscode.window.showInputBox({
    title: 'Add Target (1/3): address',
    prompt:
      'Host name or address, optionally with :port (25 when omitted). IPv6: [::1]:25. ' +
      'Optionally "as 203.0.113.9" to test as that outside client through XCLIENT (the server must allow you in smtpd_authorized_xclient_hosts)',
    placeHolder: 'mail.example.com:25',
    validateInput: (value) => {
      const parsed = parseAddressAsClient(value);
      return 'error' in parsed ? parsed.error : undefined;
    },
  });
  const parsed = address === undefined ? undefined : parseAddressAsClient(address);
  if (!parsed || 'error' in parsed) {
    return undefined;
  }
  // The same TLS question as the picker's "New host:port…" (with the unverified-certificate choices).
  const tls = await pickTlsMode(parsed.port);
  if (!tls) {
    return undefined;
  }
  const name = await vscode.window.showInputBox({
    title: 'Add Target (2/3): name',
    prompt: 'What the pickers and the status bar show (empty: host:port)',
  });
  if (name === undefined) {
    return undefined;
  }
  const domains = await vscode.window.showInputBox({
    title: 'Add Target (3/3): local domains',
    prompt: 'Domains the server receives mail for, separated by commas (empty: inferred from its banner and EHLO)',
    placeHolder: 'example.com',
  });
  if (domains === undefined) {
    return undefined;
  }
  return readTarget({
    host: parsed.host,
    port: parsed.port,
    tls: tls.mode,
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(parsed.asClient === undefined ? {} : { asClient: parsed.asClient }),
    ...(name.trim() !== '' ? { name: name.trim() } : {}),
    localDomains: domains.split(',').map((domain) => domain.trim()).filter((domain) => domain !== ''),
  });
}
