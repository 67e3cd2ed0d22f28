import type { ReplyClass, ReplySignal } from './classification';
import type { ClientPosition } from '../reach/clientPosition';
import type { DeliveryConfirmation } from '../reach/confirmationTypes';
import type { SessionOptions, TlsMode } from '../protocol/sessionOptions';
import type { TranscriptEvent } from '../transcript/transcriptEvent';

export type RelayTestGroup = 'kb' | 'control' | 'extended';

/** What the user tells us about the server under test. */
export interface RelayTestParameters {
  /** Domains the server receives mail for; the first is used to build addresses. */
  localDomains: string[];
  /** A mailbox that exists on the server (local part only), used by the control and the KB's "L". */
  localUser: string;
  /** A domain the server must not relay to. */
  remoteDomain: string;
  /** Local part of the remote recipient. */
  remoteUser: string;
  /** The server's address, for IP-literal tests ([IP]). */
  serverAddress: string;
  /** The server's own name (from its banner when not given), for server-name tests. */
  serverName?: string;
  /** The name sent with EHLO. */
  heloName: string;
  /** RFC 5321 <...> around addresses (default), or the bare form the KB types. */
  addressForm: 'bracketed' | 'bare';
}

/** The addresses one test sends, already in the form the server sees. */
export interface RelayTestAddresses {
  mailFrom: string;
  rcptTo: string;
}

export interface RelayTestDefinition {
  id: string;
  group: RelayTestGroup;
  title: string;
  /** In our own words: what the test probes. */
  probes: string;
  /** What a closed server answers, in one line. */
  closedServerAnswers: string;
  /** Whether a closed server is expected to accept RCPT (tests 6 and 7, the control). */
  closedServerAccepts: boolean;
  /** The addresses this test sends to a server described by `parameters`, in their RFC 5321 or bare form. */
  build(parameters: RelayTestParameters): RelayTestAddresses;
}

export type RelayTestOutcome = 'passed' | 'failed' | 'needs-confirmation' | 'inconclusive' | 'error';

/**
 * How a test's outcome was proven (the evidence rules, classifyReply.ts):
 *   refused           the server refused it (at MAIL or RCPT);
 *   accepted          the server accepted a remote recipient, or a routing form without proof of local handling;
 *   echo              the reply echoed the recipient with a local domain appended or substituted (NDR-pending);
 *   local-recipient   an ordinary recipient in a local domain was accepted: no relay attempt;
 *   lab-outbox-ndr    the practice server's own outbox holds the NDR for the test message;
 *   lab-outbox-relay  the practice server's own outbox holds the copy it would relay;
 *   catcher-ndr / catcher-relay  the same, seen at the catcher or IMAP mailbox (--catcher);
 *   none              nothing proves it either way (ambiguous acceptance, protocol violation, no reply).
 */
export type RelayProof =
  | 'refused'
  | 'accepted'
  | 'echo'
  | 'local-recipient'
  | 'lab-outbox-ndr'
  | 'lab-outbox-relay'
  | 'catcher-ndr' // an NDR quoting the test's token reached the catcher (or the IMAP mailbox)
  | 'catcher-relay' // a relayed copy carrying the token reached the catcher
  | 'none';

/** What a delivery check found for one test message (the lab outbox, or a catcher). */
export interface DeliveryEvidence {
  /** relayed: a copy went (or would go) to the remote domain; bounced: an NDR came back; none: neither. */
  result: 'relayed' | 'bounced' | 'none';
  method: 'lab-outbox';
  /** One line that shows it, e.g. the NDR's status or the would-relay envelope. */
  evidence: string;
}
export type RelayVerdict = 'closed' | 'open' | 'inconclusive';

export interface ClassifiedReplyRecord {
  /** The command the reply answers, as sent. */
  command: string;
  code: number;
  /** The enhanced code the server wrote; null when it wrote none. */
  enhanced: string | null;
  /** When it wrote none: the code RFC 3463 suggests for the basic code, for explanations only. */
  inferredEnhanced?: string;
  text: string;
  class: ReplyClass;
  temporary: boolean;
  reason: string;
  /** What else the reply revealed (relay, harvest, auth-required...); absent when nothing. */
  signals?: ReplySignal[];
  /** From the command sent to its complete reply: a tarpit shows as slow, not broken. */
  latencyMs?: number;
}

/**
 * When a test's own sender was refused at MAIL, its recipient was tried again with a sender the server
 * had accepted (the control's), so that the recipient form was answered too. The test's outcome is then
 * the recipient part's; `replies` hold both parts in order.
 */
export interface SenderRetry {
  /** The accepted sender the recipient was tried with, as sent. */
  mailFrom: string;
  /** The test's own sender, as sent, and the server's answer to it: the first part. */
  refusedSender: string;
  senderReply: string;
}

