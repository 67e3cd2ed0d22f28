import * as vscode from 'vscode';
import { describeError } from '../../core/protocol/errors';
import { relayCatalogue } from '../../core/relay/relayCatalogue';
import { changedItemDescription, changedItemMessage, outcomeChangeOf } from '../../core/relay/outcomeChanges';
import { describeTarget } from '../../core/protocol/sessionOptions';
import type { RelayTestResult } from '../../core/relay/relayTypes';
import { DisposableStore } from '../disposableStore';
import { testControllerId } from '../ids';
import type { LabContext } from '../labContext';
import { asClientProblem, type Target } from '../target';
import { prepareDelivery, runRelayTestsInWindow } from '../verdict/relayRun';
import { describeCatcherSpec } from '../../core/reach/catcherSpec';
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
export class RelayTestExplorer implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly controller: vscode.TestController;
  private readonly runProfile: vscode.TestRunProfile;
  /** Set once the workbench asked for the tests (the Testing view lists them): Run All reaches them from then on. */
  private readonly listed: Promise<void>;
  private markListed: () => void = () => undefined;
  /** One profile per target in the `targets` setting, remade when the setting changes. */
  private targetProfiles: vscode.TestRunProfile[] = [];

  constructor(private readonly lab: LabContext) {
    this.controller = this.store.add(vscode.tests.createTestController(testControllerId, 'SMTP Relay Tests'));
    this.listed = new Promise((resolve) => (this.markListed = resolve));
    this.controller.resolveHandler = (item) => {
      this.resolve(item);
      if (item === undefined) {
        this.markListed();
      }
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
    lab.settings.targets.onDidChange(() => this.makeTargetProfiles(), this, this.store.listenerArray);
    lab.targets.onDidChangeCurrent(() => this.labelRunProfile(), this, this.store.listenerArray);
    // Results were about the server tested then; another target makes them, and their changed-outcome marks, stale.
    lab.targets.onDidChangeCurrent(
      () => {
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

  private resolve(item: vscode.TestItem | undefined): void {
    if (item === undefined) {
      this.addGroups();
      return;
    }
    const group = groupNodeById(item.id);
    if (group && item.children.size === 0) {
      item.children.replace(
        testsInGroup(group.group).map((test) => {
          const child = this.controller.createTestItem(test.id, test.title);
          child.description = test.id;
          child.sortText = sortTextFor(test);
          return child;
        }),
      );
    }
  }

  private addGroups(): void {
    testGroupNodes.forEach((node, index) => {
      if (this.controller.items.get(node.id)) {
        return;
      }
      const item = this.controller.createTestItem(node.id, node.label);
      item.description = node.description;
      item.sortText = String(index);
      item.canResolveChildren = true;
      this.controller.items.add(item);
    });
  }

  /** Back to each test's plain description (its id), without "changed: …". */
  private clearChangeMarks(): void {
    this.controller.items.forEach((group) => group.children.forEach((item) => (item.description = item.id)));
  }

  /** A run must reach tests whose group was never expanded. */
  private resolveAll(): void {
    this.addGroups();
    this.controller.items.forEach((group) => this.resolve(group));
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
    const delivery = await prepareDelivery(this.lab, target, confirmByDelivery, mode.delivery);
    if (!delivery) {
      return;
    }
    const catcherSpec = delivery.plan.spec;
    this.resolveAll();
    const selection: RunSelection = selectTestsForRun(
      request.include?.map((item) => item.id),
      request.exclude?.map((item) => item.id),
    );
    if (selection.testIds.length === 0) {
      return;
    }

    const run = this.controller.createTestRun(request, `Relay tests: ${target.label}`);
    const abort = new AbortController();
    const cancellation = token.onCancellationRequested(() => abort.abort());
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
          signal: abort.signal,
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
              states[result.id] = this.report(run, result, token.isCancellationRequested, lastOutcomes);
            }
          },
        },
      });
      if (catcherSpec) {
        for (const result of record.report.tests) {
          states[result.id] = this.report(run, result, token.isCancellationRequested, lastOutcomes);
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
    } finally {
      cancellation.dispose();
      run.end();
    }
  }

  /**
   * The test's state, and its mark when its outcome differs from the last run against the same target: the
   * item's description in the tree ("kb1 · changed: passed -> failed"), a line in its output and, when it
   * failed or errored, a second message beside the failure (a passed test takes no message).
   */
  private report(
    run: vscode.TestRun,
    result: RelayTestResult,
    cancelled: boolean,
    last: { target: string; outcomes: Readonly<Record<string, string>> | undefined },
  ): TestItemState {
    const change = cancelled ? undefined : outcomeChangeOf(last.outcomes, result.id, result.outcome);
    const changeMessage = change && changedItemMessage(last.target, change);
    const state: TestItemState = { ...testItemStateFor(result, { cancelled }), ...(changeMessage ? { change: changeMessage } : {}) };
    const item = this.itemFor(result.id);
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
