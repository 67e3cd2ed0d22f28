import type { DeliveryEvidence } from '../core/relay/relayTypes';
import type { PracticeServer } from './practiceServer';

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
