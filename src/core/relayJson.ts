import type { ReplyClass } from './classification';
import type { ClientPosition } from './reach/clientPosition';
import type { DeliveryConfirmation } from './reach/confirmationTypes';
import type { GreylistRecord, RelayConnectionRecord, RelayReport, RelayTestOutcome, RelayVerdict, SenderRetry } from './relayTypes';
import { describeTarget } from './sessionOptions';
import { writeTranscript } from './transcriptFormat';

/** The JSON document `smtp-relay-lab relay --json` prints: stable keys, for scripts and tickets. */
export interface RelayReportJson {
  /** asClient: the address the server was asked (XCLIENT) to judge the tests as. */
  target: { host: string; port: number; asClient?: string };
  verdict: RelayVerdict;
  warnings: string[];
  /** Where the tester stood: the connection's local address, and what kind of address the server judged. */
  client?: ClientPosition;
  /** Every connection of the run: local address, greeting and EHLO latency (ms). */
  connections?: RelayConnectionRecord[];
  /** Tests the server greylisted, with the retries and the delay that let them through. */
  greylisting?: GreylistRecord[];
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
  replies: RelayReplyJson[];
  /** The test's sender was refused; its recipient was tried with this accepted sender (both parts in replies). */
  senderRetry?: SenderRetry;
  /** Only for tests confirmed by delivery to a catcher or mailbox. */
  confirmation?: DeliveryConfirmation;
}

export interface RelayReplyJson {
  command: string;
  code: number;
  /** As sent, or inferred from the basic code when the server sent none; null when neither. */
  enhanced: string | null;
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
    verdict: report.verdict,
    warnings: [...report.warnings],
    ...(report.client ? { client: report.client } : {}),
    ...(report.connections ? { connections: report.connections } : {}),
    ...(report.greylisting ? { greylisting: report.greylisting } : {}),
    tests: report.tests.map((test) => ({
      id: test.id,
      title: test.title,
      mailFrom: test.mailFrom,
      rcptTo: test.rcptTo,
      outcome: test.outcome,
      reason: test.reason,
      replies: test.replies.map((record) => ({
        command: record.command,
        code: record.code,
        enhanced: record.enhanced,
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