export interface RelayTestResult {
  id: string;
  title: string;
  group: RelayTestGroup;
  mailFrom: string;
  rcptTo: string;
  outcome: RelayTestOutcome;
  /** Why this outcome, naming the reply that led to it. */
  reason: string;
  /** How the outcome was proven; absent in results made before the evidence rules. */
  proof?: RelayProof;
  replies: ClassifiedReplyRecord[];
  durationMs: number;
  /** Set when the test's sender was refused and its recipient was tried with an accepted sender. */
  senderRetry?: SenderRetry;
  /** What the catcher or mailbox received for this test's token (confirmation by delivery). */
  confirmation?: DeliveryConfirmation;
}

export interface RelayRunOptions {
  session: SessionOptions;
  parameters: RelayTestParameters;
  /** Test ids to run, in order. The control always runs first when present. */
  testIds: string[];
  /** Only when true is DATA sent, to confirm NDR-pending results by delivery. Never by default. */
  confirmByDelivery?: boolean;
  /**
   * With confirmByDelivery: send DATA for every relay test whose recipient was accepted (failed or passed
   * at RCPT too), so that a catcher can prove by the copy or the NDR it receives (reach/deliveryConfirmation.ts).
   */
  confirmRelayed?: boolean;
  /**
   * DATA only for the tests nothing else proves (an ambiguous acceptance): what `--lab` does against its own
   * practice server, where delivery is safe. Ignored when confirmByDelivery is set (that confirms all).
   */
  confirmUnprovenByDelivery?: boolean;
  /** Reads what became of a test message once the server accepted it (the lab outbox); undefined when unknown. */
  deliveryEvidence?: (test: RelayTestDefinition) => DeliveryEvidence | undefined;
  signal?: AbortSignal;
  /** Bounds the whole run: when it passes, the remaining tests are 'error' with a reason. */
  deadlineMs?: number;
  /**
   * Retry a test the server greylists (a 4yz that is not a relay denial) with the same sender and
   * recipient, after a backoff bounded by the deadline. On by default; these are the waits when the
   * server names no delay (greylisting.ts's greylistBackoffMs by default).
   */
  greylistRetry?: boolean | { backoffMs: readonly number[] };
  /** Every test's envelope sender (MAIL FROM), e.g. so that NDRs reach the user; as typed, without <>. */
  mailFrom?: string;
  /** A unique token per test for the message sent by confirmByDelivery (Message-ID, subject, body). */
  messageToken?: (test: RelayTestDefinition) => string;
  onEvent?: (event: TranscriptEvent) => void;
  onTestStarted?: (test: RelayTestDefinition) => void;
  onTestFinished?: (result: RelayTestResult) => void;
}

/** One connection of a run: where the tester stood and how fast the server greeted. */
export interface RelayConnectionRecord {
  /** The local address and port the connection used. */
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
  /** The client address given to the server with XCLIENT, when the run tests as another client. */
  asClient?: string;
  /** How the connection was protected: 'none' also when STARTTLS was offered and the server did not advertise it. */
  tls: 'implicit' | 'starttls' | 'none';
  greetingLatencyMs: number;
  ehloLatencyMs: number;
}

/** Where the run's local domains came from (the user's, or inferred from the server's words). */
export interface LocalDomainsUsed {
  source: 'configured' | 'inferred' | 'none';
  domains: string[];
  /** The names the server gave itself in its banner and EHLO reply. */
  serverNames: string[];
  /** The remote test domain, which is never local (a server that names itself inside it is not judged closed). */
  remoteDomain?: string;
}

/** How a run spoke TLS: the mode asked for, whether STARTTLS was demanded, and whether tests went in clear text. */
export interface RelayTlsUse {
  mode: TlsMode;
  /** 'starttls' only: a server that does not advertise STARTTLS fails the run instead of being tested in clear text. */
  required: boolean;
  /** Some test went over a connection without TLS (always, for mode 'none'). */
  clearText: boolean;
}

export interface RelayReport {
  target: { host: string; port: number; asClient?: string };
  /** Absent in reports made before this field, and in the terminal's (its session's own TLS is on screen). */
  tls?: RelayTlsUse;
  verdict: RelayVerdict;
  warnings: string[];
  /** The local domains the run used and where they came from; absent in reports made before this field. */
  localDomains?: LocalDomainsUsed;
  /** The server software recognised from its banner and EHLO reply, when it was. */
  mta?: { name: string; label: string; evidence: string };
  tests: RelayTestResult[];
  transcript: TranscriptEvent[];
  startedAt: number;
  durationMs: number;
  /**
   * From the start of the first test to the end of the last, when the tests did not run in one go (the
   * session terminal's and the walkthrough's, run as the user asks): durationMs is then the tests' own time.
   */
  elapsedMs?: number;
  /** Every connection the run opened, in order. */
  connections?: RelayConnectionRecord[];
  /** Tests the server greylisted, and how long it took until it answered for real. */
  greylisting?: GreylistRecord[];
  /** Where the tester stood (the first connection's local address, or the XCLIENT address). */
  client?: ClientPosition;
}

export interface GreylistRecord {
  testId: string;
  /** The first 4yz, as the server sent it. */
  firstReply: string;
  /** Retries made. */
  retries: number;
  /** From the first 4yz to the answer that let the test through; undefined when it never did. */
  letThroughAfterMs?: number;
}
