/**
 * What a block's last run came to, in one line for the CodeLens above it ("550 5.7.1 rejected: relay
 * denied"), with the classifier's full sentence for the hover. No `vscode` here.
 */
import type { Classification } from '../relay/classification';
import { classifyReply } from '../relay/classifyReply';
import { inferLocalDomains } from '../relay/localDomains';
import type { ConnectionFacts } from './builtinVariables';
import type { BlockReply, BlockRunResult } from './smtpFileConversation';

export type BlockOutcomeKind = 'relayed' | 'ndr-pending' | 'rejected' | 'accepted' | 'stopped';

export interface BlockOutcome {
  kind: BlockOutcomeKind;
  /** Short: "550 5.7.1 rejected (relay denied)". */
  label: string;
  /** A sentence for a person: the classifier's reason, or why the block stopped. */
  detail: string;
}

const signalLabels: Partial<Record<string, string>> = {
  'relay-denied': 'relay denied',
  harvest: 'unknown user: harvest signal',
  'auth-required': 'authentication required',
  syntax: 'syntax',
  'service-closing': 'service closing',
};

/**
 * The reply that tells most about the block, among the lines it sent itself: an acceptance that relays
 * (the headline of any relay test), else the first rejection (a refused MAIL explains the RCPT after it),
 * else an NDR-pending acceptance, else the last reply.
 */
export function outcomeOfBlock(result: BlockRunResult, facts: ConnectionFacts, configuredLocalDomains: readonly string[]): BlockOutcome | undefined {
  if (result.error) {
    return { kind: 'stopped', label: 'stopped', detail: result.error.message };
  }
  const localDomains = inferLocalDomains(facts.greeting, facts.ehloReply, configuredLocalDomains);
  const own = result.replies
    .filter((answered) => answered.line !== undefined)
    .map((answered) => ({ answered, classification: classifyReply(answered.reply, { command: answered.command, localDomains }) }));
  const telling =
    own.find(({ classification }) => classification.signals.includes('relay')) ??
    own.find(({ classification }) => classification.class === 'rejection') ??
    own.find(({ classification }) => classification.class === 'ndr-pending') ??
    own.at(-1);
  if (!telling) {
    const greeting = result.replies.find((answered) => answered.command === '');
    return greeting && (greeting.reply.code < 200 || greeting.reply.code >= 300)
      ? { kind: 'stopped', label: `greeting ${greeting.reply.code}`, detail: 'the server refused the session in its greeting' }
      : undefined;
  }
  return describe(telling.answered, telling.classification);
}

function describe(answered: BlockReply, classification: Classification): BlockOutcome {
  const code = [answered.reply.code, answered.reply.enhanced].filter((part) => part !== undefined).join(' ');
  const signal = classification.signals.map((name) => signalLabels[name]).find((label) => label !== undefined);
  const verb = answered.command === '.' ? 'end of data' : answered.command.split(/[\s:]/)[0].toUpperCase();
  if (classification.signals.includes('relay')) {
    return { kind: 'relayed', label: `${verb} ${code} RELAYED`, detail: classification.reason };
  }
  switch (classification.class) {
    case 'ndr-pending':
      return { kind: 'ndr-pending', label: `${verb} ${code} NDR-pending`, detail: classification.reason };
    case 'rejection':
      return {
        kind: 'rejected',
        label: `${verb} ${code} ${classification.temporary ? 'temporarily rejected' : 'rejected'}${signal ? ` (${signal})` : ''}`,
        detail: classification.reason,
      };
    default:
      return { kind: 'accepted', label: `${verb} ${code} accepted`, detail: classification.reason };
  }
}
