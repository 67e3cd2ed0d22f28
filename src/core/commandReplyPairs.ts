import type { SmtpReply } from './reply';
import { startsWithReplyCode } from './pastedLine';
import { commandKindOf, endOfDataCommand } from './smtpCommand';
import type { TranscriptSourcePosition } from './transcriptFormat';
import type { TranscriptEvent } from './transcriptEvent';

/** A reply found in a transcript, with the command it answers. Texts are as in the transcript (escaped). */
export interface CommandReplyPair {
  reply: SmtpReply;
  /** The command line it answers; "" for the greeting; undefined when nothing was waiting (421 while idle). */
  command?: string;
  /** Where that command is, when there is one. */
  commandPosition?: TranscriptSourcePosition;
  /** The reply's first and last line. */
  firstLine: TranscriptSourcePosition;
  lastLine: TranscriptSourcePosition;
}

interface ReplyBeingRead {
  lines: string[];
  codes: number[];
  problems: string[];
  first: TranscriptSourcePosition;
  last: TranscriptSourcePosition;
}

interface PendingCommand {
  text: string;
  position: TranscriptSourcePosition;
}

const enhancedCodePattern = /^([245]\.\d{1,3}\.\d{1,3})(?: +|$)/;

/**
 * Walks a transcript once and pairs every reply with its command. Received lines are grouped into
 * replies the way RFC 5321 §4.2.1 says (`NNN-` lines, then one `NNN ` line). Sent lines wait in order, so
 * pipelined commands (RFC 2920) get their replies in the order they were sent. The first reply of a
 * connection is the greeting, even when a command was typed before it, unless its code cannot open a
 * session (a paste that starts at EHLO). Between a 354 and the lone "." the sent lines
 * are message body, not commands; the "." itself is the command the next reply answers. Info and error
 * events never split a reply: the engine records protocol remarks between the lines of one.
 */
export function pairCommandsAndReplies(
  events: readonly TranscriptEvent[],
  positions: readonly TranscriptSourcePosition[],
): CommandReplyPair[] {
  const pairs: CommandReplyPair[] = [];
  const pending: PendingCommand[] = [];
  let pendingHead = 0;
  let reading: ReplyBeingRead | undefined;
  let awaitingGreeting = true;
  let inMessageBody = false;

  const startConnection = () => {
    pending.length = 0;
    pendingHead = 0;
    awaitingGreeting = true;
    inMessageBody = false;
  };

  const completeReply = (unfinished: boolean) => {
    const read = reading;
    if (read === undefined) {
      return;
    }
    reading = undefined;
    if (unfinished) {
      read.problems.push('the reply has no last line ("NNN text"): it was cut off or is malformed');
    }
    const reply = buildReply(read);
    let command: PendingCommand | undefined;
    const commandsWaiting = pendingHead < pending.length;
    // A paste that starts at EHLO has no greeting: a first reply that cannot be one answers the command.
    if (awaitingGreeting && (!commandsWaiting || greetingCodes.has(reply.code))) {
      awaitingGreeting = false;
      command = { text: '', position: read.first };
    } else if (commandsWaiting) {
      awaitingGreeting = false;
      command = pending[pendingHead];
      pendingHead += 1;
    }
    const pair: CommandReplyPair = { reply, firstLine: read.first, lastLine: read.last };
    if (command !== undefined) {
      pair.command = command.text;
      if (command.text !== '') {
        pair.commandPosition = command.position;
      }
    }
    pairs.push(pair);

    const kind = command === undefined ? undefined : commandKindOf(command.text);
    if (reply.code === 354 && (kind === 'data' || kind === undefined)) {
      inMessageBody = true;
    }
    // After 421, or 221 to QUIT, nothing else comes on this connection; a later reply starts a new one.
    if (reply.code === 421 || (reply.code === 221 && kind === 'quit')) {
      startConnection();
    }
  };

  for (let index = 0; index < events.length; index += 1) {
    const event = events[index];
    const position = positions[index];
    switch (event.kind) {
      case 'received': {
        const isCodeLine = startsWithReplyCode(event.text);
        if (!isCodeLine && reading === undefined) {
          // Not a reply line and no reply open (noise after a close, say): nothing to annotate.
          break;
        }
        reading ??= { lines: [], codes: [], problems: [], first: position, last: position };
        reading.lines.push(event.text);
        reading.last = position;
        if (event.ending === 'lf') {
          reading.problems.push('line ended with a bare LF instead of CRLF');
        } else if (event.ending === 'none') {
          reading.problems.push('line cut off: the connection closed before its end');
        }
        if (!isCodeLine) {
          reading.problems.push('line does not start with a three-digit reply code');
          break;
        }
        reading.codes.push(Number(event.text.slice(0, 3)));
        if (event.text[3] !== '-') {
          completeReply(false);
        }
        break;
      }
      case 'sent': {
        completeReply(true);
        if (inMessageBody) {
          if (event.text !== endOfDataCommand) {
            break;
          }
          inMessageBody = false;
        }
        pending.push({ text: event.text, position });
        break;
      }
      default: {
        if (startsNewConnection(event.text)) {
          completeReply(true);
          startConnection();
        }
      }
    }
  }
  completeReply(true);
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
function buildReply(read: ReplyBeingRead): SmtpReply {
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
