import * as vscode from 'vscode';
import { describeError } from '../../core/protocol/errors';
import { relayCatalogue } from '../../core/relay/relayCatalogue';
import { changedItemDescription, changedItemMessage, outcomeChangeOf } from '../../core/relay/outcomeChanges';
import { describeTarget } from '../../core/protocol/sessionOptions';
import { renderDomainReport } from '../../core/reach/domainRun';
import { renderRelayReport } from '../../core/relay/relayReport';
import type { RelayTestResult } from '../../core/relay/relayTypes';
import { DisposableStore } from '../disposableStore';
import { testControllerId } from '../ids';
import type { LabContext } from '../labContext';
import { asClientProblem, type Target } from '../target';
import { prepareDelivery, runRelayTestsInWindow, type PreparedDelivery } from '../verdict/relayRun';
import { describeCatcherSpec } from '../../core/reach/catcherSpec';
import { runDomainInWindow } from '../verdict/domainRunInWindow';
import {
  addressChildId,
  addressNodeId,
  addressNodeState,
  buildDomainTree,
  domainNodeId,
  domainNodeLabel,
  domainNodeState,
  parseDomainItemId,
  planDomainRun,
  systemMailDomainResolver,
  type DomainTree,
  type ExplorerDomainRun,
  type MailDomainResolver,
  type TestExplorerHandle,
  type TestItemSnapshot,
  type VerdictNodeState,
} from './domainTree';
import { groupNodeById, selectTestsForRun, sortTextFor, testGroupNodes, testsInGroup, type RunSelection } from './testTree';
import {
  asOutput,
  runIntroduction,
  testItemStateFor,
  testResultOutput,
  transcriptOutputLine,
  verdictOutput,
  type TestItemState,
} from './testResultMapping';
import { OutcomeHistory } from './outcomeHistory';

const runProfileLabel = 'Run relay tests';
const deliveryProfileLabel = 'Run with delivery confirmation (sends DATA)';
const chooseTargetProfileLabel = 'Run relay tests: Choose Target…';

/** Which server a profile runs against: the current target, one from settings, or the one picked at run time. */
type ProfileTarget = { kind: 'current' } | { kind: 'choose' } | { kind: 'configured'; target: Target };

/**
 * The relay tests in the Testing view: a TestController with the groups "KB 304897 tests", "Control" and
 * "Extended variants", one item per catalogue test. Items are made when VS Code asks (resolveHandler), so
 * activation creates nothing but the controller. A run goes through the core runner (which reconnects when
 * a server drops the connection), shown live in the run's output. Run profiles: the current target (the
 * default, named in its label), "Choose Target…", one per target in settings, and delivery confirmation.
 */
export class RelayTestExplorer implements vscode.Disposable, TestExplorerHandle {
  private readonly store = new DisposableStore();
  private readonly controller: vscode.TestController;
  private readonly runProfile: vscode.TestRunProfile;
  /** Set once the workbench asked for the tests (the Testing view lists them): Run All reaches them from then on. */
  private readonly listed: Promise<void>;
  private markListed: () => void = () => undefined;
  /** One profile per target in the `targets` setting, remade when the setting changes. */
  private targetProfiles: vscode.TestRunProfile[] = [];
  /** The mail-domain targets shown as nodes (the current target, those in settings), by node id. */
  private readonly domains = new Map<string, { target: Target; tree?: DomainTree }>();
  /** Set once VS Code asked for the top-level items: domain nodes follow the targets from then on. */
  private rootResolved = false;
  private readonly domainRunEmitter = this.store.add(new vscode.EventEmitter<ExplorerDomainRun>());
  readonly onDidFinishDomainRun = this.domainRunEmitter.event;

