/**
 * The `.smtp` snippets of the relay tests, built from the catalogue so that they cannot drift from what the
 * runner sends: one per test (prefix = the test id) and `kb-suite`, the whole KB run as a file.
 * scripts/generate-snippets.ts writes them to snippets/smtp.json; test/unit/snippets.test.ts checks that
 * the committed file is what this module builds now. No `vscode` here.
 */
import { relayCatalogue, selectRelayTests } from '../relay/relayCatalogue';
import type { RelayTestDefinition, RelayTestParameters } from '../relay/relayTypes';
import { targetDefaults } from '../relay/target';
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

/** The parameters a snippet asks for, in the order a placeholder is first met; the name is its default text. */
const snippetParameters = [
  { key: 'localUser', sentinel: '\u0001localUser\u0001', name: 'local_user' },
  { key: 'localDomain', sentinel: '\u0001localDomain\u0001', name: 'local_domain' },
  { key: 'remoteUser', sentinel: '\u0001remoteUser\u0001', name: 'remote_user' },
  { key: 'remoteDomain', sentinel: '\u0001remoteDomain\u0001', name: 'remote_domain' },
  { key: 'serverAddress', sentinel: '\u0001serverAddress\u0001', name: 'server_ip' },
  { key: 'serverName', sentinel: '\u0001serverName\u0001', name: 'server_name' },
] as const;

const sentinelParameters: RelayTestParameters = {
  localDomains: [snippetParameters[1].sentinel],
  localUser: snippetParameters[0].sentinel,
  remoteUser: snippetParameters[2].sentinel,
  remoteDomain: snippetParameters[3].sentinel,
  serverAddress: snippetParameters[4].sentinel,
  serverName: snippetParameters[5].sentinel,
  heloName: 'client.example.org',
  addressForm: 'bracketed',
};

/** VS Code snippet syntax gives "$", "}" and "\" a meaning: literal ones are escaped. */
function escapeSnippetText(text: string): string {
  return text.replace(/[\\$}]/g, (character) => `\\${character}`);
}

/**
 * The command lines of a test as a VS Code snippet body: `RSET`, `MAIL FROM:<${1:local_user}@...>`,
 * `RCPT TO:<...>`. Each parameter is one numbered placeholder, numbered in the order first met, and
 * repeated where it recurs, so typing it once fills every place. Deterministic for a given test and form.
 */
export function snippetTemplate(test: RelayTestDefinition, addressForm: RelayTestParameters['addressForm'] = 'bracketed'): string[] {
  const { mailFrom, rcptTo } = test.build({ ...sentinelParameters, addressForm });
  const lines = ['RSET', `MAIL FROM:${mailFrom}`, `RCPT TO:${rcptTo}`];
  const numbers = new Map<string, number>();
  return lines.map((line) =>
    line
      .split(/(\u0001\w+\u0001)/)
      .map((piece) => {
        const match = /^\u0001(\w+)\u0001$/.exec(piece);
        if (!match) {
          return escapeSnippetText(piece);
        }
        const parameter = snippetParameters.find((candidate) => candidate.key === match[1]);
        const name = parameter?.name ?? match[1];
        if (!numbers.has(name)) {
          numbers.set(name, numbers.size + 1);
        }
        return `\${${numbers.get(name)}:${name}}`;
      })
      .join(''),
  );
}
