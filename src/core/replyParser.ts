import { isUtf8 } from 'node:buffer';
import type { SmtpReply } from './reply';
import type { LineEnding } from './transcriptEvent';
import { escapeWireBytes } from './wireText';

/** RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; beyond 64 KiB we call it a fault, but keep it. */
export const overlongLineBytes = 64 * 1024;
/** Past this many bytes without a line ending, what we have is delivered as a line so memory stays bounded. */
export const lineCapBytes = 1024 * 1024;

/** One line as it arrived: escaped text (see wireText.ts) without its ending. */
export interface ReceivedLine {
  text: string;
  ending: LineEnding;
  /** What is wrong with this line, one phrase each ("line ended with a bare LF instead of CRLF"). */
  problems: string[];
}

export interface ReplyParserHandlers {
  /** Every line, as soon as it is complete (or cut at the cap), before the reply it belongs to. */
  onLine(line: ReceivedLine): void;
  /** A problem of the reply as a whole (mixed codes), found when its last line arrives. */
  onReplyProblem(problem: string): void;
  onReply(reply: SmtpReply): void;
}

/** What was left when the peer closed: nothing, or a reply that was cut off after some lines. */
export interface ParserEnd {
  replyCutOff: boolean;
  linesOfCutReply: number;
}

interface ReplyInProgress {
  lines: string[];
  texts: string[];
  codes: number[];
  enhanced?: string;
  problems: string[];
  /** The final line was cut at the cap: the reply completes when that line really ends. */
  finalLineStillArriving: boolean;
}

function emptyReply(): ReplyInProgress {
  return { lines: [], texts: [], codes: [], problems: [], finalLineStillArriving: false };
}

const codeLine = /^(\d{3})(?:([ -])(.*))?$/s;
const enhancedCode = /^([245]\.\d{1,3}\.\d{1,3})(?: +|$)/;

/**
 * Turns the bytes a server sends into lines and replies, incrementally. Nothing is dropped: a line that
 * breaks the rules is still delivered, with its problems named.
 */
export class ReplyParser {
  private pieces: Uint8Array[] = [];
  private pendingLength = 0;
  /** The current wire line passed the cap; its further fragments only go to the transcript. */
  private continuingCappedLine = false;
  private reply: ReplyInProgress | undefined;
  private halted = false;
  private leftover: Uint8Array[] = [];

  constructor(private readonly handlers: ReplyParserHandlers) {}

  feed(chunk: Uint8Array): void {
    if (this.halted) {
      this.leftover.push(chunk);
      return;
    }
    let start = 0;
    while (start <= chunk.length) {
      const lineFeed = chunk.indexOf(0x0a, start);
      if (lineFeed === -1) {
        this.accumulate(chunk.subarray(start));
        return;
      }
      this.accumulate(chunk.subarray(start, lineFeed));
      this.endLine();
      start = lineFeed + 1;
      if (this.halted) {
        if (start < chunk.length) {
          this.leftover.push(chunk.subarray(start));
        }
        return;
      }
    }
  }

  /**
   * Stops reading after the current line. Used at the STARTTLS 220: whatever follows it in plain text
   * was not protected by TLS and must not be taken as a reply (a man in the middle could have injected it),
   * so it is kept apart for the session to report.
   */
  halt(): void {
    this.halted = true;
  }

  /** The bytes received after halt() (including a partial line), and a fresh start for the next layer. */
  takeLeftoverAndResume(): Uint8Array {
    const bytes = Buffer.concat([...this.pieces, ...this.leftover]);
    this.pieces = [];
    this.pendingLength = 0;
    this.leftover = [];
    this.continuingCappedLine = false;
    this.reply = undefined;
    this.halted = false;
    return bytes;
  }

  /** The peer closed: a partial line is delivered with ending 'none'; reports whether a reply was cut off. */
  finish(): ParserEnd {
    if (this.pendingLength > 0) {
      // Delivered for the transcript, but never completes a reply: without its CRLF it may be cut short.
      const bytes = this.takePending();
      const text = escapeWireBytes(bytes);
      this.handlers.onLine({ text, ending: 'none', problems: describeLineProblems(bytes, 'none', false) });
      if (!this.continuingCappedLine) {
        const reply = (this.reply ??= emptyReply());
        reply.lines.push(text);
      }
    }
    const reply = this.reply;
    this.reply = undefined;
    this.continuingCappedLine = false;
    return { replyCutOff: reply !== undefined, linesOfCutReply: reply?.lines.length ?? 0 };
  }

