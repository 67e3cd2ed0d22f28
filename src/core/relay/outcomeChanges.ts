/**
 * Which relay tests changed outcome since the last run against the same target ("kb1: passed -> failed"),
 * for the Test Explorer: the run's output, and the mark on each test that changed. No `vscode` here.
 */
export interface OutcomeChange {
  id: string;
  /** undefined: the test did not run last time. */
  before: string | undefined;
  after: string;
}

/** The tests of `current` whose outcome differs from `previous` (tests that ran only before are not listed). */
export function outcomeChanges(previous: Readonly<Record<string, string>> | undefined, current: Readonly<Record<string, string>>): OutcomeChange[] {
  if (!previous) {
    return [];
  }
  return Object.entries(current)
    .filter(([id, outcome]) => previous[id] !== outcome)
    .map(([id, after]) => ({ id, before: previous[id], after }));
}

/** The change of one test, or undefined when it had this outcome last time too (or there was no last run). */
export function outcomeChangeOf(previous: Readonly<Record<string, string>> | undefined, id: string, outcome: string): OutcomeChange | undefined {
  return outcomeChanges(previous, { [id]: outcome })[0];
}

/** "passed -> failed": a change as the run's output and the test's own mark write it. */
export function describeOutcomeChange(change: OutcomeChange): string {
  return `${change.before ?? 'not run'} -> ${change.after}`;
}

/** The description a changed test item shows in the Test Explorer's tree, after its id: "kb1 · changed: passed -> failed". */
export function changedItemDescription(change: OutcomeChange): string {
  return `${change.id} · changed: ${describeOutcomeChange(change)}`;
}

/** The message on a changed test (its Test Results entry and, when it failed, the peek beside the failure). */
export function changedItemMessage(target: string, change: OutcomeChange): string {
  return `Changed since the last run against ${target}: ${describeOutcomeChange(change)}`;
}

/** One line per change, for a person; a line saying nothing changed when nothing did. */
export function describeOutcomeChanges(target: string, changes: readonly OutcomeChange[], hadPreviousRun: boolean): string[] {
  if (!hadPreviousRun) {
    return [`First run against ${target} here: the next one will say which tests changed outcome.`];
  }
  if (changes.length === 0) {
    return [`No test changed outcome since the last run against ${target}.`];
  }
  return [
    `Changed since the last run against ${target}:`,
    ...changes.map((change) => `  ${change.id}: ${describeOutcomeChange(change)}`),
  ];
}
