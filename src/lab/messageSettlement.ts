import { buildNonDeliveryReport } from './ndr';
import type { Outbox, OutboxMessage } from './outbox';
import type { AcceptedRecipient } from './persona';
import type { LabSite } from './site';

export interface AcceptedMessage {
  connectionId: string;
  /** "" for the null sender. */
  sender: string;
  recipients: AcceptedRecipient[];
  /** As received after DATA, with CRLF line endings and dot-stuffing removed. */
  content: string;
  receivedAt: Date;
}

/** What became of one accepted message; every part of it is also in the outbox. */
export interface Settlement {
  delivered?: OutboxMessage;
  wouldRelay?: OutboxMessage;
  nonDeliveryReport?: OutboxMessage;
  /** Set when recipients bounced but no NDR could be sent: the message itself had the null sender. */
  bounceSuppressed?: string;
}

/**
 * Does, inside the outbox only, what the server promised with its 250 after end-of-data (RFC 5321
 * §4.2.5): local mailboxes get the message, relayed recipients are recorded as would-relay, and the
 * recipients that do not resolve are reported to the sender in one NDR sent from the null sender.
 */
export function settleAcceptedMessage(message: AcceptedMessage, site: LabSite, outbox: Outbox): Settlement {
  const settlement: Settlement = {};
  const envelope = { at: message.receivedAt.getTime(), connectionId: message.connectionId, mailFrom: message.sender, content: message.content };
  const addressesWith = (kind: AcceptedRecipient['fate']['kind']) =>
    message.recipients.filter((recipient) => recipient.fate.kind === kind).map((recipient) => recipient.address);

  const local = addressesWith('deliver');
  if (local.length > 0) {
    settlement.delivered = outbox.add({ ...envelope, kind: 'delivered', rcptTo: local });
  }
  const remote = addressesWith('relay');
  if (remote.length > 0) {
    settlement.wouldRelay = outbox.add({ ...envelope, kind: 'would-relay', rcptTo: remote });
  }

  const failed = message.recipients.flatMap((recipient) =>
    recipient.fate.kind === 'bounce'
      ? [{ address: recipient.address, status: recipient.fate.status, diagnostic: recipient.fate.diagnostic }]
      : [],
  );
  if (failed.length === 0) {
    return settlement;
  }
  if (message.sender === '') {
    // RFC 5321 §4.5.5: a notification is never sent about a message that itself had the null sender.
    settlement.bounceSuppressed = `no NDR for ${failed.map((recipient) => recipient.address).join(', ')}: the message had the null sender`;
    return settlement;
  }
  const content = buildNonDeliveryReport({
    reportingMta: site.serverName,
    originalSender: message.sender,
    failedRecipients: failed,
    originalMessage: message.content,
    arrivalDate: message.receivedAt,
  });
  settlement.nonDeliveryReport = outbox.add({
    at: Date.now(),
    connectionId: message.connectionId,
    kind: 'ndr',
    mailFrom: '',
    rcptTo: [message.sender],
    content,
  });
  return settlement;
}