  constructor(
    private readonly lab: LabContext,
    private readonly mailDomainResolver: MailDomainResolver = systemMailDomainResolver,
  ) {
    this.controller = this.store.add(vscode.tests.createTestController(testControllerId, 'SMTP Relay Tests'));
    this.listed = new Promise((resolve) => (this.markListed = resolve));
    this.controller.resolveHandler = async (item) => {
      const resolving = this.resolve(item);
      if (item === undefined) {
        this.markListed();
      }
      await resolving;
    };
    this.runProfile = this.controller.createRunProfile(
      runProfileLabel,
      vscode.TestRunProfileKind.Run,
      (request, token) => this.run(request, token, { delivery: false, target: { kind: 'current' } }),
      true,
    );
    this.controller.createRunProfile(
      chooseTargetProfileLabel,
      vscode.TestRunProfileKind.Run,
      (request, token) => this.run(request, token, { delivery: false, target: { kind: 'choose' } }),
      false,
    );
    // A second, never default, profile: DATA is sent only when the user picks it by name.
    this.controller.createRunProfile(
      deliveryProfileLabel,
      vscode.TestRunProfileKind.Run,
      (request, token) => this.run(request, token, { delivery: true, target: { kind: 'current' } }),
      false,
    );
    this.labelRunProfile();
    this.makeTargetProfiles();
    lab.settings.confirmByDelivery.onDidChange(() => this.labelRunProfile(), this, this.store.listenerArray);
    lab.settings.targets.onDidChange(
      () => {
        this.makeTargetProfiles();
        this.syncDomainNodes();
      },
      this,
      this.store.listenerArray,
    );
    lab.targets.onDidChangeCurrent(
      () => {
        this.syncDomainNodes();
        this.labelRunProfile();
        // Results were about the server tested then; another target makes them, and their changed-outcome marks, stale.
        this.controller.invalidateTestResults();
        this.clearChangeMarks();
      },
      this,
      this.store.listenerArray,
    );
  }

  dispose(): void {
    this.targetProfiles.forEach((profile) => profile.dispose());
    this.store.dispose();
  }

  /**
   * Resolves once the workbench knows this controller's tests, for the in-VS-Code suite: Run All Tests
   * issued before that (just after activation) finds no test to run and does nothing.
   */
  whenListed(): Promise<void> {
    return this.listed;
  }

  /** A test's item as the Testing view shows it (label, description), for the in-VS-Code suite. */
  testItem(testId: string): vscode.TestItem | undefined {
    this.resolveAll();
    return this.itemFor(testId);
  }

  /** The run profiles' labels, for the in-VS-Code suite: what the Run menu offers. */
  get profileLabels(): string[] {
    return [this.runProfile.label, chooseTargetProfileLabel, ...this.targetProfiles.map((profile) => profile.label)];
  }

  /**
   * The default profile names the target it runs against, and follows the confirmByDelivery setting: its
   * label says when it sends DATA.
   */
  private labelRunProfile(): void {
    const current = this.lab.targets.current;
    const base = current ? `${runProfileLabel} on ${current.label}${asClientSuffix(current)} (current target)` : `${runProfileLabel} (asks for a target)`;
    this.runProfile.label = this.lab.settings.confirmByDelivery.value ? `${base} (sends DATA: relay.confirmByDelivery is on)` : base;
  }

  private makeTargetProfiles(): void {
    this.targetProfiles.forEach((profile) => profile.dispose());
    this.targetProfiles = this.lab.settings.targets.value.map((target) =>
      this.controller.createRunProfile(
        `${runProfileLabel} on ${target.label}${asClientSuffix(target)}`,
        vscode.TestRunProfileKind.Run,
        (request, token) => this.run(request, token, { delivery: false, target: { kind: 'configured', target } }),
        false,
      ),
    );
  }

  private async targetFor(choice: ProfileTarget): Promise<Target | undefined> {
    switch (choice.kind) {
      case 'current':
        return this.lab.targets.resolve();
      case 'choose':
        return this.lab.targets.confirmTarget('Run relay tests');
      case 'configured':
        return choice.target;
    }
  }

  private async resolve(item: vscode.TestItem | undefined): Promise<void> {
    if (item === undefined) {
      this.rootResolved = true;
      this.addGroups();
      this.syncDomainNodes();
      return;
    }
    const domainPart = parseDomainItemId(item.id);
    if (domainPart) {
      if (domainPart.address === undefined) {
        await this.resolveDomain(item); // network: only when expanded, or when a run starts
      } else if (domainPart.child === undefined) {
        this.addGroupItems(item.children, item.id);
      } else {
        this.addTestItems(item, groupNodeById(domainPart.child), item.id.slice(0, -domainPart.child.length - 1));
      }
      return;
    }
    this.addTestItems(item, groupNodeById(item.id), undefined);
  }

