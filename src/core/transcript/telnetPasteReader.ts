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
 * started it are info, and a line is what the user typed when it reads as an SMTP command: a known verb
 * (any case), an unknown one in capitals (`FOO`, typed to see the 500), or the answer to an AUTH challenge
 * (after a 334). Any other line is a note the admin kept in the paste (`-- test 1`, `=== session B`,
 * `# comment`, "now the relay tests"): info, so it never becomes a command that a reply would answer and
 * never shifts the pairing. Between a 354 reply and the lone "." every line is message body the user
 * typed, even one that starts with digits.
 */
export class TelnetPasteReader {
  private inMessageBody = false;
  /** The last reply line was a 334: the next typed line answers an AUTH challenge, whatever it looks like. */
  private afterChallenge = false;

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
      this.afterChallenge = isLastLineOfReply && line.startsWith('334');
      return 'received';
    }
    if (line.trim() === '') {
      return undefined;
    }
    if (isShellCommandForSmtp(line)) {
      return 'info';
    }
    if (this.afterChallenge) {
      this.afterChallenge = false;
      return 'sent';
    }
    return looksLikeTypedCommand(line) ? 'sent' : 'info';
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

/** RFC 5321's verbs and the extensions and old commands an admin may type (RFC 1985, 2645, 3030, 4954...). */
const smtpVerbs = new Set([
  'HELO', 'EHLO', 'LHLO', 'MAIL', 'RCPT', 'DATA', 'BDAT', 'RSET', 'VRFY', 'EXPN', 'HELP', 'NOOP', 'QUIT',
  'STARTTLS', 'AUTH', 'ETRN', 'ATRN', 'TURN', 'SEND', 'SOML', 'SAML', 'VERB', 'ONEX', 'XCLIENT', 'XFORWARD',
  'XEXCH50', 'X-EXPS', 'X-LINK2STATE', 'BURL', 'CHUNKING',
]);

/**
 * A line the user typed into the session: its first word is an SMTP verb in any case ("mail from:<a>"),
 * or a word in capitals that the server was asked to make sense of ("FOO", "XSHADOW"). Notes start with
 * punctuation ("--", "===", "#", "//") or read as prose ("session B", "Now the relay tests").
 */
function looksLikeTypedCommand(line: string): boolean {
  const firstWord = /^[A-Za-z][A-Za-z0-9-]*/.exec(line)?.[0];
  if (firstWord === undefined) {
    return false;
  }
  const rest = line.slice(firstWord.length);
  // "MAIL FROM:<a>", "EHLO name", "QUIT": the word ends at a space, a colon or the end of the line.
  if (rest !== '' && !/^[\s:]/.test(rest)) {
    return false;
  }
  const verb = firstWord.toUpperCase();
  return smtpVerbs.has(verb) || (firstWord === verb && /[A-Z]/.test(verb));
}
