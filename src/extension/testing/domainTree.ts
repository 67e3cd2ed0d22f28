import { describeError } from '../../core/protocol/errors';
import type { DomainHostResult, DomainReport } from '../../core/reach/domainRun';
import { resolveMailDomain, type MailDomainResolution } from '../../core/reach/mxResolution';
import type { RelayVerdict } from '../../core/relay/relayTypes';
import { targetIdentity, type Target } from '../target';
import type { TestItemState } from './testResultMapping';
import { groupNodeById, selectTestsForRun, type RunSelection } from './testTree';

/**
 * The Test Explorer's tree for a mail-domain target, without `vscode` (issue 10 §3): the domain's node, one
 * child per address its MX hosts resolve to (label: the address; description: the MX names and preference),
 * and under each address the same groups and tests as a host target's tree. Resolution is network, so the
 * explorer builds this only when the node is expanded or a run starts; the resolver is injected for tests.
 *
 * Ids: the domain node is "domain:<target identity>"; an address "<domain id>|<address>"; a group or test
 * under it "<address id>|group:kb" or "<address id>|kb1". No catalogue id, group id or address holds "|".
 */

export type MailDomainResolver = (domain: string, options: { resolver?: string }) => Promise<MailDomainResolution>;

export const systemMailDomainResolver: MailDomainResolver = (domain, options) => resolveMailDomain(domain, options);

export interface DomainAddressNode {
  id: string;
  /** The address, as the Testing view shows it. */
  label: string;
  /** The MX names that lead to it and their preference. */
  description: string;
  address: string;
  names: string[];
  preference: number;
}

/** An MX host without an address: shown (with its error) so the user sees why the domain is not closed. */
export interface DomainProblemNode {
  id: string;
  label: string;
  problem: string;
}

export type DomainTree =
  | { kind: 'resolved'; resolution: MailDomainResolution; addresses: DomainAddressNode[]; problems: DomainProblemNode[] }
  | { kind: 'failed'; error: string };

const separator = '|';

export function domainNodeId(target: Pick<Target, 'host' | 'port' | 'tls' | 'practicePersona' | 'mailDomain'>): string {
  return targetIdentity(target); // "domain:<name>:<port>@<resolver>/<tls>" for a mail-domain target
}

export function isDomainItemId(id: string): boolean {
  return id.startsWith('domain:');
}

export function addressNodeId(domainId: string, address: string): string {
  return `${domainId}${separator}${address}`;
}

/** A group ("group:kb") or test ("kb1") item under an address. */
export function addressChildId(addressId: string, groupOrTestId: string): string {
  return `${addressId}${separator}${groupOrTestId}`;
}

/** What an item id names: a domain node, one of its addresses, or a group or test under an address. */
export function parseDomainItemId(id: string): { domainId: string; address?: string; child?: string } | undefined {
  if (!isDomainItemId(id)) {
    return undefined;
  }
  const [domainId, address, child] = id.split(separator);
  return { domainId: domainId!, ...(address !== undefined ? { address } : {}), ...(child !== undefined ? { child } : {}) };
}

/** The domain node's label and description before anything is resolved. */
export function domainNodeLabel(target: Target): { label: string; description: string } {
  const domain = target.mailDomain?.domain ?? target.host;
  const resolver = target.mailDomain?.resolver ? ` · DNS ${target.mailDomain.resolver}` : '';
  return { label: domain, description: `mail domain · all MX addresses, port ${target.port}${resolver}` };
}

/** Resolves the domain and describes its children; a DNS failure (NXDOMAIN, no answer) is a `failed` tree, never a throw. */
export async function buildDomainTree(target: Target, resolve: MailDomainResolver = systemMailDomainResolver): Promise<DomainTree> {
  const domain = target.mailDomain?.domain ?? target.host;
  let resolution: MailDomainResolution;
  try {
    resolution = await resolve(domain, target.mailDomain?.resolver ? { resolver: target.mailDomain.resolver } : {});
  } catch (error) {
    return { kind: 'failed', error: `The mail servers of ${domain} could not be looked up: ${describeError(error)}` };
  }
  const domainId = domainNodeId(target);
  const addresses = [...resolution.addresses]
    .sort((a, b) => a.preference - b.preference)
    .map((host) => ({
      id: addressNodeId(domainId, host.address),
      label: host.address,
      description: addressDescription(resolution, host),
      address: host.address,
      names: [...host.names],
      preference: host.preference,
    }));
  const problems = resolution.problems.map((problem) => ({
    id: addressNodeId(domainId, `no-address:${problem.name}`),
    label: problem.name,
    problem: `${problem.name} (preference ${problem.preference}): ${problem.problem}, so it cannot be tested and the domain cannot be "closed".`,
  }));
  return { kind: 'resolved', resolution, addresses, problems };
}

function addressDescription(resolution: MailDomainResolution, host: { names: readonly string[]; preference: number }): string {
  if (resolution.source === 'address') {
    return `no MX: ${resolution.domain}'s own address`;
  }
  return `${host.names.join(', ')} · preference ${host.preference}`;
}

/** Which tests run at which address: a run request's items mapped onto the domain's addresses. */
export interface DomainRunPlan {
  /** By address, in the tree's order. */
  selections: Map<string, RunSelection>;
  /** True when every address runs (and the domain is judged): the domain node then gets the worst-of verdict. */
  wholeDomain: boolean;
}

