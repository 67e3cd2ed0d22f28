import type { ReplyClass } from './classification';
import type { ClientPosition } from '../reach/clientPosition';
import type { DeliveryConfirmation } from '../reach/confirmationTypes';
import type {
  GreylistRecord,
  LocalDomainsUsed,
  RelayConnectionRecord,
  RelayProof,
  RelayReport,
  RelayTestOutcome,
  RelayTlsUse,
  RelayVerdict,
  SenderRetry,
} from './relayTypes';
import { describeTarget } from '../protocol/sessionOptions';
import { writeTranscript } from '../transcript/transcriptFormat';

/** The JSON document `smtp-relay-lab relay --json` prints: stable keys, for scripts and tickets. */
export interface RelayReportJson {
  /** asClient: the address the server was asked (XCLIENT) to judge the tests as. */
  target: { host: string; port: number; asClient?: string };
  /** How the run spoke TLS: the mode, whether STARTTLS was required, whether tests went in clear text. */
  tls?: RelayTlsUse;
  verdict: RelayVerdict;
  warnings: string[];
  /** Where the tester stood: the connection's local address, and what kind of address the server judged. */
  client?: ClientPosition;
  /** Every connection of the run: local address, greeting and EHLO latency (ms). */
  connections?: RelayConnectionRecord[];
  /** Tests the server greylisted, with the retries and the delay that let them through. */
  greylisting?: GreylistRecord[];
  /** The local domains the run used: configured by the user, or inferred from the banner and EHLO name. */
  localDomains?: LocalDomainsUsed;
  /** The server software recognised from its banner and EHLO reply. */
  mta?: { name: string; label: string; evidence: string };
  tests: RelayTestJson[];
  /** The whole conversation in the transcript file format (transcriptFormat.ts). */
  transcript: string;
}

export interface RelayTestJson {
  id: string;
  title: string;
  mailFrom: string;
  rcptTo: string;
  outcome: RelayTestOutcome;
  reason: string;
  /** How the outcome was proven: refused, accepted, echo, local-recipient, lab-outbox-ndr, lab-outbox-relay, none. */
  proof?: RelayProof;
  replies: RelayReplyJson[];
  /** The test's sender was refused; its recipient was tried with this accepted sender (both parts in replies). */
  senderRetry?: SenderRetry;
  /** Only for tests confirmed by delivery to a catcher or mailbox. */
  confirmation?: DeliveryConfirmation;
}

export interface RelayReplyJson {
  command: string;
  code: number;
  /** Exactly as the server sent it; null when it sent none. */
  enhanced: string | null;
  /** When it sent none: the code RFC 3463 suggests for the basic code, marked as inferred. */
  inferredEnhanced?: string;
  text: string;
  class: ReplyClass;
  /** From the command sent to its complete reply, in ms: a tarpit shows as slow, not broken. */
  latencyMs?: number;
}

export function relayReportToJson(report: RelayReport, tool = 'smtp-relay-lab'): RelayReportJson {
  return {
    target: {
      host: report.target.host,
      port: report.target.port,
      ...(report.target.asClient === undefined ? {} : { asClient: report.target.asClient }),
    },
    ...(report.tls ? { tls: { ...report.tls } } : {}),
    verdict: report.verdict,
    warnings: [...report.warnings],
    ...(report.client ? { client: report.client } : {}),
    ...(report.connections ? { connections: report.connections } : {}),
    ...(report.greylisting ? { greylisting: report.greylisting } : {}),
    ...(report.localDomains ? { localDomains: { ...report.localDomains } } : {}),
    ...(report.mta ? { mta: { ...report.mta } } : {}),
    tests: report.tests.map((test) => ({
      id: test.id,
      title: test.title,
      mailFrom: test.mailFrom,
      rcptTo: test.rcptTo,
      outcome: test.outcome,
      reason: test.reason,
      ...(test.proof === undefined ? {} : { proof: test.proof }),
      replies: test.replies.map((record) => ({
        command: record.command,
        code: record.code,
        enhanced: record.enhanced,
        ...(record.inferredEnhanced === undefined ? {} : { inferredEnhanced: record.inferredEnhanced }),
        text: record.text,
        class: record.class,
        ...(record.latencyMs === undefined ? {} : { latencyMs: record.latencyMs }),
      })),
      ...(test.senderRetry ? { senderRetry: { ...test.senderRetry } } : {}),
      ...(test.confirmation ? { confirmation: { ...test.confirmation } } : {}),
    })),
    transcript: writeTranscript({
      header: { target: describeTarget(report.target), startedAt: report.startedAt, tool },
      events: report.transcript,
    }),
  };
}
