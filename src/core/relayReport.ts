import { describeTarget } from './sessionOptions';
import type { ClassifiedReplyRecord, RelayReport, RelayTestResult } from './relayTypes';

/**
 * A RelayReport as plain text for a terminal or an output channel: the verdict first, then a table of
 * the tests, then each test with its addresses, the reply that decided it and the reason, then the
 * warnings. Reasons and warnings wrap at the width; commands and replies never do. Lines end with "\n"; a pseudoterminal turns them into "\r\n" itself.
 */

export interface RelayReportTextOptions {
  /** Long reasons and warnings are wrapped at this width (default 100). */
  width?: number;
}

/** One line that says what the run concluded, and why, for a status bar or a notification too. */
export function verdictSummary(report: RelayReport): string {
  const relayTests = report.tests.filter((test) => test.group !== 'control');
  const idsWith = (outcome: RelayTestResult['outcome']): string[] =>
    relayTests.filter((test) => test.outcome === outcome).map((test) => test.id);
  const failed = idsWith('failed');
  const pending = idsWith('needs-confirmation');
  switch (report.verdict) {
    case 'open':
      return `OPEN RELAY: the server accepted ${failed.length === 1 ? 'a test' : `${failed.length} tests`} for remote recipients (${someOf(failed)}).`;
    case 'closed':
      return pending.length === 0
        ? 'CLOSED: every relay test was refused.'
        : `CLOSED: no remote recipient was accepted; ${someOf(pending)} ${pending.length === 1 ? 'was' : 'were'} accepted for local delivery (an NDR follows).`;
    case 'inconclusive': {
      const control = report.tests.find((test) => test.group === 'control');
      if (control?.outcome === 'inconclusive') {
        return 'INCONCLUSIVE: the control was refused, so the rejections prove nothing.';
      }
      const errors = report.tests.filter((test) => test.outcome === 'error').map((test) => test.id);
      if (errors.length > 0) {
        return `INCONCLUSIVE: ${someOf(errors)} could not be completed.`;
      }
      if (relayTests.length === 0) {
        return 'INCONCLUSIVE: no relay test ran.';
      }
      return `INCONCLUSIVE: ${someOf(idsWith('inconclusive'))} showed nothing either way.`;
    }
  }
}

/** A summary line stays one line: "kb6, kb7, x-bang-path, x-quoted-percent and 9 more". */
function someOf(ids: readonly string[], shown = 4): string {
  if (ids.length <= shown + 1) {
    return ids.join(', ');
  }
  return `${ids.slice(0, shown).join(', ')} and ${ids.length - shown} more`;
}

/** `RCPT TO:<a@example.net> -> 550 5.7.1 Unable to relay`: the command and the reply to it, on one line. */
export function describeRecord(record: ClassifiedReplyRecord): string {
  const code = record.enhanced ? `${record.code} ${record.enhanced}` : String(record.code);
  const text = record.text.split('\n').join(' / ');
  return `${record.command} -> ${code}${text ? ` ${text}` : ''}`;
}

export function renderRelayReport(report: RelayReport, options: RelayReportTextOptions = {}): string {
  const width = options.width ?? 100;
  const lines: string[] = [];
  lines.push(`Verdict: ${verdictSummary(report)}`);
  const seconds = (report.durationMs / 1000).toFixed(1);
  lines.push(`Target:  ${describeTarget(report.target)}, ${report.tests.length} test${report.tests.length === 1 ? '' : 's'} in ${seconds} s`);
  const client = report.client;
  if (client?.localAddress !== undefined) {
    const judged = client.asClient === undefined ? '' : `, tested as client ${client.asClient} (XCLIENT)`;
    lines.push(`From:    ${client.localAddress}${judged} (${client.kind === 'unknown' ? 'address kind unknown' : `${client.kind} address`})`);
  }
  lines.push('');

  const idWidth = Math.max(2, ...report.tests.map((test) => test.id.length));
  const outcomeWidth = Math.max(7, ...report.tests.map((test) => test.outcome.length));
  for (const test of report.tests) {
    lines.push(`  ${test.id.padEnd(idWidth)}  ${test.outcome.padEnd(outcomeWidth)}  ${test.title}`);
  }

  for (const test of report.tests) {
    lines.push('');
    lines.push(`${test.id}: ${test.outcome} - ${test.title}`);
    lines.push(`    sent:    MAIL FROM:${test.mailFrom}  RCPT TO:${test.rcptTo}`);
    const deciding = test.replies[test.replies.length - 1];
    if (deciding) {
      // Never wrapped: it is wire text, and stays whole for search and copy.
      lines.push(`    reply:   ${describeRecord(deciding)}${deciding.latencyMs === undefined ? '' : ` (${deciding.latencyMs} ms)`}`);
    }
    lines.push(...wrapped(`    reason:  `, test.reason, width));
    if (test.confirmation) {
      const { confirmation } = test;
      const when =
        confirmation.arrivedAt === undefined
          ? ''
          : ` at ${new Date(confirmation.arrivedAt).toISOString().slice(11, 19)} UTC${confirmation.afterMs === undefined ? '' : ` (${(confirmation.afterMs / 1000).toFixed(1)} s after the test)`}`;
      const what =
        confirmation.result === 'relayed' ? `a relayed copy arrived${when}` : confirmation.result === 'bounced' ? `an NDR arrived${when}` : 'nothing arrived';
      lines.push(...wrapped(`    arrived: `, `${confirmation.result} (${confirmation.method}, token ${confirmation.token}): ${what}; ${confirmation.evidence}`, width));
    }
  }

  if (report.warnings.length > 0) {
    lines.push('');
    lines.push('Warnings:');
    for (const warning of report.warnings) {
      lines.push(...wrapped('  ! ', warning, width));
    }
  }
  return lines.join('\n') + '\n';
}

/** Word-wraps `text` after `prefix`, with continuation lines indented under the text. */
function wrapped(prefix: string, text: string, width: number): string[] {
  const indent = ' '.repeat(prefix.length);
  const room = Math.max(20, width - prefix.length);
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter((candidate) => candidate.length > 0)) {
    if (current.length > 0 && current.length + 1 + word.length > room) {
      lines.push(current);
      current = word;
    } else {
      current = current.length > 0 ? `${current} ${word}` : word;
    }
  }
  lines.push(current);
  return lines.map((line, index) => (index === 0 ? prefix : indent) + line);
}
