import { escapePastedLine, startsWithReplyCode } from './pastedLine';
import type { TranscriptSourcePosition } from './transcriptFormat';
import type { TranscriptEvent, TranscriptEventKind } from './transcriptEvent';

export interface ImportedLine {
  event: TranscriptEvent;
  position: TranscriptSourcePosition;
}

/**
 * Reads a raw telnet (or nc) session pasted from a terminal, one line at a time. There are no direction
 * marks, so the shape decides: a line starting with a three-digit code is the server's, the chatter of
 * the telnet client ("Trying 192.0.2.1...", "Escape character is '^]'.") and the shell command that
 * started it are info, and every other line is what the user typed. Between a 354 reply and the lone "."
 * every line is message body the user typed, even one that starts with digits.
 */
export class TelnetPasteReader {
  private inMessageBody = false;

  /** The event for this line, or undefined for a blank line outside a message body. */
  read(line: string, lineNumber: number): ImportedLine | undefined {
    const kind = this.kindOf(line);
    if (kind === undefined) {
      return undefined;
    }
    return {
      event: { kind, at: 0, tls: false, text: escapePastedLine(line) },
      position: { line: lineNumber, startColumn: 0, endColumn: line.length },
    };
  }

  private kindOf(line: string): TranscriptEventKind | undefined {
    if (this.inMessageBody) {
      // Only the end of the connection interrupts a body: "Trying again tomorrow" is a body line.
      if (connectionEndStarts.some((start) => line.startsWith(start))) {
        this.inMessageBody = false;
        return 'info';
      }
      if (line === '.') {
        this.inMessageBody = false;
      }
      return 'sent';
    }
    const chatter = telnetChatterKind(line);
    if (chatter !== undefined) {
      return chatter;
    }
    if (startsWithReplyCode(line)) {
      const isLastLineOfReply = line[3] !== '-';
      // A 354 invites the message body, which starts after the reply's last line.
      if (isLastLineOfReply && line.startsWith('354')) {
        this.inMessageBody = true;
      }
      return 'received';
    }
    if (line.trim() === '') {
      return undefined;
    }
    if (isShellCommandForSmtp(line)) {
      return 'info';
    }
    return 'sent';
  }
}

const clientErrorStarts = [
  'telnet: Unable to connect',
  'telnet: connect to address',
  'Could not open connection to the host',
  'nc: connect to',
  'Ncat: Connection refused',
];

const connectionEndStarts = ['Connection closed by foreign host', 'Connection to host lost', 'Connection closed.'];

const clientInfoStarts = [
  'Trying ',
  'Connecting To ',
  'Connected to ',
  'Escape character is',
  ...connectionEndStarts,
  'telnet: ',
  'Ncat: ',
];

function telnetChatterKind(line: string): TranscriptEventKind | undefined {
  // Windows telnet writes "Connecting To host...Could not open connection to the host, on port 25: ..."
  if (clientErrorStarts.some((start) => line.startsWith(start)) || line.includes('Could not open connection to the host')) {
    return 'error';
  }
  if (clientInfoStarts.some((start) => line.startsWith(start))) {
    return 'info';
  }
  return undefined;
}

// "telnet mail.example.com 25", "C:\>telnet ...", "admin@host:~$ nc -C ...": the command, not a line typed
// into the SMTP session. One optional prompt without spaces, so the pattern stays linear.
const shellCommandPattern = /^[^\s>$#%]*[>$#%]?\s*(?:telnet|nc|ncat|netcat|openssl|swaks)(?:\s|$)/;

function isShellCommandForSmtp(line: string): boolean {
  return shellCommandPattern.test(line);
}
