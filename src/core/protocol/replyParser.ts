import { isUtf8 } from 'node:buffer';
import type { SmtpReply } from './reply';
import type { LineEnding } from '../transcript/transcriptEvent';
import { escapeWireBytes } from './wireText';

/** RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; beyond 64 KiB we call it a fault, but keep it. */
export const overlongLineBytes = 64 * 1024;
/**
 * The most bytes one reply may take, its lines and line endings together. Past it the reply is over: what
 * came within the cap is kept (the cut line with ending 'none'), the rest is counted and dropped, and the
 * session ends with a protocol error. Memory stays bounded whatever a server sends without CRLF.
 */
export const replyCapBytes = 1024 * 1024;
/** The most bytes of replies one session keeps; the same ending once a server sends more in total. */
export const sessionCapBytes = 16 * 1024 * 1024;

/** Why the parser stopped keeping bytes, and how many it dropped. */
export interface ParserOverflow {
  /** 'reply': one reply passed replyCapBytes; 'session': all replies together passed sessionCapBytes. */
  cap: 'reply' | 'session';
  capBytes: number;
  /** Bytes of the overflowing reply kept before the cut (its lines, endings and the cut line). */
  keptBytes: number;
  /** Bytes received after the cut, in the chunk that crossed it (later chunks are counted too, if fed). */
  droppedBytes: number;
}

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
  /**
   * A cap was passed (see ParserOverflow): the cut line went to onLine, the reply is abandoned, and the
   * parser drops whatever it is fed from now on. The session ends with a protocol error.
   */
  onOverflow(overflow: ParserOverflow): void;
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
}

