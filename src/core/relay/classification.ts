import type { SmtpReply } from '../protocol/reply';

/** The three outcomes of KB 304897 for a server reply. */
export type ReplyClass = 'rejection' | 'acceptance' | 'ndr-pending';

/** Extra facts a reply reveals beyond its class. */
export type ReplySignal =
  | 'relay' // a remote recipient was accepted: the server relays
  | 'relay-denied' // X.7.1 or a known relay-denial text
  | 'harvest' // 5.1.1 at RCPT: the server tells which users exist
  | 'auth-required' // 530 / 5.7.0
  | 'syntax' // 500, 501, 555: the command or its address form was refused as syntax
  | 'service-closing' // 421: the server is closing the connection
  | 'local-domain-appended' // the server echoed the recipient with a local domain appended or substituted: proof of local handling
  | 'local-recipient' // a plain address in a local domain (or with no domain) was accepted: ordinary inbound mail, no finding
  | 'ambiguous' // a routing form addressed to a local domain was accepted with nothing that proves where it goes
  | 'protocol-violation' // not a valid answer: a code outside 2yz-5yz, a 3yz to RCPT, or lines with different codes
  | 'sequence'; // 503 (bad sequence) to RCPT: a consequence of a refused or missing MAIL FROM, not a verdict

export interface ReplyContext {
  /** The command line this reply answers, as sent ("RCPT TO:<a@b>"), or "" for the greeting. */
  command: string;
  /** The recipient address of RCPT (without angle brackets), when the command is RCPT. */
  recipient?: string;
  /** The recipients already accepted in this transaction, for the reply to end-of-data. */
  acceptedRecipients?: string[];
  /** The domains the server receives mail for (configured, or inferred from banner and EHLO). */
  localDomains: string[];
  /** The MAIL FROM of this transaction was refused (or never accepted): a 503 to RCPT is its consequence. */
  mailRefused?: boolean;
}

export interface Classification {
  class: ReplyClass;
  /** 4yz: the server may say otherwise later. */
  temporary: boolean;
  /** The enhanced code exactly as the server wrote it; absent when it sent none. */
  enhanced?: string;
  /** What the enhanced code means (RFC 3463), e.g. "delivery not authorized (relay denied)". */
  enhancedMeaning?: string;
  /**
   * When the server sent no enhanced code: the one RFC 3463 suggests for the basic code, for explanations
   * only. Never shown as if the server had sent it.
   */
  inferredEnhanced?: string;
  /** One sentence a person understands, e.g. "550 5.7.1: relay denied: the server refused to forward…". */
  reason: string;
  signals: ReplySignal[];
}

export type ClassifyReply = (reply: SmtpReply, context: ReplyContext) => Classification;
