import { displayText } from '../../core/protocol/displayText';
import { describeArrival, describeRecord, durationFigure, verdictSummary } from '../../core/relay/relayReport';
import type { RelayReport, RelayTestOutcome, RelayTestResult, RelayVerdict } from '../../core/relay/relayTypes';
import { describeTarget } from '../../core/protocol/sessionOptions';
import type { DomainVerdictRecord, RelayVerdictRecord } from './relayVerdictRecord';

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

/** The heading of a run whose relay tests were all refused but whose control never ran. */
export const unconfirmedHeading = 'Not confirmed: no control test ran';

/**
 * How long the run took. A suite run (Test Explorer, Run Relay Suite) is timed from start to end. The terminal's
 * tests (and the walkthrough's buttons) run one at a time as the user asks: their figure is the tests' own time,
 * and beside it the span from the first test to the end of the last, the time the user saw pass (issue 9: a
 * walkthrough clicked over minutes read "0.0 s", the few milliseconds its tests took on the wire).
 */
export function durationText(report: Pick<RelayReport, 'durationMs' | 'elapsedMs'>, source: RelayVerdictRecord['source']): string {
  const figure = durationFigure(report.durationMs);
  if (source !== 'session terminal') {
    return figure;
  }
  const elapsed = report.elapsedMs;
  if (elapsed !== undefined && Math.round(elapsed) > Math.round(report.durationMs)) {
    return `${figure} of test time, over ${durationFigure(elapsed)} from the first test to the end of the last (the pauses between the terminal's tests are not test time)`;
  }
  return `${figure} of test time (pauses between the terminal's tests not counted)`;
}

export const outcomeLabels: Record<RelayTestOutcome, string> = {
  passed: 'passed',
  failed: '**FAILED: relayed**',
  'needs-confirmation': 'NDR-pending: confirm',
  inconclusive: 'inconclusive',
  error: 'error: not completed',
};

/**
 * `headingLevel` is the level of the verdict's own heading (its sections one deeper): a mail domain's page
 * puts each address's document under its own heading, without the closing word on transcripts (`footer`).
 */
