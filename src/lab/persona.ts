import type { MailPath } from './mailPath';
import type { LabSite } from './site';

export type PersonaName = 'exchange' | 'postfix' | 'open' | 'harvest' | 'tarpit' | 'trusted-network';

/** One reply line. `text` carries the enhanced status code when the persona sends one ("2.1.5 Ok"). */
export interface LabReply {
  code: number;
  text: string;
}

/** What happens to an accepted recipient once the message is in. */
export type RecipientFate =
  | { kind: 'deliver' } // a local mailbox: stored in the outbox
  | { kind: 'relay' } // another domain: what an open relay WOULD forward, recorded, never sent
  | { kind: 'bounce'; status: string; diagnostic: string }; // accepted without a directory lookup: an NDR follows

export interface AcceptedRecipient {
  /** The address as the server understood it, e.g. `R%RD@corp.example` after appending the local domain. */
  address: string;
  fate: RecipientFate;
}

export interface SenderDecision {
  reply: LabReply;
  /** Set when accepted: the sender as understood, "" for the null sender. */
  acceptedAddress?: string;
}

export interface RecipientDecision {
  reply: LabReply;
  accepted?: AcceptedRecipient;
}

/** The EHLO extensions a persona advertises (STARTTLS is added by the server when TLS is possible). */
export interface PersonaFeatures {
  enhancedStatusCodes: boolean;
  pipelining: boolean;
  eightBitMime: boolean;
  smtpUtf8: boolean;
  /** SIZE, in bytes; also the limit enforced. */
  maxMessageSize: number;
}

/** The fixed replies of a persona, for commands whose outcome does not depend on an address. */
export interface PersonaReplies {
  reset: LabReply;
  senderSyntax: LabReply;
  recipientSyntax: LabReply;
  needMail: LabReply;
  nestedMail: LabReply;
}

/** The client a decision is about: the address the server judges (the XCLIENT ADDR once one was given). */
export interface LabClient {
  address: string;
}

/** How one kind of server talks: its banner, its replies, and its relay and recipient policy. */
export interface Persona {
  readonly name: PersonaName;
  /** One line for --help and the lab banner. */
  readonly summary: string;
  readonly features: PersonaFeatures;
  readonly replies: PersonaReplies;
  /** The greeting text after "220 ". */
  banner(site: LabSite): string;
  /** The first EHLO/HELO line in smtp-server's format: the first %s is the server name, the second the client. */
  readonly heloResponse: string;
  /** The text of the 250 after end-of-data (smtp-server adds the enhanced code when advertised). */
  queuedText(queueId: string, site: LabSite): string;
  mailFrom(path: MailPath, site: LabSite): SenderDecision;
  rcptTo(path: MailPath, site: LabSite, client?: LabClient): RecipientDecision;
  /**
   * The clients offered XCLIENT (Postfix's smtpd_authorized_xclient_hosts), by the address they connect
   * from; after XCLIENT ADDR=<ip> the persona judges <ip>. Without it XCLIENT is neither offered nor allowed.
   */
  readonly xclientHosts?: readonly string[];
  /** A tarpit's delay before the reply to the n-th failed recipient of a connection (n starts at 1). */
  rejectionDelayMs?(failedRecipients: number): number;
}

export function reply(code: number, text: string): LabReply {
  return { code, text };
}
