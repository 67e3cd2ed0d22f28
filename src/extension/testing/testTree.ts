import { controlTestId, relayCatalogue } from '../../core/relay/relayCatalogue';
import type { RelayTestDefinition, RelayTestGroup } from '../../core/relay/relayTypes';

/**
 * The shape of the Test Explorer tree, without `vscode`: three groups, one item per catalogue test, and
 * which tests a run request names. Test items use the catalogue ids ("kb1"); group items use "group:<group>",
 * which no catalogue id can be (ids have no colon).
 */

export interface TestGroupNode {
  id: string;
  group: RelayTestGroup;
  label: string;
  description: string;
}

export const testGroupNodes: readonly TestGroupNode[] = [
  { id: 'group:kb', group: 'kb', label: 'KB 304897 tests', description: 'the seven tests of the KB' },
  { id: 'group:control', group: 'control', label: 'Control', description: 'a local recipient a working server accepts' },
  { id: 'group:extended', group: 'extended', label: 'Extended variants', description: 'from the nmap and Metasploit lists' },
];

export function groupNodeById(id: string): TestGroupNode | undefined {
  return testGroupNodes.find((node) => node.id === id);
}

export function testsInGroup(group: RelayTestGroup): RelayTestDefinition[] {
  return relayCatalogue.filter((test) => test.group === group);
}

/** Keeps the catalogue's order (the control, then kb1..kb7, then the variants) instead of sorting by label. */
export function sortTextFor(test: RelayTestDefinition): string {
  return String(relayCatalogue.indexOf(test)).padStart(3, '0');
}

export interface RunSelection {
  /** Test ids in catalogue order, the control first. */
  testIds: string[];
  /** True when the control was not asked for but runs because relay tests were. */
  controlAdded: boolean;
}

/**
 * The tests a run request names. `include` undefined means every test. Groups stand for their tests, and
 * ids the catalogue does not know (an item left over from an older version) are ignored.
 *
 * The control is added whenever a relay test runs, even when the request excluded it (a filtered tree
 * sends hidden items as exclusions): without it a server that refuses everything would look closed.
 */
export function selectTestsForRun(include: readonly string[] | undefined, exclude: readonly string[] = []): RunSelection {
  const included = include === undefined ? new Set(relayCatalogue.map((test) => test.id)) : expand(include);
  const excluded = expand(exclude);
  const chosen = relayCatalogue.filter((test) => included.has(test.id) && !excluded.has(test.id));
  const hasRelayTest = chosen.some((test) => test.group !== 'control');
  const hasControl = chosen.some((test) => test.id === controlTestId);
  const controlAdded = hasRelayTest && !hasControl;
  const testIds = chosen.map((test) => test.id);
  return { testIds: controlAdded ? [controlTestId, ...testIds] : testIds, controlAdded };
}

function expand(ids: readonly string[]): Set<string> {
  const expanded = new Set<string>();
  for (const id of ids) {
    const group = groupNodeById(id);
    if (group) {
      testsInGroup(group.group).forEach((test) => expanded.add(test.id));
    } else if (relayCatalogue.some((test) => test.id === id)) {
      expanded.add(id);
    }
  }
  return expanded;
}