  private accumulate(bytes: Uint8Array): void {
    let rest = bytes;
    while (this.pendingLength + rest.length > lineCapBytes) {
      const room = lineCapBytes - this.pendingLength;
      this.pieces.push(rest.subarray(0, room));
      this.pendingLength += room;
      rest = rest.subarray(room);
      this.deliverLine(this.takePending(), 'none', true);
    }
    if (rest.length > 0) {
      this.pieces.push(rest);
      this.pendingLength += rest.length;
    }
  }

  private endLine(): void {
    const bytes = this.takePending();
    const endsWithCr = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d;
    this.deliverLine(endsWithCr ? bytes.subarray(0, bytes.length - 1) : bytes, endsWithCr ? 'crlf' : 'lf', false);
  }

  private takePending(): Uint8Array {
    const bytes = this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces);
    this.pieces = [];
    this.pendingLength = 0;
    return bytes;
  }

  private deliverLine(bytes: Uint8Array, ending: LineEnding, cutAtCap: boolean): void {
    const text = escapeWireBytes(bytes);
    const problems = describeLineProblems(bytes, ending, cutAtCap);
    if (this.continuingCappedLine) {
      this.handlers.onLine({ text, ending, problems });
      if (!cutAtCap) {
        this.continuingCappedLine = false;
        if (this.reply?.finalLineStillArriving) {
          this.completeReply();
        }
      }
      return;
    }
    this.handlers.onLine({ text, ending, problems });
    this.continuingCappedLine = cutAtCap;
    this.addToReply(text, problems, cutAtCap);
  }

  private addToReply(text: string, lineProblems: string[], cutAtCap: boolean): void {
    const reply = (this.reply ??= emptyReply());
    reply.problems.push(...lineProblems);
    const match = codeLine.exec(text);
    if (!match) {
      reply.lines.push(text);
      reply.texts.push(text);
      return;
    }
    const code = Number(match[1]);
    const separator = match[2];
    const lineText = match[3] ?? '';
    const enhanced = enhancedCode.exec(lineText);
    if (reply.codes.length === 0 && enhanced) {
      reply.enhanced = enhanced[1];
    }
    reply.codes.push(code);
    reply.lines.push(lineText);
    reply.texts.push(reply.enhanced !== undefined && enhanced ? lineText.slice(enhanced[0].length) : lineText);
    if (separator === '-') {
      return;
    }
    if (cutAtCap) {
      reply.finalLineStillArriving = true;
      return;
    }
    this.completeReply();
  }

  private completeReply(): void {
    const reply = this.reply;
    if (!reply) {
      return;
    }
    this.reply = undefined;
    const distinctCodes = [...new Set(reply.codes)];
    if (distinctCodes.length > 1) {
      const problem = `reply lines carry different codes (${distinctCodes.join(', ')})`;
      reply.problems.push(problem);
      this.handlers.onReplyProblem(problem);
    }
    const result: SmtpReply = {
      code: reply.codes[reply.codes.length - 1],
      lines: reply.lines,
      text: reply.texts.join('\n'),
    };
    if (reply.enhanced !== undefined) {
      result.enhanced = reply.enhanced;
    }
    if (reply.problems.length > 0) {
      result.problems = [...new Set(reply.problems)];
    }
    this.handlers.onReply(result);
  }
}

function describeLineProblems(bytes: Uint8Array, ending: LineEnding, cutAtCap: boolean): string[] {
  const problems: string[] = [];
  if (ending === 'lf') {
    problems.push('line ended with a bare LF instead of CRLF');
  }
  if (cutAtCap) {
    problems.push(`line longer than ${lineCapBytes} bytes: cut into parts (the reply keeps the first part, the transcript every byte)`);
  } else if (bytes.length > overlongLineBytes) {
    problems.push(`overlong line of ${bytes.length} bytes (RFC 5321 allows 512)`);
  }
  if (bytes.includes(0x00)) {
    problems.push('line contains NUL bytes');
  }
  if (bytes.includes(0x0d)) {
    problems.push('line contains a bare CR');
  }
  if (!isUtf8(bytes)) {
    problems.push('line contains bytes that are not valid UTF-8 (shown as \\xNN)');
  }
  if (ending !== 'none' || cutAtCap) {
    const head = Buffer.from(bytes.subarray(0, 4)).toString('latin1');
    if (!/^\d{3}([ -]|$)/.test(head)) {
      problems.push('line does not start with a three-digit reply code');
    }
  }
  return problems;
}
