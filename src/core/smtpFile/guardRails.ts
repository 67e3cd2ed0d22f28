/**
 * Which blocks of a .smtp file must be confirmed before they run: one that sends DATA (a real message), or
 * one whose RCPT names a recipient an open relay would accept and forward (a remote domain, or a routing
 * form such as `user%remote@local`). `# @confirm` in the block (or before the first one) is that
 * confirmation; otherwise the editor asks in a modal and the CLI wants --yes. No `vscode` here.
 */
import { isLocalDomain, parseMailAddress } from '../protocol/mailAddress';
import { addressArgumentOf, commandKindOf } from '../protocol/smtpCommand';
import type { Target } from '../relay/target';
import type { SmtpBlock, SmtpDocument } from './smtpDocument';
import { VariableScope } from './variableReferences';

export interface RiskyBlock {
  index: number;
  title: string;
  /** For a person, one each: "sends DATA (3 lines)", "RCPT TO:<relay-test@example.net>: a remote recipient". */
  reasons: string[];
}

/** A domain that stands for "the server's own", whatever it turns out to be after the greeting. */
const ownDomain = 'own-domain.smtp-relay-lab.invalid';

/** The blocks among `indices` that need a confirmation they do not have. */
export function blocksNeedingConfirmation(document: SmtpDocument, indices: readonly number[], target: Target, lines: readonly string[]): RiskyBlock[] {
  const localDomains = [...target.localDomains, ownDomain];
  // Before connecting, built-ins that name the server's own domain or address are local; the rest as known.
  const scope = new VariableScope(
    document.values,
    new Map<string, string | undefined>([
      ['$target.host', target.host],
      ['$target.port', String(target.port)],
      ['$target.localDomain', target.localDomains[0] ?? ownDomain],
      ['$target.localUser', target.localUser],
      ['$target.remoteUser', 'relay-test'],
      ['$target.remoteDomain', target.remoteDomain],
      ['$target.heloName', target.heloName],
      ['$server.address', ownDomain],
      ['$server.name', ownDomain],
      ['$date', ''],
    ]),
    () => 'value',
  );
  const risky: RiskyBlock[] = [];
  for (const index of indices) {
    const block = document.blocks[index];
    if (!block || block.confirmed) {
      continue;
    }
    const reasons = reasonsToConfirm(block, lines, scope, localDomains);
    if (reasons.length > 0) {
      risky.push({ index, title: block.title, reasons });
    }
  }
  return risky;
}

function reasonsToConfirm(block: SmtpBlock, lines: readonly string[], scope: VariableScope, localDomains: readonly string[]): string[] {
  const reasons: string[] = [];
  for (const step of block.steps) {
    if (step.kind === 'data') {
      reasons.push(`line ${step.line + 1} sends DATA: a message of ${step.body.length} line${step.body.length === 1 ? '' : 's'} the server may deliver`);
      continue;
    }
    if (commandKindOf(step.text) !== 'rcpt') {
      continue;
    }
    let command: string;
    try {
      command = scope.substitute(lines[step.line]?.trim() ?? step.text);
    } catch {
      command = step.text;
    }
    const argument = addressArgumentOf(command);
    if (argument !== undefined && isRemoteRecipient(argument, localDomains)) {
      reasons.push(`line ${step.line + 1}: ${command.replace(/\{\{[^{}]*\}\}/g, '…')}: a recipient an open relay would forward`);
    }
  }
  return reasons;
}

/** A recipient outside the local domains, or written in a form that routes elsewhere through a local one. */
export function isRemoteRecipient(argument: string, localDomains: readonly string[]): boolean {
  if (/\{\{/.test(argument)) {
    return true; // not resolved: cannot be shown to be local
  }
  const address = parseMailAddress(argument);
  if (address.isNull || address.domain === undefined) {
    return address.percentHack !== undefined || address.bangPath !== undefined;
  }
  if (!isLocalDomain(address.domain, localDomains)) {
    return true;
  }
  return (
    address.sourceRoute.length > 0 ||
    address.percentHack !== undefined ||
    address.bangPath !== undefined ||
    address.atSignsOutsideQuotes > 1 ||
    (address.quotedLocalPart && address.localPart.includes('@'))
  );
}