function emptyReply(): ReplyInProgress {
  return { lines: [], texts: [], codes: [], problems: [] };
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
  private reply: ReplyInProgress | undefined;
  /** Bytes of the reply in progress already delivered as lines, endings included. */
  private replyBytes = 0;
  /** Bytes of every line delivered so far, endings included. */
  private sessionBytes = 0;
  private overflowed: ParserOverflow | undefined;
  private halted = false;
  private leftover: Uint8Array[] = [];
  private leftoverLength = 0;
  private leftoverDropped = 0;

  constructor(private readonly handlers: ReplyParserHandlers) {}

  /** Set once a cap was passed; its droppedBytes keeps counting what is fed after. */
  get overflow(): ParserOverflow | undefined {
    return this.overflowed;
  }

  feed(chunk: Uint8Array): void {
    if (this.overflowed) {
      this.overflowed.droppedBytes += chunk.length;
      return;
    }
    if (this.halted) {
      this.keepLeftover(chunk);
      return;
    }
    let start = 0;
    while (start <= chunk.length) {
      const lineFeed = chunk.indexOf(0x0a, start);
      // The line's bytes in this chunk, with its LF when it ends here.
      const end = lineFeed === -1 ? chunk.length : lineFeed + 1;
      const room = this.room();
      if (end - start > room) {
        this.overflowAt(chunk, start, start + room);
        return;
      }
      if (lineFeed === -1) {
        this.accumulate(chunk.subarray(start));
        return;
      }
      this.accumulate(chunk.subarray(start, lineFeed));
      this.endLine();
      start = lineFeed + 1;
      if (this.halted) {
        if (start < chunk.length) {
          this.keepLeftover(chunk.subarray(start));
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

  /**
   * The bytes received after halt() (including a partial line; at most replyCapBytes of them, `received`
   * counts all), and a fresh start for the next layer.
   */
  takeLeftoverAndResume(): { bytes: Uint8Array; received: number } {
    const bytes = Buffer.concat([...this.pieces, ...this.leftover]);
    const received = bytes.length + this.leftoverDropped;
    this.pieces = [];
    this.pendingLength = 0;
    this.leftover = [];
    this.leftoverLength = 0;
    this.leftoverDropped = 0;
    this.reply = undefined;
    this.replyBytes = 0;
    this.halted = false;
    return { bytes, received };
  }

  /**
   * The end of the conversation (the peer closed, or the session gave up): a partial line is delivered
   * with ending 'none', so no byte received is lost; reports whether a reply was cut off. Safe to call
   * more than once: later calls find nothing pending.
   */
  finish(): ParserEnd {
    if (this.pendingLength > 0) {
      // Delivered for the transcript, but never completes a reply: without its CRLF it may be cut short.
      const bytes = this.takePending();
      const text = escapeWireBytes(bytes);
      this.sessionBytes += bytes.length;
      this.handlers.onLine({ text, ending: 'none', problems: describeLineProblems(bytes, 'none') });
      const reply = (this.reply ??= emptyReply());
      reply.lines.push(text);
    }
    const reply = this.reply;
    this.reply = undefined;
    this.replyBytes = 0;
    return { replyCutOff: reply !== undefined, linesOfCutReply: reply?.lines.length ?? 0 };
  }

  /** How many more bytes the current line may take before a cap is passed. */
  private room(): number {
    return Math.min(replyCapBytes - this.replyBytes, sessionCapBytes - this.sessionBytes) - this.pendingLength;
  }

  /** Keeps the line up to chunk[cut] as the cut line, drops the rest, and tells the session. */
  private overflowAt(chunk: Uint8Array, lineStart: number, cut: number): void {
    const cap: ParserOverflow['cap'] = replyCapBytes - this.replyBytes <= sessionCapBytes - this.sessionBytes ? 'reply' : 'session';
    this.accumulate(chunk.subarray(lineStart, cut));
    const bytes = this.takePending();
    const keptBytes = this.replyBytes + bytes.length;
    this.sessionBytes += bytes.length;
    const capBytes = cap === 'reply' ? replyCapBytes : sessionCapBytes;
    const problems = [...describeLineProblems(bytes, 'none'), `line cut: the ${cap} passed ${capBytes} bytes`];
    this.handlers.onLine({ text: escapeWireBytes(bytes), ending: 'none', problems });
    this.reply = undefined;
    this.replyBytes = 0;
    this.overflowed = { cap, capBytes, keptBytes, droppedBytes: chunk.length - cut };
    this.handlers.onOverflow(this.overflowed);
  }

  private keepLeftover(chunk: Uint8Array): void {
    const room = Math.max(0, replyCapBytes - this.leftoverLength);
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length > 0) {
      this.leftover.push(kept);
      this.leftoverLength += kept.length;
    }
    this.leftoverDropped += chunk.length - kept.length;
  }

  private accumulate(bytes: Uint8Array): void {
    if (bytes.length > 0) {
      this.pieces.push(bytes);
      this.pendingLength += bytes.length;
    }
  }

  private endLine(): void {
    const bytes = this.takePending();
    const wireLength = bytes.length + 1;
    this.replyBytes += wireLength;
    this.sessionBytes += wireLength;
    const endsWithCr = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d;
    this.deliverLine(endsWithCr ? bytes.subarray(0, bytes.length - 1) : bytes, endsWithCr ? 'crlf' : 'lf');
  }

  private takePending(): Uint8Array {
    const bytes = this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces);
    this.pieces = [];
    this.pendingLength = 0;
    return bytes;
  }

  private deliverLine(bytes: Uint8Array, ending: LineEnding): void {
    const text = escapeWireBytes(bytes);
    const problems = describeLineProblems(bytes, ending);
    this.handlers.onLine({ text, ending, problems });
    this.addToReply(text, problems);
  }

  private addToReply(text: string, lineProblems: string[]): void {
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
    this.completeReply();
  }

  private completeReply(): void {
    const reply = this.reply;
    if (!reply) {
      return;
    }
    this.reply = undefined;
    this.replyBytes = 0;
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
    if (distinctCodes.length > 1) {
      result.mixedCodes = distinctCodes;
    }
    this.handlers.onReply(result);
  }
}

function describeLineProblems(bytes: Uint8Array, ending: LineEnding): string[] {
  const problems: string[] = [];
  if (ending === 'lf') {
    problems.push('line ended with a bare LF instead of CRLF');
  }
  if (bytes.length > overlongLineBytes) {
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
  if (ending !== 'none') {
    const head = Buffer.from(bytes.subarray(0, 4)).toString('latin1');
    if (!/^\d{3}([ -]|$)/.test(head)) {
      problems.push('line does not start with a three-digit reply code');
    }
  }
  return problems;
}
