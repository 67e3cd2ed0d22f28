import type * as vscode from 'vscode';
import { describeOutcomeChanges, outcomeChanges, type OutcomeChange } from '../../core/relay/outcomeChanges';
import type { RelayReport } from '../../core/relay/relayTypes';
import { describeTarget } from '../../core/protocol/sessionOptions';
import type { Target } from '../target';
import { targetIdentity } from '../target';
import { asOutput } from './testResultMapping';

const keyPrefix = 'smtpRelayLab.lastOutcomes:';

/**
 * The Test Explorer's memory of each target's last outcomes (workspace state), so that a run can say which
 * tests changed outcome since the one before it against the same target.
 */
export class OutcomeHistory {
  constructor(private readonly workspaceState: vscode.Memento) {}

  /** Each test's outcome in the last run against the target that ran it, before this run is recorded. */
  previous(target: Target): Readonly<Record<string, string>> | undefined {
    return this.workspaceState.get<Record<string, string>>(keyOf(target));
  }

  /** Stores this run's outcomes and returns what changed since the last run against the target. */
  async record(target: Target, report: RelayReport): Promise<{ changes: OutcomeChange[]; hadPreviousRun: boolean }> {
    const key = keyOf(target);
    const previous = this.previous(target);
    const current = Object.fromEntries(report.tests.map((test) => [test.id, test.outcome]));
    await this.workspaceState.update(key, { ...(previous ?? {}), ...current });
    return { changes: outcomeChanges(previous, current), hadPreviousRun: previous !== undefined };
  }

  /** record(), as lines for the run's output. */
  async recordAndDescribe(target: Target, report: RelayReport): Promise<string> {
    const { changes, hadPreviousRun } = await this.record(target, report);
    return asOutput(`${describeOutcomeChanges(describeTarget(target), changes, hadPreviousRun).join('\n')}\n`);
  }
}

function keyOf(target: Target): string {
  return `${keyPrefix}${targetIdentity(target)}`;
}
