import { describeTarget } from '../protocol/sessionOptions';
import { provenLocal } from './relayVerdict';
import type { ClassifiedReplyRecord, RelayProof, RelayReport, RelayTestResult, RelayTlsUse } from './relayTypes';
import type { DeliveryConfirmation } from '../reach/confirmationTypes';

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
  const refusedAtMail = relayTests
    .filter((test) => test.outcome === 'passed' && test.replies.length > 0 && !test.replies.some((record) => /^RCPT\s+TO/i.test(record.command)))
    .map((test) => test.id);
  switch (report.verdict) {
    case 'open':
      return `OPEN RELAY: the server accepted ${failed.length === 1 ? 'a test' : `${failed.length} tests`} for remote recipients (${someOf(failed)}).`;
    case 'closed': {
      const parts: string[] = [];
      const echoed = relayTests.filter((test) => test.outcome === 'needs-confirmation').map((test) => test.id);
      const bounced = relayTests.filter((test) => test.proof === 'lab-outbox-ndr').map((test) => test.id);
      if (echoed.length > 0) {
        parts.push(`${someOf(echoed)} ${echoed.length === 1 ? 'was' : 'were'} accepted for local delivery (proven by the server's echo of its domain)`);
      }
      const lead = echoed.length > 0 || bounced.length > 0 ? 'no remote recipient was accepted' : 'nothing was relayed';
      if (bounced.length > 0) {
        parts.push(`${someOf(bounced)} bounced (proven by the NDR in the lab outbox)`);
      }
      if (refusedAtMail.length > 0) {
        parts.push(`${someOf(refusedAtMail)} ${refusedAtMail.length === 1 ? 'was' : 'were'} refused at MAIL FROM (the recipient form never reached RCPT)`);
      }
      return parts.length === 0 ? 'CLOSED: every relay test was refused.' : `CLOSED: ${lead}; ${parts.join('; ')}.`;
    }
    case 'inconclusive': {
      const control = report.tests.find((test) => test.group === 'control');
      if (control?.outcome === 'inconclusive') {
        return 'INCONCLUSIVE: the control was refused, so the rejections prove nothing.';
      }
      const ambiguous = relayTests.filter((test) => test.outcome === 'needs-confirmation' && !provenLocal(test)).map((test) => test.id);
      if (ambiguous.length > 0) {
        return `INCONCLUSIVE: ${someOf(ambiguous)} ${ambiguous.length === 1 ? 'was' : 'were'} accepted with nothing that proves where ${ambiguous.length === 1 ? 'it goes' : 'they go'}; confirm by delivery.`;
      }
      if (report.warnings.some((warning) => warning.startsWith('The server calls itself'))) {
        return 'INCONCLUSIVE: the server claims the remote test domain as its own.';
      }
      const errors = report.tests.filter((test) => test.outcome === 'error').map((test) => test.id);
      if (errors.length > 0) {
        return `INCONCLUSIVE: ${someOf(errors)} could not be completed.`;
      }
      if (relayTests.length === 0) {
        return 'INCONCLUSIVE: no relay test ran.';
      }
      const unsettled = idsWith('inconclusive');
      return unsettled.length > 0 ? `INCONCLUSIVE: ${someOf(unsettled)} showed nothing either way.` : 'INCONCLUSIVE: see the warnings.';
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
  // Only the enhanced code the server wrote: an inferred one is in the reason, marked as inferred.
  const code = record.enhanced ? `${record.code} ${record.enhanced}` : String(record.code);
  const text = record.text.split('\n').join(' / ');
  return `${record.command} -> ${code}${text ? ` ${text}` : ''}`;
}

/**
 * What confirmation by delivery found for a test, and when: the CLI's "arrived:" line, the Test Explorer's
 * output and message, and the verdict page all say it in these words.
 */
export function describeArrival(confirmation: DeliveryConfirmation): string {
  const when =
    confirmation.arrivedAt === undefined
      ? ''
      : ` at ${new Date(confirmation.arrivedAt).toISOString().slice(11, 19)} UTC${confirmation.afterMs === undefined ? '' : ` (${(confirmation.afterMs / 1000).toFixed(1)} s after the test)`}`;
  const what = confirmation.result === 'relayed' ? `a relayed copy arrived${when}` : confirmation.result === 'bounced' ? `an NDR arrived${when}` : 'nothing arrived';
  return `${confirmation.result} (${confirmation.method}, token ${confirmation.token}): ${what}; ${confirmation.evidence}`;
}

export function renderRelayReport(report: RelayReport, options: RelayReportTextOptions = {}): string {
  const width = options.width ?? 100;
  const lines: string[] = [];
  lines.push(`Verdict: ${verdictSummary(report)}`);
  lines.push(`Target:  ${describeTarget(report.target)}, ${report.tests.length} test${report.tests.length === 1 ? '' : 's'} in ${durationFigure(report.durationMs)}`);
  if (report.tls) {
    lines.push(`TLS:     ${describeTlsUse(report.tls)}`);
  }
  const client = report.client;
  if (client?.localAddress !== undefined) {
    const judged = client.asClient === undefined ? '' : `, tested as client ${client.asClient} (XCLIENT)`;
    lines.push(`From:    ${client.localAddress}${judged} (${client.kind === 'unknown' ? 'address kind unknown' : `${client.kind} address`})`);
  }
  if (report.mta) {
    lines.push(`Server:  ${report.mta.label} (from "${report.mta.evidence}" in its banner or EHLO reply)`);
  }
  if (report.localDomains) {
    lines.push(`Local:   ${describeLocalDomainsUsed(report.localDomains)}`);
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
    // The reply to RCPT (else the last one), then what the message got after DATA when it was sent.
    const rcpt = [...test.replies].reverse().find((record) => /^RCPT\s+TO/i.test(record.command));
    const last = test.replies[test.replies.length - 1];
    const deciding = rcpt ?? last;
    if (deciding) {
      // Never wrapped: it is wire text, and stays whole for search and copy.
      lines.push(`    reply:   ${describeRecord(deciding)}${deciding.latencyMs === undefined ? '' : ` (${deciding.latencyMs} ms)`}`);
    }
    if (last && last !== deciding && last.command === '.') {
      lines.push(`    data:    ${describeRecord(last)}`);
    }
    lines.push(...wrapped(`    reason:  `, test.reason, width));
    if (test.confirmation) {
      lines.push(...wrapped(`    arrived: `, describeArrival(test.confirmation), width));
    }
    if (test.proof !== undefined) {
      lines.push(`    proof:   ${proofWords[test.proof]}`);
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

/** How each outcome was proven, in the report's words. */
export const proofWords: Record<RelayProof, string> = {
  refused: 'refused by the server',
  accepted: 'accepted by the server (a remote recipient, or a routing form with no proof of local handling)',
  echo: 'echo: the server wrote the recipient back with its local domain',
  'local-recipient': 'an ordinary local recipient, accepted',
  'lab-outbox-ndr': 'lab outbox NDR: the practice server bounced the test message',
  'lab-outbox-relay': 'lab outbox: the practice server would have relayed the test message',
  'catcher-ndr': 'delivery: an NDR quoting the test token reached the catcher',
  'catcher-relay': 'delivery: a relayed copy carrying the test token reached the catcher',
  none: 'nothing proves it either way',
};

function describeLocalDomainsUsed(used: NonNullable<RelayReport['localDomains']>): string {
  const names = used.serverNames.length > 0 ? ` ${used.serverNames.join(', ')}` : '';
  switch (used.source) {
    case 'configured':
      return `${used.domains.join(', ')} (given)`;
    case 'inferred':
      return `${used.domains.join(', ')} (inferred from the banner and EHLO name${names}; --local-domain sets them)`;
    default:
      return 'none known (the server named no domain; --local-domain sets them)';
  }
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

/** The report's TLS line: what was asked for and what the tests went over. */
export function describeTlsUse(tls: RelayTlsUse): string {
  switch (tls.mode) {
    case 'none':
      return 'none (clear text)';
    case 'implicit':
      return 'implicit TLS';
    case 'starttls':
      if (tls.required) {
        return 'STARTTLS (required)';
      }
      return tls.clearText ? 'STARTTLS offered, not advertised by the server: clear text' : 'STARTTLS (offered, and started)';
  }
}

/**
 * A run's duration as people read it, in every report (the CLI's and Run Relay Suite's text, the verdict page):
 * "420 ms" under a second (a fast run is not "0.0 s"), "35.2 s" under a minute, then "7 min 3 s".
 */
export function durationFigure(durationMs: number): string {
  const ms = Math.max(0, Math.round(durationMs));
  if (ms < 1000) {
    return `${ms} ms`;
  }
  if (ms < 60_000) {
    return `${(ms / 1000).toFixed(1)} s`;
  }
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
