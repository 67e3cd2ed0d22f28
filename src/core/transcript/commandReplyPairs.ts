import type { SmtpReply } from '../protocol/reply';
import { startsWithReplyCode } from './pastedLine';
import { commandKindOf, endOfDataCommand } from '../protocol/smtpCommand';
import type { TranscriptSourcePosition } from './transcriptFormat';
import type { TranscriptEvent } from './transcriptEvent';

/**
 * A reply found in a transcript, with the command it answers. Texts are as in the transcript (escaped).
 * `Position` is where an event is: a line and columns in a transcript file, or whatever a live reader uses.
 */
export interface CommandReplyPair<Position = TranscriptSourcePosition> {
  reply: SmtpReply;
  /** The command line it answers; "" for the greeting; undefined when nothing was waiting (421 while idle). */
  command?: string;
  /** Where that command is, when there is one. */
  commandPosition?: Position;
  /** The reply's first and last line. */
  firstLine: Position;
  lastLine: Position;
  /** The received lines as recorded, code included ("250-PIPELINING"). */
  lines: string[];
  /** The reply has no last line ("NNN text"): the connection ended in it, or a command was sent before its end. */
  unfinished: boolean;
  /**
   * No command was waiting for it and it is not the greeting: a second reply after a 550, a 250 before EHLO.
   * It is kept (and answers nothing), so the replies after it still answer their own commands.
   */
  unsolicited?: boolean;
}

/** What one event was to the pairer. */
export type PairedEventRole = 'command' | 'message-body' | 'reply-line' | 'remark';

interface ReplyBeingRead<Position> {
  lines: string[];
  codes: number[];
  problems: string[];
  first: Position;
  last: Position;
}

interface PendingCommand<Position> {
  text: string;
  position: Position;
}

const enhancedCodePattern = /^([245]\.\d{1,3}\.\d{1,3})(?: +|$)/;

/**
 * Pairs every reply of a conversation with its command, one event at a time, so that a saved transcript
 * (pairCommandsAndReplies) and a live session (the terminal) are read by the same rules. Received lines
 * are grouped into replies the way RFC 5321 §4.2.1 says (`NNN-` lines, then one `NNN ` line). Sent lines
 * wait in order, so pipelined commands (RFC 2920) get their replies in the order they were sent. The first
 * reply of a connection is the greeting, even when a command was typed before it, unless its code cannot
 * open a session (a paste that starts at EHLO). Between a 354 and the lone "." the sent lines are message
 * body, not commands; the "." itself is the command the next reply answers. Info and error events never
 * split a reply: the engine records protocol remarks between the lines of one.
 */
export class CommandReplyPairer<Position = TranscriptSourcePosition> {
  private pending: PendingCommand<Position>[] = [];
  private pendingHead = 0;
  private reading: ReplyBeingRead<Position> | undefined;
  private awaitingGreeting = true;
  private inMessageBody = false;

  /** @param onPair called with each reply as soon as its last line is read (or it is known to have none). */
  constructor(private readonly onPair: (pair: CommandReplyPair<Position>) => void) {}

  read(event: TranscriptEvent, position: Position): PairedEventRole {
    switch (event.kind) {
      case 'received':
        return this.readReceived(event, position);
      case 'sent': {
        this.completeReply(true);
        if (this.inMessageBody) {
          if (event.text !== endOfDataCommand) {
            return 'message-body';
          }
          this.inMessageBody = false;
        }
        this.pending.push({ text: event.text, position });
        return 'command';
      }
      default:
        if (startsNewConnection(event.text)) {
          this.completeReply(true);
          this.startConnection();
        }
        return 'remark';
    }
  }

  /** The conversation ended: a reply still being read is passed on as unfinished. */
  finish(): void {
    this.completeReply(true);
  }

  private readReceived(event: TranscriptEvent, position: Position): PairedEventRole {
    const isCodeLine = startsWithReplyCode(event.text);
    if (!isCodeLine && this.reading === undefined) {
      // Not a reply line and no reply open (noise after a close, say): nothing to pair.
      return 'remark';
    }
    const reading = (this.reading ??= { lines: [], codes: [], problems: [], first: position, last: position });
    reading.lines.push(event.text);
    reading.last = position;
    if (event.ending === 'lf') {
      reading.problems.push('line ended with a bare LF instead of CRLF');
    } else if (event.ending === 'none') {
      reading.problems.push('line cut off: the connection closed before its end');
    }
    if (!isCodeLine) {
      reading.problems.push('line does not start with a three-digit reply code');
      return 'reply-line';
    }
    reading.codes.push(Number(event.text.slice(0, 3)));
    if (event.text[3] !== '-') {
      this.completeReply(false);
    }
    return 'reply-line';
  }