  /** A group's tests; under an address their ids carry the address's ("<address id>|kb1"). */
  private addTestItems(item: vscode.TestItem, group: ReturnType<typeof groupNodeById>, addressId: string | undefined): void {
    if (group && item.children.size === 0) {
      item.children.replace(
        testsInGroup(group.group).map((test) => {
          const child = this.controller.createTestItem(addressId ? addressChildId(addressId, test.id) : test.id, test.title);
          child.description = test.id;
          child.sortText = sortTextFor(test);
          return child;
        }),
      );
    }
  }

  private addGroups(): void {
    this.addGroupItems(this.controller.items, undefined);
  }

  /** The three groups, at the top (the profile's target) or under an address of a domain. */
  private addGroupItems(collection: vscode.TestItemCollection, addressId: string | undefined): void {
    testGroupNodes.forEach((node, index) => {
      const id = addressId ? addressChildId(addressId, node.id) : node.id;
      if (collection.get(id)) {
        return;
      }
      const item = this.controller.createTestItem(id, node.label);
      item.description = node.description;
      item.sortText = String(index);
      item.canResolveChildren = true;
      collection.add(item);
    });
  }

  /** Back to each test's plain description (its id), without "changed: …". */
  private clearChangeMarks(): void {
    testGroupNodes.forEach((node) => this.controller.items.get(node.id)?.children.forEach((item) => (item.description = item.id)));
  }

  /** Mail-domain targets: the current one and those in settings, each a node whose children are its addresses. */
  private syncDomainNodes(): void {
    if (!this.rootResolved) {
      return;
    }
    const wanted = new Map<string, Target>();
    for (const target of [this.lab.targets.current, ...this.lab.settings.targets.value]) {
      if (target?.mailDomain && !wanted.has(domainNodeId(target))) {
        wanted.set(domainNodeId(target), target);
      }
    }
    for (const id of [...this.domains.keys()]) {
      if (!wanted.has(id)) {
        this.domains.delete(id);
        this.controller.items.delete(id);
      }
    }
    for (const target of wanted.values()) {
      this.domainNodeFor(target);
    }
  }

  private domainNodeFor(target: Target): vscode.TestItem {
    const id = domainNodeId(target);
    const known = this.controller.items.get(id);
    if (known && this.domains.has(id)) {
      this.domains.get(id)!.target = target;
      return known;
    }
    const { label, description } = domainNodeLabel(target);
    const item = this.controller.createTestItem(id, label);
    item.description = description;
    item.sortText = `9${label}`;
    item.canResolveChildren = true;
    this.domains.set(id, { target });
    this.controller.items.add(item);
    return item;
  }

  /** Looks the domain up (each time: DNS changes) and makes one child per address; a DNS failure is the node's error. */
  private async resolveDomain(item: vscode.TestItem): Promise<DomainTree | undefined> {
    const entry = this.domains.get(item.id);
    if (!entry) {
      return undefined;
    }
    item.busy = true;
    const tree = await buildDomainTree(entry.target, this.mailDomainResolver);
    item.busy = false;
    entry.tree = tree;
    if (tree.kind === 'failed') {
      item.error = tree.error;
      item.children.replace([]);
      return tree;
    }
    item.error = undefined;
    const addressItems = tree.addresses.map((node, index) => {
      const child = item.children.get(node.id) ?? this.controller.createTestItem(node.id, node.label);
      child.description = node.description;
      child.sortText = String(index).padStart(3, '0');
      child.canResolveChildren = true;
      return child;
    });
    const problemItems = tree.problems.map((problem) => {
      const child = item.children.get(problem.id) ?? this.controller.createTestItem(problem.id, problem.label);
      child.description = 'no address';
      child.error = problem.problem;
      child.sortText = `999${problem.label}`;
      return child;
    });
    item.children.replace([...addressItems, ...problemItems]);
    return tree;
  }

