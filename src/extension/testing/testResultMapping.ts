import { isNeutralReply } from '../../core/transcript/pairedReplyClassifier';
import { findRelayTest } from '../../core/relay/relayCatalogue';
import { describeArrival, describeRecord, verdictSummary } from '../../core/relay/relayReport';
import type { ClassifiedReplyRecord, RelayReport, RelayTestResult } from '../../core/relay/relayTypes';
import type { TranscriptEvent } from '../../core/transcript/transcriptEvent';
import { commandKindOf } from '../../core/protocol/smtpCommand';
import { writeTranscript } from '../../core/transcript/transcriptFormat';

/**
 * How a relay test result shows in the Test Explorer, without `vscode`: the item's state, the message a
 * failure carries, and the text of the run's output. The controller only turns these into TestRun calls.
 *
 *   failed (relayed)        -> failed, with expected "a refusal" and actual the reply that relayed;
 *   needs-confirmation      -> passed, with a note in the output next to the test, when the reply proves
 *     proven local            local handling (the echo with the local domain appended, KB 304897 tests 6
 *                              and 7): what a closed server does, so the item must not turn red; `passed`
 *                              takes no message, so the request to confirm goes into the output;
 *   needs-confirmation      -> skipped, like inconclusive: an acceptance nothing proves either way is no
 *     unproven                 pass (the Problems call it a Warning, the verdict is not "closed"); what would
 *                              prove it is in the test's output;
 *   inconclusive            -> skipped: the server's answer proves nothing either way, which is what a
 *                              skipped test says; the reason is in the test's output;
 *   error                   -> errored: the test could not be carried out (connection lost, not run);
 *                              when the user cancelled the run, tests that never ran are skipped instead.
 */

/**
 * `change`, set by the Test Explorer only when the outcome differs from the last run against the same target:
 * the message it shows on that test ("Changed since the last run against …: passed -> failed").
 */
export type TestItemState = (
  | { state: 'passed'; note?: string }
  | { state: 'failed'; message: string; expected: string; actual: string }
  | { state: 'skipped' }
  | { state: 'errored'; message: string }
) & { change?: string };

export function testItemStateFor(result: RelayTestResult, options: { cancelled?: boolean } = {}): TestItemState {
  switch (result.outcome) {
    case 'passed':
      return { state: 'passed' };
    case 'needs-confirmation':
      return provenLocal(result) ? { state: 'passed', note: confirmationRequest } : { state: 'skipped' };
    case 'failed': {
      const proof = relayProof(result);
      return {
        state: 'failed',
        // A relay proven by delivery: the message says what arrived at the catcher and when.
        message: result.confirmation ? `${result.reason}\nArrived: ${describeArrival(result.confirmation)}` : result.reason,
        expected: expectedAnswer(result, proof),
        actual: proof ? actualAnswer(proof) : '(no reply recorded)',
      };
    }
    case 'inconclusive':
      return { state: 'skipped' };
    case 'error':
      return options.cancelled ? { state: 'skipped' } : { state: 'errored', message: result.reason };
  }
}

/** The server echoed the recipient with its local domain: proof it keeps the address local (KB 304897). */
function provenLocal(result: RelayTestResult): boolean {
  return result.replies.some((record) => record.signals?.includes('local-domain-appended') === true);
}

/** Said next to an NDR-pending test, which passes: how to find out whether it really stays local. */
export const confirmationRequest =
  'NDR-pending: accepted for local delivery, not shown to relay. Please confirm: watch for the NDR to the sender ' +
  '(or the mailbox of unresolved recipients), or run this test with the "Run with delivery confirmation" profile ' +
  'against a server you own.';

/** The reply that shows the relay: the one classified as relaying (RCPT, or the end of DATA), else the last. */
export function relayProof(result: RelayTestResult): ClassifiedReplyRecord | undefined {
  return [...result.replies].reverse().find((record) => record.signals?.includes('relay')) ?? result.replies.at(-1);
}

