/**
 * Which relay tests changed outcome since the last run against the same target ("kb1: passed -> failed"),
 * for the Test Explorer's run output. No `vscode` here.
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
    ...changes.map((change) => `  ${change.id}: ${change.before ?? 'not run'} -> ${change.after}`),
  ];
}