  /** TestExplorerHandle: the tree under a top-level item as it stands. */
  snapshot(id: string): TestItemSnapshot | undefined {
    const item = this.controller.items.get(id);
    return item ? snapshotOf(item) : undefined;
  }

  /** TestExplorerHandle: what expanding the item in the Testing view does. */
  async expand(id: string): Promise<void> {
    if (!this.rootResolved) {
      await this.resolve(undefined);
    }
    const item = this.controller.items.get(id);
    if (item) {
      await this.resolve(item);
    }
  }

  /** A run must reach tests whose group was never expanded. */
  private resolveAll(): void {
    this.rootResolved = true;
    this.addGroups();
    this.syncDomainNodes();
    testGroupNodes.forEach((node) => {
      const group = this.controller.items.get(node.id);
      if (group) {
        this.addTestItems(group, node, undefined);
      }
    });
  }

  private itemFor(testId: string): vscode.TestItem | undefined {
    const test = relayCatalogue.find((candidate) => candidate.id === testId);
    const group = testGroupNodes.find((node) => node.group === test?.group);
    return group ? this.controller.items.get(group.id)?.children.get(testId) : undefined;
  }

  private async run(
    request: vscode.TestRunRequest,
    token: vscode.CancellationToken,
    mode: { delivery: boolean; target: ProfileTarget },
  ): Promise<void> {
    const target = await this.targetFor(mode.target);
    if (!target || token.isCancellationRequested) {
      return;
    }
    const confirmByDelivery = mode.delivery || this.lab.settings.confirmByDelivery.value;
    // The delivery profile always asks before DATA; a configured catcher asks too (it sends DATA for every accepted test).
    const delivery = await prepareDelivery(this.lab, target, confirmByDelivery);
    if (!delivery) {
      return;
    }
    this.resolveAll();
    const include = request.include?.map((item) => item.id);
    const exclude = request.exclude?.map((item) => item.id) ?? [];
    // The top-level groups stand for the profile's target; a mail-domain target runs them at each address.
    const selection: RunSelection = target.mailDomain ? { testIds: [], controlAdded: false } : selectTestsForRun(include, exclude);
    const domainParts = this.domainPartsOf(target, include);
    if (selection.testIds.length === 0 && domainParts.length === 0) {
      return;
    }

    const run = this.controller.createTestRun(request, `Relay tests: ${target.label}`);
    const abort = new AbortController();
    const cancellation = token.onCancellationRequested(() => abort.abort());
    try {
      if (selection.testIds.length > 0) {
        await this.runHost(run, target, selection, confirmByDelivery, delivery, token, abort.signal);
      }
      for (const part of domainParts) {
        if (token.isCancellationRequested) {
          break;
        }
        await this.runDomainPart(run, part.target, part.include, exclude, confirmByDelivery, delivery, token, abort.signal);
      }
    } finally {
      cancellation.dispose();
      run.end();
    }
  }

  /**
   * The domains a request runs: the profile's target when it is a mail domain (for Run All, its own items, or
   * the top-level groups), and any other domain node the request names (its ▶ in the Testing view), or all
   * of them for Run All.
   */
  private domainPartsOf(target: Target, include: readonly string[] | undefined): { target: Target; include: string[] | undefined }[] {
    const parts: { target: Target; include: string[] | undefined }[] = [];
    const profileDomainId = target.mailDomain ? this.domainNodeFor(target).id : undefined;
    if (profileDomainId !== undefined) {
      const concernsIt = include === undefined || include.some((id) => (parseDomainItemId(id)?.domainId ?? profileDomainId) === profileDomainId);
      if (concernsIt) {
        parts.push({ target, include: include === undefined ? undefined : [...include] });
      }
    }
    // Run All (no include) runs everything in the tree: every other domain node too, each against its domain.
    const named = include === undefined ? [...this.domains.keys()] : include.map((id) => parseDomainItemId(id)?.domainId);
    const others = new Set(named.filter((id): id is string => id !== undefined && id !== profileDomainId));
    for (const domainId of others) {
      const entry = this.domains.get(domainId);
      if (entry) {
        parts.push({ target: entry.target, include: include === undefined ? undefined : include.filter((id) => parseDomainItemId(id)?.domainId === domainId) });
      }
    }
    return parts;
  }