/**
 * Maps a run request onto the domain: `include` undefined (Run All), the domain node, or a top-level group or
 * test (which stands for the profile's target: pass them only when that is this domain) apply to every
 * address; an address item, or a group or test under it, to that address. Excluded items are taken out the
 * same way.
 */
export function planDomainRun(tree: Extract<DomainTree, { kind: 'resolved' }>, domainId: string, include: readonly string[] | undefined, exclude: readonly string[] = []): DomainRunPlan {
  const selections = new Map<string, RunSelection>();
  for (const node of tree.addresses) {
    const included = idsFor(node.address, domainId, include);
    if (included === null) {
      continue;
    }
    const excluded = exclude.length === 0 ? null : idsFor(node.address, domainId, exclude);
    if (excluded === undefined) {
      continue; // the whole address (or domain) was excluded
    }
    const selection = selectTestsForRun(included, excluded ?? []);
    if (selection.testIds.length > 0) {
      selections.set(node.address, selection);
    }
  }
  return { selections, wholeDomain: tree.addresses.length > 0 && selections.size === tree.addresses.length };
}

/**
 * The catalogue ids (or groups) the request names for this address: undefined for all of them, null for none.
 */
function idsFor(address: string, domainId: string, ids: readonly string[] | undefined): string[] | undefined | null {
  if (ids === undefined) {
    return undefined;
  }
  const named: string[] = [];
  let all = false;
  for (const id of ids) {
    const parsed = parseDomainItemId(id);
    if (parsed === undefined) {
      // A top-level group or test: the profile's target, which is this domain.
      if (groupNodeById(id) !== undefined || !id.includes(':')) {
        named.push(id);
      }
      continue;
    }
    if (parsed.domainId !== domainId) {
      continue;
    }
    if (parsed.address === undefined || (parsed.address === address && parsed.child === undefined)) {
      all = true;
    } else if (parsed.address === address && parsed.child !== undefined) {
      named.push(parsed.child);
    }
  }
  if (all) {
    return undefined;
  }
  return named.length > 0 ? named : null;
}

/** What a domain's or an address's verdict looks like on its node. */
export interface VerdictNodeState {
  state: 'passed' | 'failed' | 'skipped' | 'errored';
  message: string;
}

/** An address's node: closed passes, open fails, inconclusive is skipped (proves nothing), unreachable errors. */
export function addressNodeState(host: Pick<DomainHostResult, 'address' | 'names' | 'verdict' | 'problem'>): VerdictNodeState {
  const where = host.address ?? host.names[0] ?? '?';
  switch (host.verdict) {
    case 'closed':
      return { state: 'passed', message: `${where}: closed, not an open relay` };
    case 'open':
      return { state: 'failed', message: `${where}: OPEN RELAY (a remote recipient was accepted; see its tests)` };
    case 'inconclusive':
      return { state: 'skipped', message: `${where}: inconclusive; see its tests for what would settle it` };
    case 'error':
      return { state: 'errored', message: `${where} could not be tested: ${host.problem ?? 'unreachable'}` };
  }
}

/** The domain's node: the worst of its hosts, with which host made it so. */
export function domainNodeState(domain: string, verdict: RelayVerdict, hosts: readonly Pick<DomainHostResult, 'address' | 'names' | 'verdict' | 'problem'>[]): VerdictNodeState {
  const list = (wanted: DomainHostResult['verdict']) =>
    hosts.filter((host) => host.verdict === wanted).map((host) => host.address ?? host.names[0] ?? '?').join(', ');
  const count = `${hosts.length} host${hosts.length === 1 ? '' : 's'}`;
  switch (verdict) {
    case 'closed':
      return { state: 'passed', message: `${domain}: closed (worst of ${count})` };
    case 'open':
      return { state: 'failed', message: `${domain}: OPEN RELAY (worst of ${count}): ${list('open')} relays` };
    case 'inconclusive': {
      const errors = list('error');
      return errors
        ? { state: 'errored', message: `${domain}: inconclusive (worst of ${count}): ${errors} could not be tested, so the domain cannot be called closed` }
        : { state: 'skipped', message: `${domain}: inconclusive (worst of ${count}): ${list('inconclusive')} proved nothing either way` };
    }
  }
}

/** A Test Explorer item as the in-VS-Code suite reads it. */
export interface TestItemSnapshot {
  id: string;
  label: string;
  description?: string;
  error?: string;
  children: TestItemSnapshot[];
}

/** One finished run of a mail-domain target in the Test Explorer. */
export interface ExplorerDomainRun {
  domain: string;
  /** Why nothing ran: the domain could not be resolved (NXDOMAIN…). */
  error?: string;
  report?: DomainReport;
  /** True when every address ran, so the domain's node took the worst-of verdict. */
  wholeDomain: boolean;
  /** The state each test item was given, by address then test id. */
  testItems: Record<string, Record<string, TestItemState>>;
  /** The state each address node was given, and the domain node's. */
  addressStates: Record<string, VerdictNodeState>;
  domainState?: VerdictNodeState;
}

/** What the Test Explorer face offers the rest of the extension (and the in-VS-Code suite). */
export interface TestExplorerHandle {
  readonly profileLabels: string[];
  /** The tree under a top-level item (a domain node), as it stands. */
  snapshot(id: string): TestItemSnapshot | undefined;
  /** As if the user expanded the item in the Testing view (its resolveHandler). */
  expand(id: string): Promise<void>;
  readonly onDidFinishDomainRun: (listener: (run: ExplorerDomainRun) => void) => { dispose(): void };
}
