import { defaultDomainParallel, runDomain } from '../../core/reach/domainRun';
import type { MailDomainResolution, MailHostAddress } from '../../core/reach/mxResolution';
import type { RelayRunOptions } from '../../core/relay/relayTypes';
import type { LabContext } from '../labContext';
import { hostTargetOfDomain, type Target } from '../target';
import { runRelayTestsInWindow, type PreparedDelivery } from './relayRun';
import type { DomainVerdictRecord, RelayRunSource, RelayVerdictRecord } from './relayVerdictRecord';

export interface DomainRunInWindowRequest {
  /** A mail-domain target (`target.mailDomain` set). */
  target: Target;
  resolution: MailDomainResolution;
  /** The tests to run at each address (every address of `resolution` is tested). */
  testIdsFor: (address: string) => readonly string[];
  confirmByDelivery: boolean;
  /** From prepareDelivery. Only its sender and confirm timeout apply: one catcher cannot serve addresses tested side by side. */
  delivery?: PreparedDelivery;
  source: RelayRunSource;
  signal?: AbortSignal;
  /** The relay runner's hooks for one address's run (the Test Explorer reports each test on its own item). */
  hooksFor?: (host: MailHostAddress) => Pick<RelayRunOptions, 'onEvent' | 'onTestStarted' | 'onTestFinished'>;
}

/**
 * A mail-domain target's relay run from VS Code: the CLI's `relay --domain` (core/reach/domainRun.ts) with
 * each address run by the window's relay run (settings, transcripts store), the default parallelism, and
 * the same rule for an address that cannot be reached (error, never closed). What "Show Relay Verdict" shows
 * once published (relayVerdicts.publishDomain).
 */
export async function runDomainInWindow(lab: LabContext, request: DomainRunInWindowRequest): Promise<DomainVerdictRecord> {
  const records = new Map<string, RelayVerdictRecord>();
  const startedAt = Date.now();
  const delivery = request.delivery && withoutCatcher(request.delivery);
  const report = await runDomain(request.resolution, request.target.port, defaultDomainParallel, async (host) => {
    const address = host.address;
    const record = await runRelayTestsInWindow(lab, {
      target: hostTargetOfDomain(request.target, host),
      testIds: request.testIdsFor(address),
      confirmByDelivery: request.confirmByDelivery,
      source: request.source,
      ...(delivery ? { delivery } : {}),
      hooks: { ...(request.signal ? { signal: request.signal } : {}), ...(request.hooksFor?.(host) ?? {}) },
    });
    records.set(address, record);
    return record.report;
  });
  return { kind: 'domain', report, target: request.target, source: request.source, startedAt, records };
}

/** The sender and the confirm timeout the user agreed to, without the catcher (and its IMAP password). */
function withoutCatcher({ plan }: PreparedDelivery): PreparedDelivery {
  return { plan: { confirmTimeoutMs: plan.confirmTimeoutMs, ...(plan.mailFrom === undefined ? {} : { mailFrom: plan.mailFrom }) } };
}
