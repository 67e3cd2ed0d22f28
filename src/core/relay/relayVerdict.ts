import type { RecognisedMta } from './mtaRecognition';
import { confirmByDeliveryAdvice, harvestAdvice, openRelayAdvice } from './relayAdvice';
import { addressArgumentOf } from '../protocol/smtpCommand';
import type { LocalDomainsUsed, RelayReport, RelayTestParameters, RelayTestResult, RelayVerdict } from './relayTypes';

/** What the run learnt about the server beyond the test results, for the verdict and the warnings. */
export interface RunEvidence {
  /** A name the server gave itself that is, or lies inside, the remote test domain. */
  remoteDomainClaimed?: string;
  remoteDomain?: string;
  localDomains?: LocalDomainsUsed;
  mta?: RecognisedMta;
}

/**
 * The verdict of a run and the warnings that keep it honest, from the test results (and what the server
 * said about itself):
 *
 *   open          a test failed: a remote recipient (or a routing form without proof) was accepted;
 *   closed        no failure, no error, nothing inconclusive, every NDR-pending result PROVEN local (by the
 *                 echo or by delivery), and the control passed (or was not run, with a warning);
 *   inconclusive  anything else: an ambiguous acceptance, a protocol violation, a server that claims the
 *                 remote test domain as its own, a refused control.
 * Proven NDR-pending results do not make a server open: the KB's Exchange is closed although it accepts
 * tests 6 and 7, and echoes them with its own domain appended.
 */
export function decideRelayVerdict(results: readonly RelayTestResult[], evidence: RunEvidence = {}): RelayVerdict {
  const relayTests = results.filter((result) => result.group !== 'control');
  const control = results.find((result) => result.group === 'control');
  if (relayTests.some((result) => result.outcome === 'failed')) {
    return 'open';
  }
  if (relayTests.length === 0 || evidence.remoteDomainClaimed !== undefined) {
    return 'inconclusive';
  }
  const settled = relayTests.every(
    (result) => result.outcome === 'passed' || (result.outcome === 'needs-confirmation' && provenLocal(result)),
  );
  const controlFine = control === undefined || control.outcome === 'passed';
  return settled && controlFine ? 'closed' : 'inconclusive';
}

/**
 * The evidence a finished report carries (for code that re-judges its tests, e.g. after a catcher's
 * confirmations): its MTA, local domains, and whether a name the server gave itself claims the remote domain.
 */
export function runEvidenceOf(report: Pick<RelayReport, 'mta' | 'localDomains'>): RunEvidence {
  const remoteDomain = report.localDomains?.remoteDomain;
  const claimed =
    remoteDomain === undefined
      ? undefined
      : report.localDomains?.serverNames.find((name) => withinDomain(name, remoteDomain) || withinDomain(remoteDomain, name));
  return {
    ...(remoteDomain === undefined ? {} : { remoteDomain }),
    ...(report.mta ? { mta: report.mta as RecognisedMta } : {}),
    ...(report.localDomains ? { localDomains: report.localDomains } : {}),
    ...(claimed === undefined ? {} : { remoteDomainClaimed: claimed }),
  };
}

/**
 * A needs-confirmation result whose local handling is proven: by the echo or by the NDR in the lab outbox.
 * Results without a proof field (made by older callers) are judged by their replies' signals.
 */
export function provenLocal(result: RelayTestResult): boolean {
  if (result.proof !== undefined) {
    return result.proof === 'echo' || result.proof === 'lab-outbox-ndr' || result.proof === 'catcher-ndr';
  }
  const signalled = (signal: string): boolean => result.replies.some((record) => record.signals?.some((own) => own === signal));
  return signalled('local-domain-appended') && !signalled('ambiguous');
}

export const trustedNetworkWarning =
  "The server accepted relay from this client; the client may be inside the server's trusted networks " +
  '(for example Postfix mynetworks). Repeat the test from outside before calling the server an open relay.';

export const noControlWarning =
  'No control test ran: a server that rejects everything (a blocklist, a wrong port, a 421 greeting) looks closed ' +
  'without one. Add the control test to trust a "closed" verdict.';