  /** One host target: the catalogue tests at the top of the tree, as before domain targets. */
  private async runHost(
    run: vscode.TestRun,
    target: Target,
    selection: RunSelection,
    confirmByDelivery: boolean,
    delivery: PreparedDelivery,
    token: vscode.CancellationToken,
    signal: AbortSignal,
  ): Promise<void> {
    const catcherSpec = delivery.plan.spec;
    const states: Record<string, TestItemState> = {};
    const startedAt = Date.now();
    const history = new OutcomeHistory(this.lab.extension.workspaceState);
    // Read before this run is recorded: each finished test is marked at once when its outcome changed.
    const lastOutcomes = { target: `${target.label} (${describeTarget(target)})`, outcomes: history.previous(target) };
    try {
      for (const id of selection.testIds) {
        const item = this.itemFor(id);
        if (item) {
          run.enqueued(item);
        }
      }
      run.appendOutput(
        runIntroduction({ targetLabel: target.label, ...selection, confirmByDelivery, ...(catcherSpec ? { catcher: describeCatcherSpec(catcherSpec) } : {}) }),
      );
      const record = await runRelayTestsInWindow(this.lab, {
        target,
        testIds: selection.testIds,
        confirmByDelivery,
        source: 'Test Explorer',
        delivery,
        hooks: {
          signal,
          onEvent: (event) => run.appendOutput(transcriptOutputLine(event, startedAt)),
          onTestStarted: (test) => {
            const item = this.itemFor(test.id);
            if (item) {
              run.started(item);
            }
          },
          onTestFinished: (result) => {
            // With a catcher, a test is settled only by what arrives after the tests: reported below.
            if (!catcherSpec) {
              states[result.id] = this.report(run, this.itemFor(result.id), result, token.isCancellationRequested, lastOutcomes);
            }
          },
        },
      });
      if (catcherSpec) {
        for (const result of record.report.tests) {
          states[result.id] = this.report(run, this.itemFor(result.id), result, token.isCancellationRequested, lastOutcomes);
        }
      }
      run.appendOutput(verdictOutput(record.report));
      if (!token.isCancellationRequested) {
        run.appendOutput(await history.recordAndDescribe(target, record.report));
      }
      if (!token.isCancellationRequested) {
        this.lab.relayVerdicts.publish({ ...record, testItems: states });
      }
    } catch (error) {
      // The runner rejects only for unknown test ids; anything else is a bug worth showing where it happened.
      this.lab.log.error('Test Explorer relay run failed', error);
      const message = new vscode.TestMessage(`The run failed: ${describeError(error)}`);
      for (const id of selection.testIds) {
        const item = this.itemFor(id);
        if (item && states[id] === undefined) {
          run.errored(item, message);
        }
      }
    }
  }

