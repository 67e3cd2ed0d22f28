/**
 * The unit every face records and shows: one line that crossed the wire, or one remark of the tool.
 * `text` is the wire line in escaped form (see wireText.ts), so that a transcript keeps every byte,
 * including invalid UTF-8, NUL and bare CR, while staying readable.
 */
export type TranscriptEventKind = 'sent' | 'received' | 'info' | 'error';

/** How a received line ended on the wire: CRLF as RFC 5321 requires, a bare LF, or not at all (peer closed). */
export type LineEnding = 'crlf' | 'lf' | 'none';

export interface TranscriptEvent {
  kind: TranscriptEventKind;
  /** Milliseconds since the Unix epoch. */
  at: number;
  /** True when the line travelled inside TLS (after STARTTLS, or on an implicit-TLS port). */
  tls: boolean;
  /** The escaped line, without its line ending. AUTH secrets are already redacted here. */
  text: string;
  /** Only for received lines that did not end with CRLF. */
  ending?: Exclude<LineEnding, 'crlf'>;
}

/** Header facts a transcript file carries before its events. */
export interface TranscriptHeader {
  target?: string;
  startedAt: number;
  tool: string;
  /** Free-form facts such as the TLS mode or the persona; written as `=== key: value`. */
  extra?: Record<string, string>;
}

export interface Transcript {
  header: TranscriptHeader;
  events: TranscriptEvent[];
}
