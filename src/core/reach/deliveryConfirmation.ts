import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { describeDuration } from '../protocol/socketFailure';
import type { RelayReport, RelayTestDefinition, RelayTestResult } from '../relay/relayTypes';
import { decideRelayVerdict, relayWarnings, runEvidenceOf } from '../relay/relayVerdict';
import { endOfDataCommand } from '../protocol/smtpCommand';
import type { CaughtMessage, MessageSource } from './catcher';
import type { DeliveryConfirmation } from './confirmationTypes';

export type { ConfirmationResult, DeliveryConfirmation } from './confirmationTypes';

/**
 * Confirmation by delivery that confirms (issue 10 §1). Each test's message carries a unique token in its
 * Message-ID, subject and body. Afterwards the catcher (or the IMAP mailbox) is searched for it:
 *   relayed  a copy (any sender but the null one, not a delivery report) carrying the token arrived: the
 *            server relayed it; the test fails, whatever RCPT said.
 *   bounced  an NDR (null sender or multipart/report; delivery-status) for the test's sender quoting the
 *            token arrived: the server did not relay it; the test passes.
 *   none     neither within the confirm timeout: the test stays as it was (needs-confirmation).
 */


export interface IssuedToken {
  token: string;
  issuedAt: number;
}

/** A fresh token per test: the tool's name, the test id and 48 random bits, safe in a Message-ID. */
export function newTestToken(test: Pick<RelayTestDefinition, 'id'>): string {
  return `srl-${test.id.toLowerCase().replace(/[^a-z0-9]/g, '')}-${randomBytes(6).toString('hex')}`;
}

/** Issues tokens for a run (RelayRunOptions.messageToken) and remembers them for the confirmation. */
export class TokenRegistry {
  readonly issued = new Map<string, IssuedToken>();

  readonly issue = (test: RelayTestDefinition): string => {
    const token = newTestToken(test);
    this.issued.set(test.id, { token, issuedAt: Date.now() });
    return token;
  };
}

const maxEvidenceLength = 600;

function headerBlock(content: string): string {
  const end = content.search(/\r?\n\r?\n/);
  return end < 0 ? content : content.slice(0, end);
}

/** Unfolded header lines named `name` (case-insensitive). */
function headerLines(headers: string, name: RegExp): string[] {
  const unfolded = headers.replace(/\r?\n[ \t]+/g, ' ');
  return unfolded.split(/\r?\n/).filter((line) => name.test(line));
}

/** Server and relay text is hostile: control characters shown as '?', the whole bounded. */
function cleanEvidence(lines: readonly string[]): string {
  const text = lines.map((line) => line.replace(/[\u0000-\u001f\u007f]/g, '?').trim()).join(' | ');
  return text.length > maxEvidenceLength ? `${text.slice(0, maxEvidenceLength)}…` : text;
}

export function isDeliveryReport(message: CaughtMessage): boolean {
  if (message.mailFrom === '') {
    return true;
  }
  const contentType = headerLines(headerBlock(message.content), /^content-type:/i).join(' ');
  return /multipart\/report/i.test(contentType) && /report-type\s*=\s*"?delivery-status/i.test(contentType);
}

/** What a caught message proves about the test with `token`, whose envelope sender was `sender`. */
export function judgeCaughtMessage(message: CaughtMessage, token: string, sender?: string): { result: 'relayed' | 'bounced'; evidence: string } | undefined {
  if (!message.content.includes(token)) {
    return undefined;
  }
  if (isDeliveryReport(message)) {
    const forSender =
      sender === undefined || sender === '' || message.rcptTo.length === 0 || message.rcptTo.some((recipient) => recipient.toLowerCase() === sender.toLowerCase());
    if (!forSender) {
      return undefined;
    }
    const status = message.content
      .split(/\r?\n/)
      .filter((line) => /^(Action|Status|Diagnostic-Code|Final-Recipient|Remote-MTA):/i.test(line))
      .slice(0, 6);
    const subject = headerLines(headerBlock(message.content), /^subject:/i).slice(0, 1);
    return { result: 'bounced', evidence: cleanEvidence(status.length > 0 ? status : subject) };
  }
  const headers = headerBlock(message.content);
  const lines = [...headerLines(headers, /^received:/i).slice(0, 4), ...headerLines(headers, /^message-id:/i).slice(0, 1)];
  return { result: 'relayed', evidence: cleanEvidence(lines) };
}

function deliveredData(result: RelayTestResult): boolean {
  const end = result.replies.find((record) => record.command === endOfDataCommand);
  return end !== undefined && end.code >= 200 && end.code < 300;
}

function unbracketed(address: string): string {
  return address.trim().replace(/^<|>$/g, '');
}