  private startConnection(): void {
    this.pending = [];
    this.pendingHead = 0;
    this.awaitingGreeting = true;
    this.inMessageBody = false;
  }

  private completeReply(unfinished: boolean): void {
    const read = this.reading;
    if (read === undefined) {
      return;
    }
    this.reading = undefined;
    if (unfinished) {
      read.problems.push('the reply has no last line ("NNN text"): it was cut off or is malformed');
    }
    const reply = buildReply(read);
    let command: PendingCommand<Position> | undefined;
    const commandsWaiting = this.pendingHead < this.pending.length;
    // A paste that starts at EHLO has no greeting: a first reply that cannot be one answers the command.
    if (this.awaitingGreeting && (!commandsWaiting || greetingCodes.has(reply.code))) {
      this.awaitingGreeting = false;
      command = { text: '', position: read.first };
    } else if (commandsWaiting) {
      this.awaitingGreeting = false;
      command = this.pending[this.pendingHead];
      this.pendingHead += 1;
    }
    const pair: CommandReplyPair<Position> = { reply, firstLine: read.first, lastLine: read.last, lines: read.lines, unfinished };
    if (command !== undefined) {
      pair.command = command.text;
      if (command.text !== '') {
        pair.commandPosition = command.position;
      }
    } else {
      pair.unsolicited = true;
    }
    const kind = command === undefined ? undefined : commandKindOf(command.text);
    if (reply.code === 354 && (kind === 'data' || kind === undefined)) {
      this.inMessageBody = true;
    }
    // After 421, or 221 to QUIT, nothing else comes on this connection; a later reply starts a new one.
    if (reply.code === 421 || (reply.code === 221 && kind === 'quit')) {
      this.startConnection();
    }
    this.onPair(pair);
  }
}

/** Walks a transcript once and pairs every reply with its command (see CommandReplyPairer). */
export function pairCommandsAndReplies(
  events: readonly TranscriptEvent[],
  positions: readonly TranscriptSourcePosition[],
): CommandReplyPair[] {
  const pairs: CommandReplyPair[] = [];
  const pairer = new CommandReplyPairer((pair) => pairs.push(pair));
  for (let index = 0; index < events.length; index += 1) {
    pairer.read(events[index], positions[index]);
  }
  pairer.finish();
  return pairs;
}

/** RFC 5321 §3.1: a server opens with 220, or 554 (no service); 421 when it is shutting down. */
const greetingCodes = new Set([220, 421, 554]);

/** Our engine writes "connected to ...", swaks "Connected to ...", telnet "Trying ..." then "Connected to ...". */
function startsNewConnection(infoText: string): boolean {
  const head = infoText.slice(0, 13).toLowerCase();
  return head.startsWith('connected to ') || head.startsWith('trying ');
}

/** Builds the SmtpReply the engine's reply parser would have built from the same lines (escaped texts). */
function buildReply(read: ReplyBeingRead<unknown>): SmtpReply {
  const lines: string[] = [];
  const texts: string[] = [];
  let enhanced: string | undefined;
  for (const line of read.lines) {
    if (!startsWithReplyCode(line)) {
      lines.push(line);
      texts.push(line);
      continue;
    }
    const lineText = line.slice(4);
    const enhancedMatch = enhancedCodePattern.exec(lineText);
    if (lines.length === 0 && enhancedMatch) {
      enhanced = enhancedMatch[1];
    }
    lines.push(lineText);
    texts.push(enhanced !== undefined && enhancedMatch ? lineText.slice(enhancedMatch[0].length) : lineText);
  }
  const problems = read.problems;
  if (read.codes.some((code) => code !== read.codes[0])) {
    problems.push(`reply lines carry different codes (${[...new Set(read.codes)].join(', ')})`);
  }
  const reply: SmtpReply = { code: read.codes[read.codes.length - 1] ?? 0, lines, text: lines.length === 1 ? texts[0] : texts.join('\n') };
  if (enhanced !== undefined) {
    reply.enhanced = enhanced;
  }
  if (problems.length > 0) {
    reply.problems = [...new Set(problems)];
  }
  return reply;
}