  /**
   * A mail-domain target (issue 10 §3): resolved now, then every planned address tested by the CLI's domain
   * run; each test reports on its item under its address, each address node takes its verdict, and the
   * domain node the worst of them (when every address ran). A DNS failure is the domain node's error.
   */
  private async runDomainPart(
    run: vscode.TestRun,
    target: Target,
    include: readonly string[] | undefined,
    exclude: readonly string[],
    confirmByDelivery: boolean,
    delivery: PreparedDelivery,
    token: vscode.CancellationToken,
    signal: AbortSignal,
  ): Promise<void> {
    const domain = target.mailDomain?.domain ?? target.host;
    const domainItem = this.domainNodeFor(target);
    const domainId = domainItem.id;
    const resolver = target.mailDomain?.resolver;
    run.appendOutput(asOutput(`=== Looking up the mail servers of ${domain}${resolver ? ` (DNS server ${resolver})` : ''}\n`));
    const tree = await this.resolveDomain(domainItem);
    if (!tree || token.isCancellationRequested) {
      return;
    }
    if (tree.kind === 'failed') {
      run.errored(domainItem, new vscode.TestMessage(tree.error));
      run.appendOutput(asOutput(`*** ${tree.error}\n`));
      this.domainRunEmitter.fire({ domain, error: tree.error, wholeDomain: false, testItems: {}, addressStates: {} });
      return;
    }
    const plan = planDomainRun(tree, domainId, include, exclude);
    if (plan.selections.size === 0) {
      return;
    }
    const addressItems = new Map<string, vscode.TestItem>();
    for (const [address, selection] of plan.selections) {
      const addressItem = domainItem.children.get(addressNodeId(domainId, address));
      if (!addressItem) {
        continue;
      }
      addressItems.set(address, addressItem);
      this.addGroupItems(addressItem.children, addressItem.id);
      testGroupNodes.forEach((node) => {
        const group = addressItem.children.get(addressChildId(addressItem.id, node.id));
        if (group) {
          this.addTestItems(group, node, addressItem.id);
        }
      });
      for (const id of selection.testIds) {
        const item = this.domainTestItem(addressItem, id);
        if (item) {
          run.enqueued(item);
        }
      }
    }
    const resolution = plan.wholeDomain
      ? tree.resolution
      : { ...tree.resolution, addresses: tree.resolution.addresses.filter((host) => plan.selections.has(host.address)), problems: [] };
    const [first] = plan.selections.values();
    run.appendOutput(
      runIntroduction({ targetLabel: `${target.label}, at ${[...plan.selections.keys()].join(', ')} (port ${target.port})`, testIds: first!.testIds, controlAdded: first!.controlAdded, confirmByDelivery }),
    );
    if (delivery.plan.spec) {
      // Addresses run side by side, and one catcher cannot serve them all: the sender setting still applies.
      run.appendOutput(asOutput('=== The catcher (relay.catcher) is not used for a mail domain: run one address as a host target to confirm with it.\n'));
    }
    const startedAt = Date.now();
    const testItems: Record<string, Record<string, TestItemState>> = {};
    const record = await runDomainInWindow(this.lab, {
      target,
      resolution,
      testIdsFor: (address) => plan.selections.get(address)?.testIds ?? [],
      confirmByDelivery,
      delivery,
      source: 'Test Explorer',
      signal,
      hooksFor: (host) => {
        const addressItem = addressItems.get(host.address);
        const states: Record<string, TestItemState> = (testItems[host.address] = {});
        return {
          // Addresses run side by side: each line says which one it is from.
          onEvent: (event) => run.appendOutput(`[${host.address}] ${transcriptOutputLine(event, startedAt)}`),
          onTestStarted: (test) => {
            const item = addressItem && this.domainTestItem(addressItem, test.id);
            if (item) {
              run.started(item);
            }
          },
          onTestFinished: (result) => {
            states[result.id] = this.report(run, addressItem && this.domainTestItem(addressItem, result.id), result, token.isCancellationRequested);
          },
        };
      },
    });
    run.appendOutput(asOutput(`\n${renderDomainReport(record.report, (host) => renderRelayReport(host))}`));
    if (token.isCancellationRequested) {
      return;
    }
    // "Show Relay Verdict" shows this domain run, as it shows a host's.
    this.lab.relayVerdicts.publishDomain(record);
    const addressStates: Record<string, VerdictNodeState> = {};
    for (const host of record.report.hosts) {
      const node = tree.addresses.find((candidate) => candidate.address === host.address);
      const item = host.address === null ? undefined : addressItems.get(host.address);
      if (!node || !item) {
        continue;
      }
      const state = addressNodeState(host);
      addressStates[node.address] = state;
      item.description = `${node.description} · ${host.verdict}`;
      markNode(run, item, state);
    }
    let domainState: VerdictNodeState | undefined;
    if (plan.wholeDomain) {
      domainState = domainNodeState(domain, record.report.verdict, record.report.hosts);
      domainItem.description = `${domainNodeLabel(target).description} · ${record.report.verdict} (worst of ${record.report.hosts.length})`;
      markNode(run, domainItem, domainState);
    }
    this.domainRunEmitter.fire({
      domain,
      report: record.report,
      wholeDomain: plan.wholeDomain,
      testItems,
      addressStates,
      ...(domainState ? { domainState } : {}),
    });
  }