export interface ConfirmOptions {
  /** How long to wait for copies and NDRs after the run (--confirm-timeout). */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Waits for each delivered test's token at `source`, then settles the tests: relayed → failed,
 * bounced → passed, none → unchanged. The report gets the confirmations, a new verdict and warnings,
 * and a transcript note per confirmation. Tests whose DATA was not accepted are left alone.
 */
export async function confirmDeliveries(
  report: RelayReport,
  source: MessageSource,
  tokens: ReadonlyMap<string, IssuedToken>,
  options: ConfirmOptions,
  parameters?: Parameters<typeof relayWarnings>[1],
): Promise<RelayReport> {
  const waitUntil = Date.now() + options.timeoutMs;
  const candidates = report.tests.filter((result) => tokens.has(result.id) && deliveredData(result));
  // Every test waits at once: one listener on the caller's signal, fanned out on our own (no listener-leak warning).
  const waiting = new AbortController();
  setMaxListeners(10 + 2 * candidates.length, waiting.signal);
  const stopWaiting = (): void => waiting.abort();
  if (options.signal?.aborted) {
    waiting.abort();
  }
  options.signal?.addEventListener('abort', stopWaiting, { once: true });
  const settled = await Promise.all(
    candidates.map(async (result): Promise<[string, DeliveryConfirmation]> => {
      const issued = tokens.get(result.id)!;
      const sender = unbracketed(result.mailFrom);
      let judged: { result: 'relayed' | 'bounced'; evidence: string } | undefined;
      const message = await source.waitFor(
        (candidate) => (judged = judgeCaughtMessage(candidate, issued.token, sender)) !== undefined,
        Math.max(0, waitUntil - Date.now()),
        waiting.signal,
      );
      if (message && judged) {
        const found = judged as { result: 'relayed' | 'bounced'; evidence: string };
        return [
          result.id,
          {
            method: source.method,
            token: issued.token,
            result: found.result,
            evidence: found.evidence,
            arrivedAt: message.receivedAt,
            afterMs: Math.max(0, message.receivedAt - issued.issuedAt),
          },
        ];
      }
      return [
        result.id,
        {
          method: source.method,
          token: issued.token,
          result: 'none',
          evidence: `no copy and no NDR carrying ${issued.token} arrived at the ${source.description} within ${describeDuration(options.timeoutMs)}`,
        },
      ];
    }),
  ).finally(() => options.signal?.removeEventListener('abort', stopWaiting));
  const confirmations = new Map(settled);
  // The same evidence the run was judged with (MTA, local domains, a claimed remote domain): issue 7's rules.
  const evidence = runEvidenceOf(report);
  const baseWarnings = relayWarnings(report.tests, parameters, evidence);
  const tests = report.tests.map((result) => {
    const confirmation = confirmations.get(result.id);
    return confirmation ? settleTest(result, confirmation, source.description) : result;
  });
  const extraWarnings = report.warnings.filter((warning) => !baseWarnings.includes(warning));
  const transcript = [...report.transcript];
  for (const [id, confirmation] of confirmations) {
    transcript.push({
      kind: 'info',
      at: confirmation.arrivedAt ?? Date.now(),
      tls: false,
      text: `${source.description}: ${id} ${confirmation.result} (token ${confirmation.token})${confirmation.evidence ? `: ${confirmation.evidence}` : ''}`,
    });
  }
  return {
    ...report,
    tests,
    verdict: decideRelayVerdict(tests, evidence),
    warnings: [...relayWarnings(tests, parameters, evidence), ...extraWarnings],
    transcript,
  };
}

function settleTest(result: RelayTestResult, confirmation: DeliveryConfirmation, where: string): RelayTestResult {
  const after = confirmation.afterMs === undefined ? '' : ` ${describeDuration(confirmation.afterMs)} after the test started`;
  switch (confirmation.result) {
    case 'relayed':
      return {
        ...result,
        outcome: 'failed',
        proof: 'catcher-relay',
        reason: `Relayed, proven by delivery: a copy carrying ${confirmation.token} arrived at the ${where}${after} (${confirmation.evidence}).`,
        confirmation,
      };
    case 'bounced':
      return {
        ...result,
        outcome: result.outcome === 'failed' ? 'failed' : 'passed',
        ...(result.outcome === 'failed' ? {} : { proof: 'catcher-ndr' as const }),
        reason:
          result.outcome === 'failed'
            ? `${result.reason} An NDR quoting ${confirmation.token} came back too (${confirmation.evidence}).`
            : `Not relayed, proven by delivery: an NDR for the test's sender quoting ${confirmation.token} arrived at the ${where}${after} (${confirmation.evidence}).`,
        confirmation,
      };
    case 'none':
      return { ...result, reason: `${result.reason} Confirmation: ${confirmation.evidence}.`, confirmation };
  }
}
