/** One complete SMTP reply (RFC 5321 §4.2): one or more lines sharing a three-digit code. */
export interface SmtpReply {
  /** The three-digit reply code, e.g. 250. For a malformed multiline reply, the code of the last line. */
  code: number;
  /** The RFC 3463 enhanced status code found after the code on the first line, e.g. "5.7.1". */
  enhanced?: string;
  /** The text of every line after "NNN-" / "NNN " (the enhanced code is kept here, as sent). */
  lines: string[];
  /** The lines joined by "\n", with the enhanced code removed from the start of each line. */
  text: string;
  /**
   * Protocol problems found while reading this reply (mixed codes, bare LF, NUL bytes, an overlong line...).
   * A reply with problems is still delivered: nothing that came over the wire is dropped.
   */
  problems?: string[];
  /**
   * The distinct codes of a multiline reply whose lines disagree (`550-...` then `250 ...`), in order of
   * appearance; absent when every line carries the same code. Such a reply is a protocol violation.
   */
  mixedCodes?: number[];
}