  /** The test item "kb1" under an address node (inside its group). */
  private domainTestItem(addressItem: vscode.TestItem, testId: string): vscode.TestItem | undefined {
    const test = relayCatalogue.find((candidate) => candidate.id === testId);
    const group = testGroupNodes.find((node) => node.group === test?.group);
    return group ? addressItem.children.get(addressChildId(addressItem.id, group.id))?.children.get(addressChildId(addressItem.id, testId)) : undefined;
  }

  /**
   * The test's state, and its mark when its outcome differs from the last run against the same target: the
   * item's description in the tree ("kb1 · changed: passed -> failed"), a line in its output and, when it
   * failed or errored, a second message beside the failure (a passed test takes no message).
   */
  private report(
    run: vscode.TestRun,
    item: vscode.TestItem | undefined,
    result: RelayTestResult,
    cancelled: boolean,
    last?: { target: string; outcomes: Readonly<Record<string, string>> | undefined },
  ): TestItemState {
    // A domain's addresses keep no history of their own (yet): their tests carry no change mark.
    const change = cancelled || !last ? undefined : outcomeChangeOf(last.outcomes, result.id, result.outcome);
    const changeMessage = change && last && changedItemMessage(last.target, change);
    const state: TestItemState = { ...testItemStateFor(result, { cancelled }), ...(changeMessage ? { change: changeMessage } : {}) };
    if (!item) {
      return state;
    }
    item.description = change ? changedItemDescription(change) : result.id;
    run.appendOutput(testResultOutput(result), undefined, item);
    if (changeMessage) {
      run.appendOutput(asOutput(`    ${changeMessage}\n`), undefined, item);
    }
    const changeMessages = changeMessage ? [new vscode.TestMessage(changeMessage)] : [];
    switch (state.state) {
      case 'passed':
        if (state.note) {
          run.appendOutput(asOutput(`    note:   ${state.note}\n`), undefined, item);
        }
        run.passed(item, result.durationMs);
        break;
      case 'failed':
        run.failed(item, [vscode.TestMessage.diff(state.message, state.expected, state.actual), ...changeMessages], result.durationMs);
        break;
      case 'skipped':
        run.skipped(item);
        break;
      case 'errored':
        run.errored(item, [new vscode.TestMessage(state.message), ...changeMessages], result.durationMs);
        break;
    }
    return state;
  }
}

/** An address's or a domain's verdict on its node. */
function markNode(run: vscode.TestRun, item: vscode.TestItem, state: VerdictNodeState): void {
  switch (state.state) {
    case 'passed':
      run.passed(item);
      break;
    case 'failed':
      run.failed(item, new vscode.TestMessage(state.message));
      break;
    case 'skipped':
      run.skipped(item);
      break;
    case 'errored':
      run.errored(item, new vscode.TestMessage(state.message));
      break;
  }
}

function snapshotOf(item: vscode.TestItem): TestItemSnapshot {
  const children: TestItemSnapshot[] = [];
  item.children.forEach((child) => children.push(snapshotOf(child)));
  children.sort((a, b) => a.id.localeCompare(b.id));
  return {
    id: item.id,
    label: item.label,
    ...(item.description !== undefined ? { description: item.description } : {}),
    ...(item.error !== undefined ? { error: typeof item.error === 'string' ? item.error : item.error.value } : {}),
    children,
  };
}

/** The Test Explorer face: registered at activation, but its items only exist once VS Code asks for them. */
export function registerTestExplorer(lab: LabContext): vscode.Disposable {
  const explorer = new RelayTestExplorer(lab);
  lab.testExplorer = explorer;
  return explorer;
}

/** " as 203.0.113.9": a profile whose target is tested as another client (XCLIENT) says so. */
function asClientSuffix(target: Target): string {
  return target.asClient === undefined ? '' : asClientProblem(target) === undefined ? ` as ${target.asClient}` : ' (asClient invalid)';
}
