/**
 * The terminal's longer answers to meta-commands: /help, /status, /tests, and the outcome of a relay test
 * run in the session. Plain text in, terminal output out.
 */
import type { EhloCapabilities } from '../../core/protocol/capabilities';
import type { RelayTestDefinition, RelayTestOutcome, RelayTestResult, RelayVerdict } from '../../core/relay/relayTypes';
import { testStartNote } from '../../core/relay/testOutcome';
import { metaCommandHelp } from './metaCommands';
import { styled, terminalLines, terminalSafe, type AnsiStyle } from './terminalText';

export function renderHelp(): string {
  const width = Math.max(...metaCommandHelp.map((entry) => entry.usage.length));
  return terminalLines([
    'Type SMTP commands as you would in telnet (EHLO, MAIL FROM:<...>, RCPT TO:<...>, DATA, RSET, QUIT).',
    'After a 354, type the message and end it with a line holding only ".".',
    'Tab completes commands, Up and Down recall earlier lines, Ctrl+C stops a wait (and closes the connection).',
    'Lines starting with "/" are for this terminal:',
    ...metaCommandHelp.map((entry) => `  ${entry.usage.padEnd(width)}  ${styled('dim', entry.summary)}`),
  ]);
}

export interface StatusFacts {
  target: string;
  state: string;
  remoteAddress?: string;
  tls: boolean;
  localDomains: readonly string[];
  localDomainsInferred: boolean;
  capabilities?: EhloCapabilities;
  /** The client address XCLIENT made the server judge this session as. */
  actingAs?: string;
  /** The client address the session should act as (the target's asClient, or the last /xclient), when XCLIENT did not take. */
  wantedActingAs?: string;
}

export function renderStatus(facts: StatusFacts): string {
  const lines = [
    `target:        ${facts.target}${facts.remoteAddress ? ` (${facts.remoteAddress})` : ''}`,
    `connection:    ${facts.state}${facts.tls ? ', inside TLS' : ', no TLS'}`,
    `local domains: ${facts.localDomains.length > 0 ? facts.localDomains.join(', ') : '(none known yet: EHLO helps)'}${
      facts.localDomainsInferred && facts.localDomains.length > 0 ? ' (inferred from the greeting and EHLO)' : ''
    }`,
  ];
  if (facts.actingAs !== undefined) {
    lines.push(`client:        judged as ${facts.actingAs} (XCLIENT)`);
  } else if (facts.wantedActingAs !== undefined) {
    lines.push(`client:        meant to act as ${facts.wantedActingAs}, but XCLIENT did not take: /xclient ${facts.wantedActingAs} tries again`);
  }
  const capabilities = facts.capabilities;
  if (capabilities) {
    const keywords = [...capabilities.keywords.entries()].map(([keyword, parameters]) =>
      parameters.length > 0 ? `${keyword} ${parameters.join(' ')}` : keyword,
    );
    lines.push(`server name:   ${capabilities.domain}`);
    lines.push(`advertised:    ${keywords.length > 0 ? keywords.join(', ') : '(nothing beyond the basics)'}`);
  } else {
    lines.push('advertised:    (unknown until EHLO)');
  }
  return terminalLines(lines.map(terminalSafe));
}

export function renderTestList(tests: readonly RelayTestDefinition[], groups: readonly string[]): string {
  const width = Math.max(...tests.map((test) => test.id.length));
  return terminalLines([
    ...tests.map((test) => `  ${test.id.padEnd(width)}  ${test.title}  ${styled('dim', `(a closed server: ${test.closedServerAnswers})`)}`),
    `Run one with /test <id>, or a group: ${groups.map((group) => `/test ${group}`).join(', ')}.`,
  ]);
}

export const outcomeStyles: Record<RelayTestOutcome, AnsiStyle> = {
  passed: 'green',
  failed: 'boldRed',
  'needs-confirmation': 'magenta',
  inconclusive: 'yellow',
  error: 'red',
};

const outcomeWords: Record<RelayTestOutcome, string> = {
  passed: 'PASSED',
  failed: 'FAILED',
  'needs-confirmation': 'NEEDS CONFIRMATION',
  inconclusive: 'INCONCLUSIVE',
  error: 'ERROR',
};

/**
 * The line that opens a test, so its commands read as one block: the runner records it as an info event
 * (testOutcome.testStartNote), and the screen shows it as the saved transcript does, `=== test kb1: …`.
 */
export function renderTestStart(test: Pick<RelayTestDefinition, 'id' | 'title'>): string {
  return terminalLines([styled('bold', `=== ${terminalSafe(testStartNote(test))}`)]);
}

export function renderTestOutcome(result: RelayTestResult): string {
  return terminalLines([
    `${styled(outcomeStyles[result.outcome], `${result.id} ${outcomeWords[result.outcome]}`)}: ${terminalSafe(result.reason)}`,
  ]);
}

const verdictStyles: Record<RelayVerdict, AnsiStyle> = { closed: 'green', open: 'boldRed', inconclusive: 'yellow' };

/**
 * After a run of several tests: how the tests counted in this terminal (this run's and earlier ones', see
 * sessionRelayResults.ts) ended, the verdict they add up to, and what keeps it honest.
 */
export function renderRunSummary(results: readonly RelayTestResult[], verdict: RelayVerdict, warnings: readonly string[]): string {
  const counts = new Map<RelayTestOutcome, number>();
  for (const result of results) {
    counts.set(result.outcome, (counts.get(result.outcome) ?? 0) + 1);
  }
  const parts = [...counts.entries()].map(([outcome, count]) => styled(outcomeStyles[outcome], `${count} ${outcome}`));
  return terminalLines([
    `${results.length} tests run in this terminal: ${parts.join(', ')}`,
    `verdict: ${styled(verdictStyles[verdict], verdict.toUpperCase())}`,
    ...warnings.map((warning) => styled('yellow', `  ! ${terminalSafe(warning)}`)),
  ]);
}

/** After a single test that joins earlier ones (a walkthrough button): their verdict in one line, warnings left to the report. */
export function renderVerdictSoFar(testCount: number, verdict: RelayVerdict): string {
  return terminalLines([
    `${styled('dim', `verdict of the ${testCount} tests run in this terminal so far:`)} ${styled(verdictStyles[verdict], verdict.toUpperCase())}` +
      styled('dim', ' (SMTP: Show Relay Verdict has the report)'),
  ]);
}
