import type { ReplyClass } from './classification';
import type { RelayReport, RelayTestOutcome, RelayVerdict } from './relayTypes';
import { describeTarget } from './sessionOptions';
import { writeTranscript } from './transcriptFormat';

/** The JSON document `smtp-relay-lab relay --json` prints: stable keys, for scripts and tickets. */
export interface RelayReportJson {
  target: { host: string; port: number };
  verdict: RelayVerdict;
  warnings: string[];
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
}

export interface RelayReplyJson {
  command: string;
  code: number;
  /** As sent, or inferred from the basic code when the server sent none; null when neither. */
  enhanced: string | null;
  text: string;
  class: ReplyClass;
}

export function relayReportToJson(report: RelayReport, tool = 'smtp-relay-lab'): RelayReportJson {
  return {
    target: { host: report.target.host, port: report.target.port },
    verdict: report.verdict,
    warnings: [...report.warnings],
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
      })),
    })),
    transcript: writeTranscript({
      header: { target: describeTarget(report.target), startedAt: report.startedAt, tool },
      events: report.transcript,
    }),
  };
}