/**
 * The command on its first line, the answer on the next ones: the test diff view does not wrap, so one long
 * line was cut off at the panel's edge. Written like the actual side, so the diff lines the two up.
 */
function expectedAnswer(result: RelayTestResult, proof: ClassifiedReplyRecord | undefined): string {
  const command = proof?.command ?? `RCPT TO:${result.rcptTo}`;
  const closedAnswer = findRelayTest(result.id)?.closedServerAnswers ?? 'refuses it';
  return `${command}\n-> a refusal (4xx or 5xx)\n   (a closed server ${closedAnswer})`;
}

/** The command, then the reply: its code on the first line, each further line of a multi-line reply below. */
function actualAnswer(proof: ClassifiedReplyRecord): string {
  const code = proof.enhanced ? `${proof.code} ${proof.enhanced}` : String(proof.code);
  const [first = '', ...rest] = proof.text.split('\n');
  return [`${proof.command}`, `-> ${code}${first ? ` ${first}` : ''}`, ...rest.map((line) => `   ${line}`)].join('\n');
}

/** Output lines end with CRLF, as TestRun.appendOutput requires. */
export function asOutput(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/**
 * One transcript event as the line our .smtp-transcript files hold ("+0.012 <-  250 ..."), so the live
 * output reads like the saved transcript and can be pasted into one.
 */
export function transcriptOutputLine(event: TranscriptEvent, startedAt: number): string {
  const file = writeTranscript({ header: { tool: 'live', startedAt }, events: [event] });
  const lines = file.split('\n');
  return `${lines[lines.length - 2]}\r\n`;
}

/** What a run says before its first line: where, which tests, and whether DATA may be sent. */
export function runIntroduction(facts: {
  targetLabel: string;
  testIds: readonly string[];
  controlAdded: boolean;
  confirmByDelivery: boolean;
  /** Where a catcher run looks for copies and NDRs ("catcher 127.0.0.1:2526"). */
  catcher?: string;
}): string {
  const lines = [`=== Relay tests against ${facts.targetLabel}: ${facts.testIds.join(', ')}`];
  if (facts.controlAdded) {
    lines.push(
      '=== The control test was added: without a local recipient the server accepts, its rejections would prove nothing.',
    );
  }
  lines.push(
    facts.confirmByDelivery
      ? facts.catcher
        ? `=== Delivery confirmation is ON: DATA is sent for every test the server accepts, and the ${facts.catcher} is searched for each message's token.`
        : '=== Delivery confirmation is ON: DATA is sent for tests accepted for local delivery (NDR-pending).'
      : '=== No DATA is sent: nothing can be relayed by this run.',
  );
  return asOutput(lines.join('\n') + '\n');
}

/** One test's block of output: its addresses, every reply with its classification, and the reason. */
export function testResultOutput(result: RelayTestResult): string {
  const lines = [`--- ${result.id}: ${result.outcome} - ${result.title}`, `    sent:   MAIL FROM:${result.mailFrom}  RCPT TO:${result.rcptTo}`];
  for (const record of result.replies) {
    // As in the terminal: a reply that decides nothing about relay (RSET, MAIL accepted) is [ok].
    const neutral = isNeutralReply(commandKindOf(record.command), { class: record.class, signals: record.signals ?? [] });
    lines.push(`    reply:  ${describeRecord(record)}  [${neutral ? 'ok' : record.class}]`);
  }
  lines.push(`    reason: ${result.reason}`);
  if (result.confirmation) {
    lines.push(`    arrived: ${describeArrival(result.confirmation)}`);
  }
  return asOutput(lines.join('\n') + '\n');
}

/** The end of a run: the verdict in one line, then the warnings that keep it honest. */
export function verdictOutput(report: RelayReport): string {
  const lines = ['', `Verdict: ${verdictSummary(report)}`];
  for (const warning of report.warnings) {
    lines.push(`  ! ${warning}`);
  }
  return asOutput(lines.join('\n') + '\n');
}
