import { displayText } from '../../core/protocol/displayText';

/**
 * What may be written to the session terminal, and the few ANSI sequences it uses.
 * No `vscode` import: the terminal's pure parts and their tests use it.
 */

/** Select Graphic Rendition codes (ECMA-48) for the colours the terminal uses. */
export const ansi = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
  boldRed: '\x1b[1;31m',
} as const;

export type AnsiStyle = keyof typeof ansi;

export function styled(style: AnsiStyle, text: string): string {
  return text === '' ? '' : `${ansi[style]}${text}${ansi.reset}`;
}

/**
 * A server can send any byte. An ESC or a C1 control written as is would let it move the cursor, retitle the
 * terminal or worse, and bidi or zero-width characters would hide or reorder what it shows, so all of them
 * are written as visible escapes (core/displayText.ts, the one function for every face).
 * Transcript text is already escaped by the engine; this is the second belt for anything else shown.
 */
export function terminalSafe(text: string): string {
  return displayText(text);
}

/** Terminal lines end with CR LF: a bare LF would leave the cursor in its column. */
export function terminalLines(lines: readonly string[]): string {
  return lines.map((line) => `${line}\r\n`).join('');
}
