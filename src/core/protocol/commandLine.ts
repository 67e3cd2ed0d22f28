import { CommandInjectionError } from './errors';

/**
 * Refuses text that would become more than one line on the wire. A CR or LF inside a command would let
 * the rest be read by the server as a second command (SMTP command injection), so nothing is sent.
 */
export function assertSingleLine(text: string, what = 'the command'): void {
  if (/[\r\n]/.test(text)) {
    throw new CommandInjectionError(
      `refused: ${what} contains a line break (CR or LF) and would be sent as two commands`,
    );
  }
}

/**
 * The DATA payload as it goes on the wire (RFC 5321 §4.5.2): every line ending made CRLF, a leading dot
 * doubled so no line can end the message early, a final CRLF, and the terminating ".\r\n".
 */
export function encodeMessageBody(message: string): string {
  const lines = message.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') {
    lines.pop();
  }
  const stuffed = lines.map((line) => (line.startsWith('.') ? '.' + line : line));
  return stuffed.join('\r\n') + '\r\n.\r\n';
}
