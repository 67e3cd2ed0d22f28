/**
 * The `.smtp` snippets of the relay tests, built from the catalogue so that they cannot drift from what the
 * runner sends: one per test (prefix = the test id) and `kb-suite`, the whole KB run as a file.
 * scripts/generate-snippets.ts writes them to snippets/smtp.json; test/unit/snippets.test.ts checks that
 * the committed file is what this module builds now. No `vscode` here.
 */
import { relayCatalogue, selectRelayTests, snippetTemplate } from '../../core/relayCatalogue';
import type { RelayTestDefinition } from '../../core/relayTypes';
import { targetDefaults } from '../target';
import { snippetPlaceholderValues, type SnippetPlaceholderName } from './snippetPlaceholders';

/** One entry of a VS Code snippets file. */
export interface SnippetDefinition {
  prefix: string;
  description: string;
  body: string[];
}

export const suiteSnippetPrefix = 'kb-suite';

/** VS Code snippet syntax gives "$", "}" and "\" a meaning: literal ones are escaped. */
function literal(text: string): string {
  return text.replace(/[\\$}]/g, (character) => `\\${character}`);
}

/** A tab stop not escaped by a backslash: `${2:remote_domain}`. */
const tabStopPattern = /(?<!\\)\$\{(\d+):([^}]*)\}/g;

/**
 * Gives every tab stop the number its name has in `numbers` (adding names in the order first met), so that
 * one name is one tab stop across several templates: typing the remote domain once fills every test. With
 * `prefill`, a placeholder offers the variable that holds its value (`{{$target.localDomain}}`: the file's
 * `# @local-domain`, the target's settings or what the server said), so accepting the snippet as offered
 * sends real values; a name left as written is refused before sending (snippetPlaceholders.ts).
 */
function renumbered(lines: readonly string[], numbers: Map<string, number>, prefill: boolean): string[] {
  return lines.map((line) =>
    line.replace(tabStopPattern, (_tabStop, _number: string, name: string) => {
      const key = prefill ? name : `directive ${name}`;
      if (!numbers.has(key)) {
        numbers.set(key, numbers.size + 1);
      }
      const offered = prefill && name in snippetPlaceholderValues ? literal(snippetPlaceholderValues[name as SnippetPlaceholderName]) : name;
      return `\${${numbers.get(key)}:${offered}}`;
    }),
  );
}

/**
 * What the RCPT of a test must get from a closed server, as `# @expect`: the control a 2xx (a working server
 * takes ordinary inbound mail); every other test a rejection, or an acceptance for local delivery only
 * (NDR-pending, KB tests 6 and 7). A relayed acceptance meets neither.
 */
export function closedServerExpectation(test: RelayTestDefinition): string {
  return test.group === 'control' ? '2xx' : 'rejection|ndr-pending';
}

/**
 * `### <title> (<id>)`, a comment saying what a closed server answers, then RSET, MAIL FROM, and RCPT TO
 * with the `# @expect` a closed server meets.
 */
function testBlock(test: RelayTestDefinition, numbers: Map<string, number>): string[] {
  const lines = renumbered(snippetTemplate(test), numbers, true);
  return [
    literal(`### ${test.title} (${test.id})`),
    literal(`# A closed server ${test.closedServerAnswers}`),
    ...lines.slice(0, -1),
    literal(`# @expect ${closedServerExpectation(test)}`),
    ...lines.slice(-1),
  ];
}

function testSnippet(test: RelayTestDefinition): SnippetDefinition {
  return {
    prefix: test.id,
    description: `${test.title}. ${test.probes} A closed server ${test.closedServerAnswers}.`,
    body: [...testBlock(test, new Map()), '$0'],
  };
}

/** The KB run as a file: where to connect, EHLO, the control and the seven tests as blocks, QUIT. */
function suiteSnippet(): SnippetDefinition {
  const numbers = new Map<string, number>();
  const header = renumbered(
    [
      '# KB 304897 relay tests: "Run file", or "Send" block by block. No DATA is sent.',
      '# @target ${1:server_ip}:${2:25}',
      '# @local-domain ${3:local_domain}',
      '',
      '### EHLO',
      `EHLO \${4:${targetDefaults.heloName}}`,
    ],
    numbers,
    false,
  );
  const tests = selectRelayTests('kb').flatMap((test) => ['', ...testBlock(test, numbers)]);
  return {
    prefix: suiteSnippetPrefix,
    description:
      'The whole KB 304897 suite as a .smtp file: EHLO, the positive control (a local recipient a working server ' +
      'must accept) and the seven relay tests, one block each, then QUIT.',
    body: [...header, ...tests, '', '### end', 'QUIT', '$0'],
  };
}

/** Every snippet, keyed by the name VS Code shows: one per catalogue test, in run order, then the suite. */
export function buildRelaySnippets(): Record<string, SnippetDefinition> {
  const snippets: Record<string, SnippetDefinition> = {};
  for (const test of relayCatalogue) {
    snippets[`${test.title} (${test.id})`] = testSnippet(test);
  }
  snippets['KB 304897 suite (kb-suite)'] = suiteSnippet();
  return snippets;
}

/** The text of snippets/smtp.json, exactly as committed. */
export function relaySnippetsFileText(): string {
  return JSON.stringify(buildRelaySnippets(), null, 2) + '\n';
}
