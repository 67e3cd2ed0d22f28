import type { DeliveryEvidence } from '../core/relayTypes';
import type { PracticeServer } from '../lab/practiceServer';

/** What `relay --lab --json` adds under "lab": the persona, whether DATA was sent, and the outbox. */
export interface LabOutboxSummary {
  persona: string;
  target: string;
  /** False proves the run never sent DATA, so the server was never given a message to relay. */
  dataSent: boolean;
  outbox: { kind: string; mailFrom: string; rcptTo: string[] }[];
}

export function labOutboxSummary(lab: PracticeServer): LabOutboxSummary {
  return {
    persona: lab.persona,
    target: `${lab.host}:${lab.port}`,
    dataSent: lab.log.commands().some((command) => /^DATA\b/i.test(command)),
    outbox: lab.outbox.messages.map((message) => ({ kind: message.kind, mailFrom: message.mailFrom, rcptTo: [...message.rcptTo] })),
  };
}

/** The same for the text report: a few lines after it. */
export function labReportSection(lab: PracticeServer): string {
  const summary = labOutboxSummary(lab);
  const lines = [`Lab server: ${summary.persona} persona on ${summary.target} (stopped).`];
  lines.push(
    summary.dataSent
      ? 'DATA was sent to this practice server (--confirm-by-delivery, or --lab confirming what the replies could not prove); nothing left the machine.'
      : 'No DATA was sent: the server never received a message to relay.',
  );
  if (summary.outbox.length === 0) {
    lines.push('Outbox: empty.');
  } else {
    lines.push('Outbox (nothing in it left the machine):');
    for (const message of summary.outbox) {
      const label = { delivered: 'delivered   ', 'would-relay': 'WOULD RELAY ', ndr: 'NDR         ' }[message.kind] ?? message.kind;
      lines.push(`  ${label} from <${message.mailFrom}> to ${message.rcptTo.map((address) => `<${address}>`).join(', ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Confirmation by delivery against our own practice server: what its outbox holds for a test message
 * (matched by the X-Relay-Lab-Test header the message carries, which an NDR quotes with the original
 * headers). A would-relay copy proves the relay; an NDR proves local handling. Nothing leaves the machine.
 */
export function labDeliveryEvidence(lab: PracticeServer): (test: { id: string }) => DeliveryEvidence | undefined {
  return (test) => {
    const marker = new RegExp(`^X-Relay-Lab-Test: ${test.id.replace(/[^\w-]/g, '')}\\r?$`, 'm');
    const messages = lab.outbox.messages.filter((message) => marker.test(message.content));
    const relayed = messages.find((message) => message.kind === 'would-relay');
    if (relayed) {
      return { result: 'relayed', method: 'lab-outbox', evidence: `the lab outbox holds a copy it would relay to ${relayed.rcptTo.map((to) => `<${to}>`).join(', ')}` };
    }
    const ndr = messages.find((message) => message.kind === 'ndr');
    if (ndr) {
      const status = /^Status: (\S+)/m.exec(ndr.content)?.[1];
      const recipient = /^Final-Recipient: rfc822; *(\S+)/m.exec(ndr.content)?.[1];
      return {
        result: 'bounced',
        method: 'lab-outbox',
        evidence: `the lab outbox holds the NDR to <${ndr.rcptTo.join('>, <')}>${recipient ? ` for ${recipient}` : ''}${status ? ` (${status})` : ''}`,
      };
    }
    return undefined;
  };
}