export function relayWarnings(
  results: readonly RelayTestResult[],
  parameters?: Pick<RelayTestParameters, 'addressForm'>,
  evidence: RunEvidence = {},
): string[] {
  const warnings: string[] = [];
  const relayTests = results.filter((result) => result.group !== 'control');
  const control = results.find((result) => result.group === 'control');
  const ids = (outcome: RelayTestResult['outcome']): string[] =>
    relayTests.filter((result) => result.outcome === outcome).map((result) => result.id);

  warnings.push(...localDomainWarnings(results, evidence));
  if (ids('failed').length > 0) {
    warnings.push(trustedNetworkWarning);
    warnings.push(openRelayAdvice(evidence.mta));
  }
  const needsConfirmation = relayTests.filter((result) => result.outcome === 'needs-confirmation');
  const pending = needsConfirmation.filter(provenLocal).map((result) => result.id);
  const ambiguous = needsConfirmation.filter((result) => !provenLocal(result)).map((result) => result.id);
  if (pending.length > 0) {
    warnings.push(
      `${listed(pending)} ${pending.length === 1 ? 'was' : 'were'} accepted for local delivery (NDR-pending), proven by the server's echo ` +
        'of its own domain, not relayed: a closed server delivers them locally or sends an NDR (KB 304897, tests 6 and 7). ' +
        `To see the NDR itself, watch the sender's mailbox, or ${confirmByDeliveryAdvice}.`,
    );
  }
  if (ambiguous.length > 0) {
    warnings.push(
      `${listed(ambiguous)} ${ambiguous.length === 1 ? 'was' : 'were'} accepted with nothing that proves where ${ambiguous.length === 1 ? 'it goes' : 'they go'} ` +
        '(a routing form addressed to a local domain, answered with a bare 2yz and no echo of a local domain), so the verdict ' +
        `cannot be "closed". To confirm, ${confirmByDeliveryAdvice}: an NDR proves local handling, a copy at the remote domain proves the relay.`,
    );
  }
  const violations = results.filter((result) => result.replies.some((record) => record.signals?.includes('protocol-violation')));
  if (violations.length > 0) {
    warnings.push(
      `The server broke the SMTP protocol in ${violations.map((result) => result.id).join(', ')} (a code outside 2yz-5yz, a 3yz to RCPT, ` +
        'or a reply whose lines carry different codes): those answers are neither refusals nor acceptances, so those tests are inconclusive.',
    );
  }
  const senderSyntax = relayTests.filter(
    (result) =>
      result.outcome === 'passed' &&
      result.replies.some((record) => /^MAIL\s+FROM/i.test(record.command) && record.signals?.includes('syntax')) &&
      !result.replies.some((record) => /^RCPT\s+TO/i.test(record.command)),
  );
  if (senderSyntax.length > 0) {
    warnings.push(
      `${listed(senderSyntax.map((result) => result.id))}: the sender form was refused as syntax at MAIL FROM, so the recipient ` +
        `form of ${senderSyntax.length === 1 ? 'that test' : 'those tests'} never reached RCPT TO. A refused sender cannot relay, ` +
        'but the recipient form is untested until it is sent with a sender the server accepts.',
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
  warnings.push(...harvestWarnings(results, evidence.mta));
  const authRequired = results.some((result) => result.replies.some((record) => record.signals?.includes('auth-required')));
  if (authRequired) {
    warnings.push(
      'The server asked for authentication (530). Relay tests show what it does for strangers; what it does after a login is not tested.',
    );
  }
  const bare = bareFormEvidence(results);
  if (bare === 'bracketed-accepted') {
    warnings.push(
      'The server refused the bare address form (MAIL FROM:user@example.com) as a syntax error, and accepted the same address ' +
        'in angle brackets: RFC 5321 wants <...>. Re-run with the bracketed form to see its relay policy.',
    );
  } else if (bare === 'every-bare-refused' && parameters?.addressForm === 'bare') {
    warnings.push(
      'The server refused every address sent in the bare form (MAIL FROM:user@example.com) as a syntax error, so this run shows ' +
        'nothing of its relay policy. Re-run with the bracketed form (RFC 5321 <...>) to see whether the form or the addresses are refused.',
    );
  }
  return warnings;
}

function harvestWarnings(results: readonly RelayTestResult[], mta: RecognisedMta | undefined): string[] {
  for (const result of results) {
    const harvest = result.replies.find((record) => record.signals?.includes('harvest'));
    if (harvest) {
      const code = harvest.enhanced ? `${harvest.code} ${harvest.enhanced}` : String(harvest.code);
      return [
        `${harvest.command} got ${code} (unknown user in a local domain): the server tells at RCPT which addresses exist, so a ` +
          `dictionary of names harvests the valid ones. ${harvestAdvice(mta)}`,
      ];
    }
  }
  return [];
}

/**
 * The bare form is blamed only on evidence: the server accepted the same address in brackets, or it refused
 * every bare address as syntax and accepted none. Otherwise (Exim's "sender address must contain a domain",
 * refused bracketed or not) the address itself is what it refuses.
 */
function bareFormEvidence(results: readonly RelayTestResult[]): 'bracketed-accepted' | 'every-bare-refused' | undefined {
  const records = results.flatMap((result) => result.replies);
  const withAddress = records
    .map((record) => ({ record, argument: addressArgumentOf(record.command) }))
    .filter((entry): entry is { record: (typeof records)[number]; argument: string } => entry.argument !== undefined && entry.argument !== '<>');
  const acceptedBracketed = new Set(
    withAddress
      .filter(({ record, argument }) => record.class !== 'rejection' && argument.startsWith('<'))
      .map(({ argument }) => argument.slice(1, -1).toLowerCase()),
  );
  const bare = withAddress.filter(({ argument }) => !argument.startsWith('<'));
  const refusedBare = bare.filter(({ record }) => record.signals?.includes('syntax') === true);
  if (refusedBare.some(({ argument }) => acceptedBracketed.has(argument.toLowerCase()))) {
    return 'bracketed-accepted';
  }
  if (refusedBare.length > 0 && bare.every(({ record }) => record.class === 'rejection')) {
    return 'every-bare-refused';
  }
  return undefined;
}

/** The flag or setting that names local domains, in the CLI and in VS Code. */
const localDomainFlag = '--local-domain (in VS Code: the target\'s localDomains)';

/**
 * Local domains belong to the user: when the server claims the remote test domain, when it names a domain
 * other than the configured ones, or when the control is refused, say which domains disagree and how to fix it.
 */
function localDomainWarnings(results: readonly RelayTestResult[], evidence: RunEvidence): string[] {
  const warnings: string[] = [];
  const used = evidence.localDomains;
  if (evidence.remoteDomainClaimed !== undefined) {
    warnings.push(
      `The server calls itself ${evidence.remoteDomainClaimed}, inside the remote test domain ${evidence.remoteDomain ?? ''}: a server that ` +
        'hosts that domain may accept mail for it without relaying, so the run is inconclusive. Re-run with --remote-domain set to ' +
        'a domain this server does not host.',
    );
  }
  if (used === undefined) {
    return warnings;
  }
  const serverDomains = suggestedDomains(used.serverNames).filter(
    (domain) => evidence.remoteDomain === undefined || !withinDomain(domain, evidence.remoteDomain),
  );
  const configured = used.source === 'configured' ? used.domains : [];
  const named = serverDomains.filter((domain) => !configured.some((own) => withinDomain(domain, own) || withinDomain(own, domain)));
  const control = results.find((result) => result.group === 'control');
  const controlRefused = control?.outcome === 'inconclusive' && control.proof !== 'none';
  if (configured.length > 0 && named.length > 0 && named.length === serverDomains.length) {
    warnings.push(
      `The local domain given is ${configured.join(', ')}, but the server names itself ${used.serverNames.join(', ')}, which suggests ` +
        `${named[named.length - 1]}. If it receives mail for that domain, re-run with ${localDomainFlag} ${named[named.length - 1]}.`,
    );
  } else if (controlRefused) {
    const domains = used.domains.length > 0 ? used.domains.join(', ') : '(none)';
    const hint = serverDomains.length > 0 ? `; the server names itself ${used.serverNames.join(', ')}, which suggests ${serverDomains[serverDomains.length - 1]}` : '';
    warnings.push(
      `The control was refused with the local domain ${domains} (${used.source})${hint}. Give the domain this server receives mail for ` +
        `with ${localDomainFlag}, and a mailbox that exists with --local-user.`,
    );
  }
  return warnings;
}

/** The domains a server's names suggest: each name and, for a host name of three labels or more, its parent. */
function suggestedDomains(names: readonly string[]): string[] {
  const domains: string[] = [];
  for (const name of names) {
    if (name.startsWith('[')) {
      continue;
    }
    const labels = name.split('.');
    const candidates = labels.length >= 3 ? [name, labels.slice(1).join('.')] : [name];
    for (const candidate of candidates) {
      if (!domains.includes(candidate)) {
        domains.push(candidate);
      }
    }
  }
  return domains;
}

/** `name` is `domain` or a host inside it (case-insensitive, trailing dots ignored). */
export function withinDomain(name: string, domain: string): boolean {
  const a = name.toLowerCase().replace(/\.$/, '');
  const b = domain.toLowerCase().replace(/\.$/, '');
  return b.length > 0 && (a === b || a.endsWith(`.${b}`));
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
