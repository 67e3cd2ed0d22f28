import type { RelayReportJson } from '../relay/relayJson';
import type { RelayReport, RelayVerdict } from '../relay/relayTypes';
import type { MailDomainResolution, MailHostAddress } from './mxResolution';

/** One address of a mail domain and what its run found; 'error' when it could not be tested at all. */
export interface DomainHostResult {
  names: string[];
  preference: number;
  address: string | null;
  port: number;
  verdict: RelayVerdict | 'error';
  /** Why 'error' (unreachable, no address). */
  problem?: string;
  report?: RelayReport;
}

export interface DomainReport {
  domain: string;
  source: MailDomainResolution['source'];
  verdict: RelayVerdict;
  warnings: string[];
  hosts: DomainHostResult[];
}

/** Addresses tested at a time when the caller does not say (the CLI's --parallel default). */
export const defaultDomainParallel = 4;

/**
 * When no test got a single reply because the server could not be reached (or refused the session
 * outright), the run is an error, not a verdict: one line says why. Undefined when the server was reached.
 */
export function unreachableReason(report: RelayReport): string | undefined {
  const reached = report.tests.some((test) => test.outcome !== 'error' || test.replies.length > 0);
  if (reached || report.tests.length === 0) {
    return undefined;
  }
  return report.tests[0].reason.replace(/^Not run:\s*/, '').replace(/\.$/, '');
}

/** Worst of the hosts: open beats inconclusive (and any error) beats closed. */
export function worstVerdict(verdicts: readonly (RelayVerdict | 'error')[]): RelayVerdict {
  if (verdicts.includes('open')) return 'open';
  if (verdicts.length === 0 || verdicts.some((verdict) => verdict !== 'closed')) return 'inconclusive';
  return 'closed';
}

/** Runs `task` over `items` with at most `parallel` at a time, keeping the order of the results. */
export async function boundedMap<T, R>(items: readonly T[], parallel: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, items.length)) }, () => worker()));
  return results;
}

/**
 * Tests every distinct address of the domain once (`testAddress` runs the suite against one address),
 * `parallel` at a time, and judges the domain by its worst host; an address not reached is an 'error' host.
 */
export async function runDomain(
  resolution: MailDomainResolution,
  port: number,
  parallel: number,
  testAddress: (host: MailHostAddress) => Promise<RelayReport>,
): Promise<DomainReport> {
  const tested = await boundedMap(resolution.addresses, parallel, async (host): Promise<DomainHostResult> => {
    const report = await testAddress(host);
    const unreachable = unreachableReason(report);
    return {
      names: host.names,
      preference: host.preference,
      address: host.address,
      port,
      verdict: unreachable ? 'error' : report.verdict,
      ...(unreachable ? { problem: unreachable } : {}),
      report,
    };
  });
  const broken: DomainHostResult[] = resolution.problems.map((problem) => ({
    names: [problem.name],
    preference: problem.preference,
    address: null,
    port,
    verdict: 'error',
    problem: `${problem.name}: ${problem.problem}`,
  }));
  const hosts = [...tested, ...broken].sort((a, b) => a.preference - b.preference);
  const warnings: string[] = [];
  if (resolution.source === 'address') {
    warnings.push(`${resolution.domain} has no MX records: its own address was tested, as senders would use it (RFC 5321 §5.1).`);
  }
  for (const host of hosts.filter((candidate) => candidate.verdict === 'error')) {
    warnings.push(`${host.address ?? host.names[0]} could not be tested (${host.problem}): the domain's verdict cannot be "closed".`);
  }
  return { domain: resolution.domain, source: resolution.source, verdict: worstVerdict(hosts.map((host) => host.verdict)), warnings, hosts };
}

export interface DomainReportJson {
  domain: string;
  verdict: RelayVerdict;
  warnings: string[];
  hosts: {
    names: string[];
    preference: number;
    address: string | null;
    port: number;
    verdict: RelayVerdict | 'error';
    tests: RelayReportJson['tests'];
    transcript: string;
    warnings: string[];
  }[];
}

export function domainReportToJson(report: DomainReport, hostJson: (report: RelayReport) => RelayReportJson): DomainReportJson {
  return {
    domain: report.domain,
    verdict: report.verdict,
    warnings: [...report.warnings],
    hosts: report.hosts.map((host) => {
      const json = host.report ? hostJson(host.report) : undefined;
      return {
        names: [...host.names],
        preference: host.preference,
        address: host.address,
        port: host.port,
        verdict: host.verdict,
        tests: json?.tests ?? [],
        transcript: json?.transcript ?? '',
        warnings: host.problem ? [host.problem, ...(json?.warnings ?? [])] : (json?.warnings ?? []),
      };
    }),
  };
}

/** The human report: a table of hosts and addresses with their verdicts, then the details of each host that is not closed. */
export function renderDomainReport(report: DomainReport, renderHost: (report: RelayReport) => string): string {
  const lines = [`Domain:  ${report.domain} (${report.source === 'mx' ? 'MX hosts' : 'no MX: its own address'})`, `Verdict: ${report.verdict.toUpperCase()} (worst of ${report.hosts.length} host${report.hosts.length === 1 ? '' : 's'})`, ''];
  const rows = report.hosts.map((host) => [String(host.preference), host.names.join(', '), host.address ?? '-', host.verdict]);
  const header = ['pref', 'MX names', 'address', 'verdict'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  for (const row of [header, ...rows]) {
    lines.push(`  ${row.map((cell, column) => cell.padEnd(widths[column])).join('  ')}`.trimEnd());
  }
  for (const host of report.hosts.filter((candidate) => candidate.verdict !== 'closed')) {
    lines.push('', `--- ${host.address ?? host.names[0]} (${host.names.join(', ')}): ${host.verdict}`);
    if (host.problem) lines.push(`    ${host.problem}`);
    if (host.report && host.verdict !== 'error') lines.push(renderHost(host.report).trimEnd());
  }
  if (report.warnings.length > 0) {
    lines.push('', 'Warnings:', ...report.warnings.map((warning) => `  ! ${warning}`));
  }
  return `${lines.join('\n')}\n`;
}