export function renderVerdictMarkdown(record: RelayVerdictRecord, options: { headingLevel?: number; footer?: boolean } = {}): string {
  const { report, target } = record;
  const lines: string[] = [];
  const h1 = '#'.repeat(options.headingLevel ?? 1);
  const h2 = `${h1}#`;
  const unconfirmed = report.verdict === 'closed' && !report.tests.some((test) => test.group === 'control');
  if (unconfirmed) {
    // "Closed" needs the control: a server that refuses everything refuses the relay tests too.
    lines.push(`${h1} Relay verdict: ${unconfirmedHeading}`, '');
    lines.push(
      'Every relay test was refused, but the control (a local recipient the server must accept) has not run, so a ' +
        'server that refuses everything would read the same. Run the control (`/test control` in the terminal, or ' +
        'the walkthrough\'s control step) to turn this into a verdict.',
      '',
    );
  } else {
    lines.push(`${h1} Relay verdict: ${verdictHeadings[report.verdict]}`, '');
    lines.push(escapeMarkdown(verdictSummary(report)), '');
  }
  const when = new Date(report.startedAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const address = inlineCode(describeTarget(report.target));
  const named = target.label === describeTarget(report.target) ? address : `${escapeMarkdown(target.label)} at ${address}`;
  // Tested as another client through XCLIENT: the verdict is about that client, not this machine.
  const where = report.target.asClient === undefined ? named : `${named} as client ${inlineCode(report.target.asClient)} (XCLIENT)`;
  const count = `${report.tests.length} test${report.tests.length === 1 ? '' : 's'}`;
  lines.push(
    `**Target:** ${where} · ${count} from the ${record.source} · started ${when} · ${durationText(report, record.source)}`,
    '',
  );

  if (report.warnings.length > 0) {
    lines.push(`${h2} Warnings`, '');
    for (const warning of report.warnings) {
      lines.push(`- ⚠ ${escapeMarkdown(warning)}`);
    }
    lines.push('');
  }

  lines.push(`${h2} Tests`, '', '| Test | Outcome | Deciding reply |', '| --- | --- | --- |');
  for (const test of report.tests) {
    const deciding = test.replies.at(-1);
    const reply = deciding ? inlineCode(`${deciding.code}${deciding.enhanced ? ` ${deciding.enhanced}` : ''} ${firstLine(deciding.text)}`.trim()) : '';
    lines.push(`| ${tableCell(`**${test.id}** ${escapeMarkdown(test.title)}`)} | ${outcomeLabels[test.outcome]} | ${tableCell(reply)} |`);
  }
  lines.push('');

  lines.push(`${h2} Details`, '');
  for (const test of report.tests) {
    lines.push(...testDetails(test, `${h2}#`));
  }
  if (options.footer === false) {
    return lines.join('\n');
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

const hostVerdictLabels: Record<RelayVerdict | 'error', string> = {
  open: '**OPEN RELAY**',
  inconclusive: 'inconclusive',
  closed: 'closed',
  error: 'error: not tested (counts as inconclusive)',
};

/**
 * A mail domain's verdict document: the worst of its addresses, the domain's warnings, one table row per
 * address (MX names, preference, address, port, verdict), then each address that is not closed under its own
 * heading, with its tests as a host's document shows them (renderVerdictMarkdown, one level deeper).
 */
export function renderDomainVerdictMarkdown(record: DomainVerdictRecord): string {
  const { report } = record;
  const count = `${report.hosts.length} address${report.hosts.length === 1 ? '' : 'es'}`;
  const lines = [`# Relay verdict for the mail domain ${inlineCode(report.domain)}: ${verdictHeadings[report.verdict]}`, ''];
  lines.push(
    `The worst of its ${count}: open beats inconclusive beats closed, and an address that could not be tested counts as inconclusive.`,
    '',
  );
  const when = new Date(record.startedAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const found = report.source === 'mx' ? 'of its MX hosts' : 'no MX records: its own address';
  lines.push(`**Target:** ${escapeMarkdown(record.target.label)} · ${count} (${found}) from the ${record.source} · started ${when}`, '');

  if (report.warnings.length > 0) {
    lines.push('## Warnings', '');
    for (const warning of report.warnings) {
      lines.push(`- ⚠ ${escapeMarkdown(warning)}`);
    }
    lines.push('');
  }

  lines.push('## Hosts', '', '| MX names | Preference | Address | Port | Verdict |', '| --- | --- | --- | --- | --- |');
  for (const host of report.hosts) {
    const names = host.names.map((name) => inlineCode(name)).join(', ');
    const address = host.address === null ? 'none' : inlineCode(host.address);
    lines.push(`| ${tableCell(names)} | ${host.preference} | ${tableCell(address)} | ${host.port} | ${hostVerdictLabels[host.verdict]} |`);
  }
  lines.push('');

  for (const host of report.hosts.filter((candidate) => candidate.verdict !== 'closed')) {
    const where = host.address ?? host.names[0] ?? '';
    lines.push(`## ${escapeMarkdown(where)} (${escapeMarkdown(host.names.join(', '))}): ${hostVerdictLabels[host.verdict]}`, '');
    const hostRecord = host.address === null ? undefined : record.records.get(host.address);
    if (host.verdict === 'error' || !hostRecord) {
      lines.push(`Not tested: ${escapeMarkdown(host.problem ?? 'no run was recorded for this address')}.`, '');
      continue;
    }
    lines.push(renderVerdictMarkdown(hostRecord, { headingLevel: 3, footer: false }));
  }
  lines.push(
    '---',
    '',
    "A mail domain's transcripts are per address: **SMTP: Show Relay Verdict** offers *Save Transcripts*, one " +
      '.smtp-transcript file per address tested, into a folder you choose. Each address is also a recording of its ' +
      `own in this window ("${record.source}: <the address's MX name>"), which **SMTP: Save Transcript** saves.`,
    '',
  );
  return lines.join('\n');
}

function testDetails(test: RelayTestResult, heading: string): string[] {
  const lines = [`${heading} ${escapeMarkdown(test.id)}: ${escapeMarkdown(test.title)}`, ''];
  lines.push(`Outcome: ${outcomeLabels[test.outcome]}`, '');
  lines.push(`- Sent: ${inlineCode(`MAIL FROM:${test.mailFrom}`)}, ${inlineCode(`RCPT TO:${test.rcptTo}`)}`);
  for (const record of test.replies) {
    lines.push(`- Reply: ${inlineCode(describeRecord(record))} (${escapeMarkdown(record.class)})`);
  }
  lines.push(`- Why: ${escapeMarkdown(test.reason)}`);
  if (test.confirmation) {
    lines.push(`- Arrived: ${escapeMarkdown(describeArrival(test.confirmation))}`);
  }
  lines.push('');
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
export function inlineCode(serverText: string): string {
  // Server text: shown escaped (core/displayText.ts); a reduce, not Math.max(...runs), which overflows the stack on many runs.
  const text = displayText(serverText);
  const longestRun = (text.match(/`+/g) ?? []).reduce((longest, run) => Math.max(longest, run.length), 0);
  const fence = '`'.repeat(longestRun + 1);
  const padded = text.startsWith('`') || text.endsWith('`') ? ` ${text} ` : text;
  return `${fence}${padded}${fence}`;
}

/**
 * Plain text in Markdown: characters that start inline markup (emphasis, links, HTML, entities, code) are
 * backslash-escaped everywhere, and what would start a block (a heading, a list, a quote) at the start.
 */
export function escapeMarkdown(text: string): string {
  const inline = displayText(text).replace(/[\\`*_[\]<>|~&]/g, (character) => `\\${character}`);
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
