import * as vscode from 'vscode';
import { describeError } from '../core/protocol/errors';
import { resolveMailDomain, type MailDomainResolution } from '../core/reach/mxResolution';
import { hostTargetOfDomain, type Target } from './target';

/**
 * The terminal and `.smtp` files talk to one server: for a mail-domain target they ask which of its MX
 * addresses (resolved now, with the target's resolver), as the target picker did before domain targets.
 * Any other target is returned as it is.
 */
export async function singleHostOf(
  target: Target,
  onShow?: (picker: vscode.QuickPick<vscode.QuickPickItem>) => void,
): Promise<Target | undefined> {
  const domain = target.mailDomain;
  if (!domain) {
    return target;
  }
  let resolution: MailDomainResolution;
  try {
    resolution = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Looking up the mail servers of ${domain.domain}…` },
      () => resolveMailDomain(domain.domain, domain.resolver ? { resolver: domain.resolver } : {}),
    );
  } catch (error) {
    void vscode.window.showErrorMessage(`The mail servers of ${domain.domain}: ${describeError(error)}`);
    return undefined;
  }
  const items = [...resolution.addresses]
    .sort((a, b) => a.preference - b.preference)
    .map((host) => ({
      label: host.address,
      description:
        resolution.source === 'address' ? `no MX: ${domain.domain}'s own address` : `${host.names.join(', ')} · preference ${host.preference}`,
      host,
    }));
  if (items.length === 0) {
    void vscode.window.showErrorMessage(`${domain.domain} has no mail server with an address.`);
    return undefined;
  }
  const picker = vscode.window.createQuickPick<(typeof items)[number]>();
  picker.title = `Mail servers of ${domain.domain}`;
  picker.placeholder = `Which address? (port ${target.port}; Run Relay Suite and the Test Explorer test them all)`;
  picker.matchOnDescription = true;
  picker.items = items;
  try {
    const chosen = await new Promise<(typeof items)[number] | undefined>((resolve) => {
      picker.onDidAccept(() => {
        resolve(picker.activeItems[0]);
        picker.hide();
      });
      picker.onDidHide(() => resolve(undefined));
      picker.show();
      onShow?.(picker);
    });
    return chosen ? hostTargetOfDomain(target, chosen.host) : undefined;
  } finally {
    picker.dispose();
  }
}
