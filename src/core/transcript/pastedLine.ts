import { escapeWireBytes } from '../protocol/wireText';

/**
 * The escaped event text of a line pasted from a terminal (telnet, swaks). The paste is already decoded
 * text, so it is escaped from its UTF-8 bytes. Most lines are plain printable ASCII and come back as they
 * are, without the byte round trip: that keeps a 100k-line import fast.
 */
export function escapePastedLine(line: string): string {
  for (let index = 0; index < line.length; index += 1) {
    const code = line.charCodeAt(index);
    if (code < 0x20 || code >= 0x7f || code === 0x5c) {
      return escapeWireBytes(Buffer.from(line, 'utf8'));
    }
  }
  return line;
}

/** True for `NNN`, `NNN text` and `NNN-text`: the shape of a server reply line (RFC 5321 §4.2). */
export function startsWithReplyCode(line: string): boolean {
  if (line.length < 3 || !isDigit(line.charCodeAt(0)) || !isDigit(line.charCodeAt(1)) || !isDigit(line.charCodeAt(2))) {
    return false;
  }
  return line.length === 3 || line[3] === ' ' || line[3] === '-';
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}
