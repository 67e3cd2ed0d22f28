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
