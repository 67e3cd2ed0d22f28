import { describeRecord, verdictSummary } from '../../core/relayReport';
import type { RelayTestOutcome, RelayTestResult, RelayVerdict } from '../../core/relayTypes';
import { describeTarget } from '../../core/sessionOptions';
import type { RelayVerdictRecord } from './relayVerdictRecord';

/**
 * The verdict document of "Show Relay Verdict", in Markdown: the verdict, the warnings right under it (a
 * relayed test may only mean the client is inside the server's trusted networks), one table row per test,
 * then each test's addresses, replies and reason. Server text is wire text from a stranger, so it is
 * always put in code spans or escaped, never read as Markdown.
 */

const verdictHeadings: Record<RelayVerdict, string> = {
  closed: 'Closed: not an open relay',
  open: 'OPEN RELAY',
  inconclusive: 'Inconclusive',
};

export const outcomeLabels: Record<RelayTestOutcome, string> = {
  passed: 'passed',
  failed: '**FAILED: relayed**',
  'needs-confirmation': 'NDR-pending: confirm',
  inconclusive: 'inconclusive',
  error: 'error: not completed',
};

export function renderVerdictMarkdown(record: RelayVerdictRecord): string {
  const { report, target } = record;
  const lines: string[] = [];
  lines.push(`# Relay verdict: ${verdictHeadings[report.verdict]}`, '');
  lines.push(escapeMarkdown(verdictSummary(report)), '');
  const when = new Date(report.startedAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const address = inlineCode(describeTarget(report.target));
  const where = target.label === describeTarget(report.target) ? address : `${escapeMarkdown(target.label)} at ${address}`;
  const count = `${report.tests.length} test${report.tests.length === 1 ? '' : 's'}`;
  lines.push(
    `**Target:** ${where} · ${count} from the ${record.source} · started ${when} · ${(report.durationMs / 1000).toFixed(1)} s`,
    '',
  );

  if (report.warnings.length > 0) {
    lines.push('## Warnings', '');
    for (const warning of report.warnings) {
      lines.push(`- ⚠ ${escapeMarkdown(warning)}`);
    }
    lines.push('');
  }

  lines.push('## Tests', '', '| Test | Outcome | Deciding reply |', '| --- | --- | --- |');
  for (const test of report.tests) {
    const deciding = test.replies.at(-1);
    const reply = deciding ? inlineCode(`${deciding.code}${deciding.enhanced ? ` ${deciding.enhanced}` : ''} ${firstLine(deciding.text)}`.trim()) : '';
    lines.push(`| ${tableCell(`**${test.id}** ${escapeMarkdown(test.title)}`)} | ${outcomeLabels[test.outcome]} | ${tableCell(reply)} |`);
  }
  lines.push('');

  lines.push('## Details', '');
  for (const test of report.tests) {
    lines.push(...testDetails(test));
  }
  lines.push(
    '---',
    '',
    'The transcript of this run holds every line both sides sent. Keep it with the ticket: ' +
      '**SMTP: Show Relay Verdict** offers *Save Transcript*.',
    '',
  );
  return lines.join('\n');
}

function testDetails(test: RelayTestResult): string[] {
  const lines = [`### ${escapeMarkdown(test.id)}: ${escapeMarkdown(test.title)}`, ''];
  lines.push(`Outcome: ${outcomeLabels[test.outcome]}`, '');
  lines.push(`- Sent: ${inlineCode(`MAIL FROM:${test.mailFrom}`)}, ${inlineCode(`RCPT TO:${test.rcptTo}`)}`);
  for (const record of test.replies) {
    lines.push(`- Reply: ${inlineCode(describeRecord(record))} (${escapeMarkdown(record.class)})`);
  }
  lines.push(`- Why: ${escapeMarkdown(test.reason)}`, '');
  return lines;
}

/** What the document says before any run. */
export function renderNoVerdictMarkdown(): string {
  return [
    '# Relay verdict: none yet',
    '',
    'No relay tests have run in this window. Run them with **SMTP: Run Relay Suite**, from the Testing view ' +
      '(the *SMTP Relay Tests* tree), or with `/test` in a session terminal, against your server or the practice server. ' +
      'The verdict shows here when they finish.',
    '',
  ].join('\n');
}

/** A code span that holds any text: a fence longer than the longest run of backticks inside. */
export function inlineCode(text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const padded = text.startsWith('`') || text.endsWith('`') ? ` ${text} ` : text;
  return `${fence}${padded}${fence}`;
}

/**
 * Plain text in Markdown: characters that start inline markup (emphasis, links, HTML, entities, code) are
 * backslash-escaped everywhere, and what would start a block (a heading, a list, a quote) at the start.
 */
export function escapeMarkdown(text: string): string {
  const inline = text.replace(/[\\`*_[\]<>|~&]/g, (character) => `\\${character}`);
  return inline.replace(/^(\s*)([#>+-]|\d+(?=[.)]))/, (_match, space: string, start: string) =>
    /^\d/.test(start) ? `${space}${start}\\` : `${space}\\${start}`,
  );
}

/** A table cell cannot hold an unescaped "|" (not even in a code span) or a line break. */
function tableCell(markdown: string): string {
  return markdown.replace(/(?<!\\)\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
