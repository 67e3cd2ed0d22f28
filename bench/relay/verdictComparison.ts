/**
 * When the tools disagree on a target, which one is right, and why. The lab targets can prove it: our
 * runner is run once more with confirmByDelivery (DATA for the tests left NDR-pending; safe here, since
 * nothing these servers accept can leave the machine), and the target says where the messages went.
 */
import { selectRelayTests } from '../../src/core/relay/relayCatalogue';
import { runRelaySuite } from '../../src/core/relay/relayRunner';
import { trustedNetworkWarning } from '../../src/core/relay/relayVerdict';
import type { BenchTarget, DeliveryEvidence } from './benchTargets';
import { benchRelayParameters, type RelayToolRun } from './relayTool';

export interface ToolVerdict {
  tool: string;
  /** The verdict most runs gave (runs of one tool on one target never differed in practice). */
  run: RelayToolRun;
}

/** The run whose verdict is the most common among the runs: the one to quote. */
export function typicalRun(runs: readonly RelayToolRun[]): RelayToolRun {
  const counts = new Map<string, number>();
  for (const run of runs) {
    counts.set(run.verdict, (counts.get(run.verdict) ?? 0) + 1);
  }
  const [verdict] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
  return runs.find((run) => run.verdict === verdict)!;
}

/** Delivers the NDR-pending tests for real on the lab target, and reports where the messages went. */
export async function deliveryProof(target: BenchTarget): Promise<DeliveryEvidence> {
  const before = await target.evidence();
  await runRelaySuite({
    session: { host: target.host, port: target.port, tls: 'none' },
    parameters: { ...benchRelayParameters, localDomains: [target.localDomain], serverAddress: '', addressForm: 'bracketed' },
    testIds: selectRelayTests('all').map((test) => test.id),
    confirmByDelivery: true,
  });
  // Postfix hands messages to its pipes a moment after accepting them: wait until the count settles.
  let after = await target.evidence();
  for (let poll = 0; poll < 40; poll++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const next = await target.evidence();
    const settled = count(next) === count(after) && count(next) > count(before);
    after = next;
    if (settled) {
      break;
    }
  }
  return {
    relayed: after.relayed.slice(before.relayed.length),
    delivered: after.delivered.slice(before.delivered.length),
    bounced: after.bounced.slice(before.bounced.length),
  };
}

function count(evidence: DeliveryEvidence): number {
  return evidence.relayed.length + evidence.delivered.length + evidence.bounced.length;
}

function listed(items: readonly string[], shown = 4): string {
  return items.length <= shown ? items.join(', ') : `${items.slice(0, shown).join(', ')} and ${items.length - shown} more`;
}

/** One sentence per peer that disagrees with us, saying who is right and why; plus what only we warned about. */
export async function explainVerdicts(target: BenchTarget, ours: ToolVerdict, peers: readonly ToolVerdict[]): Promise<string[]> {
  const notes: string[] = [];
  let proof: DeliveryEvidence | undefined;
  const proved = async (): Promise<DeliveryEvidence> => (proof ??= await deliveryProof(target));

  const agreeing = peers.filter((peer) => peer.run.verdict === ours.run.verdict).map((peer) => peer.tool);
  if (agreeing.length === peers.length) {
    notes.push(`All tools agree: ${ours.run.verdict}.`);
  } else if (agreeing.length > 0) {
    notes.push(`${listed(agreeing)} agree${agreeing.length === 1 ? 's' : ''} with ${ours.tool}: ${ours.run.verdict}.`);
  }
  for (const peer of peers.filter((candidate) => candidate.run.verdict !== ours.run.verdict)) {
    if (peer.run.verdict === 'error' || peer.run.verdict === 'inconclusive') {
      notes.push(`${peer.tool} gave no verdict (${peer.run.detail}); ${ours.tool} says ${ours.run.verdict}.`);
      continue;
    }
    if (peer.run.verdict === 'open' && ours.run.verdict === 'closed') {
      const evidence = await proved();
      const pending = ours.run.pending ?? [];
      const what =
        `${peer.tool} says open (${peer.run.detail}): it counts every accepted RCPT as a relay. ` +
        `${ours.tool} says closed: those recipients were accepted for local delivery, with the local domain appended ` +
        `(NDR-pending: ${listed(pending)}).`;
      notes.push(
        evidence.relayed.length === 0
          ? `${ours.tool} is right. ${what} Delivery settles it: sending those tests' messages to this lab server relayed ` +
              `none and produced ${evidence.bounced.length} NDR${evidence.bounced.length === 1 ? '' : 's'} to the sender` +
              `${evidence.delivered.length > 0 ? ` and ${evidence.delivered.length} local deliveries` : ''} (KB 304897, tests 6 and 7: accepted, then an NDR).`
          : `${peer.tool} is right. ${what} But delivering them relayed ${evidence.relayed.length} (${listed(evidence.relayed)}): ` +
              'the server rewrote the address and forwarded it.',
      );
      continue;
    }
    if (peer.run.verdict === 'closed' && ours.run.verdict === 'open') {
      notes.push(
        `${ours.tool} is right: the server accepted remote recipients at RCPT (${listed(ours.run.counted)}), which is relay; ` +
          `${peer.tool} said "${peer.run.detail}" because it never sent those address forms.`,
      );
      continue;
    }
    notes.push(`${peer.tool} says ${peer.run.verdict} (${peer.run.detail}); ${ours.tool} says ${ours.run.verdict} (${ours.run.detail}).`);
  }
  // Agreeing on the verdict, a peer may still count as relays tests we left NDR-pending: delivery says which.
  const pending = ours.run.pending ?? [];
  const countedMore = peers.filter((peer) => peer.run.verdict === ours.run.verdict && peer.run.counted.length > ours.run.counted.length);
  if (ours.run.verdict === 'open' && pending.length > 0 && countedMore.length > 0) {
    const evidence = await proved();
    const relayedNote =
      evidence.relayed.length > 0 ? 'the server rewrote those addresses to the remote domain, so the higher counts were right' : 'so the higher counts were wrong';
    notes.push(
      `${listed(countedMore.map((peer) => peer.tool))} counted more relays than ${ours.tool}, which left ${pending.length} tests NDR-pending ` +
        `(%-hack, quoted, double-@ and bang forms at the server's own names). Delivering them settles it: ${evidence.relayed.length} relayed ` +
        `(${relayedNote}), ${evidence.delivered.length} delivered locally, ${evidence.bounced.length} bounced.`,
    );
  }
  if (ours.run.verdict === 'open' && ours.run.warnings?.includes(trustedNetworkWarning)) {
    const here = target.id === 'postfix-open' ? ': it is here (this lab instance trusts 127.0.0.0/8), so the same server is closed to the Internet' : '';
    notes.push(`Only ${ours.tool} warns that an accepted relay may only mean the client is trusted (Postfix mynetworks)${here}.`);
  }
  return notes;
}
