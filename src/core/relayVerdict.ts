import { confirmByDeliveryAdvice } from './relayOutcome';
import { addressArgumentOf } from './smtpCommand';
import type { RelayTestParameters, RelayTestResult, RelayVerdict } from './relayTypes';

/**
 * The verdict of a run and the warnings that keep it honest, from the test results alone.
 *
 *   open          a test failed: a remote recipient was accepted;
 *   closed        no failure, no error, nothing inconclusive, and the control passed (or was not run,
 *                 with a warning);
 *   inconclusive  anything else.
 * NDR-pending results (needs-confirmation) do not make a server open: the KB's Exchange is closed
 * although it accepts tests 6 and 7. They get a warning that says how to confirm.
 */
export function decideRelayVerdict(results: readonly RelayTestResult[]): RelayVerdict {
  const relayTests = results.filter((result) => result.group !== 'control');
  const control = results.find((result) => result.group === 'control');
  if (relayTests.some((result) => result.outcome === 'failed')) {
    return 'open';
  }
  if (relayTests.length === 0) {
    return 'inconclusive';
  }
  const settled = relayTests.every((result) => result.outcome === 'passed' || result.outcome === 'needs-confirmation');
  const controlFine = control === undefined || control.outcome === 'passed';
  return settled && controlFine ? 'closed' : 'inconclusive';
}

export const trustedNetworkWarning =
  "The server accepted relay from this client; the client may be inside the server's trusted networks " +
  '(for example Postfix mynetworks). Repeat the test from outside before calling the server an open relay.';

export const noControlWarning =
  'No control test ran: a server that rejects everything (a blocklist, a wrong port, a 421 greeting) looks closed ' +
  'without one. Add the control test to trust a "closed" verdict.';

export function relayWarnings(results: readonly RelayTestResult[], parameters?: Pick<RelayTestParameters, 'addressForm'>): string[] {
  const warnings: string[] = [];
  const relayTests = results.filter((result) => result.group !== 'control');
  const control = results.find((result) => result.group === 'control');
  const ids = (outcome: RelayTestResult['outcome']): string[] =>
    relayTests.filter((result) => result.outcome === outcome).map((result) => result.id);

  if (ids('failed').length > 0) {
    warnings.push(trustedNetworkWarning);
  }
  const pending = ids('needs-confirmation');
  if (pending.length > 0) {
    warnings.push(
      `${listed(pending)} ${pending.length === 1 ? 'was' : 'were'} accepted for local delivery (NDR-pending), not shown to relay: ` +
        'a closed server delivers them locally or sends an NDR (KB 304897, tests 6 and 7). To confirm, watch for the NDR ' +
        `(or the mailbox for unresolved recipients), or ${confirmByDeliveryAdvice}.`,
    );
  }
  if (relayTests.length === 0) {
    warnings.push('No relay test ran, so there is nothing to judge the server by.');
  }
  if (control === undefined && relayTests.length > 0) {
    warnings.push(noControlWarning);
  } else if (control?.outcome === 'inconclusive') {
    warnings.push(
      `The control (a local recipient) was refused: ${control.reason} Rejections by this server prove nothing until the control is accepted.`,
    );
  }
  const errors = results.filter((result) => result.outcome === 'error').map((result) => result.id);
  if (errors.length > 0) {
    warnings.push(`${listed(errors)} could not be completed (connection problems): the verdict cannot be "closed".`);
  }
  warnings.push(...harvestWarnings(results));
  const authRequired = results.some((result) => result.replies.some((record) => record.signals?.includes('auth-required')));
  if (authRequired) {
    warnings.push(
      'The server asked for authentication (530). Relay tests show what it does for strangers; what it does after a login is not tested.',
    );
  }
  if (parameters?.addressForm === 'bare' && bareFormRefusedAsSyntax(results)) {
    warnings.push(
      'The server refused the bare address form (MAIL FROM:user@example.com) as a syntax error: RFC 5321 wants <...>. ' +
        'Re-run with the bracketed form to see its relay policy.',
    );
  }
  return warnings;
}

function harvestWarnings(results: readonly RelayTestResult[]): string[] {
  for (const result of results) {
    const harvest = result.replies.find((record) => record.signals?.includes('harvest'));
    if (harvest) {
      const code = harvest.enhanced ? `${harvest.code} ${harvest.enhanced}` : String(harvest.code);
      return [
        `${harvest.command} got ${code} (unknown user): the server tells at RCPT which addresses exist, so a dictionary of ` +
          'names harvests the valid ones. KB 304897 recommends a tarpit (TarpitTime, KB 842851) or accepting and sending NDRs.',
      ];
    }
  }
  return [];
}

function bareFormRefusedAsSyntax(results: readonly RelayTestResult[]): boolean {
  return results.some((result) =>
    result.replies.some((record) => {
      const argument = addressArgumentOf(record.command);
      return record.signals?.includes('syntax') === true && argument !== undefined && !argument.startsWith('<');
    }),
  );
}

export function tarpitWarning(baselineMs: number, slowestMs: number): string {
  return (
    `Replies to refused recipients slowed down (from about ${Math.round(baselineMs)} ms to ${Math.round(slowestMs)} ms): ` +
    'the server seems to tarpit failed recipients, which KB 304897 recommends against directory harvesting.'
  );
}

function listed(ids: readonly string[]): string {
  if (ids.length === 1) {
    return `Test ${ids[0]}`;
  }
  return `Tests ${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]}`;
}
