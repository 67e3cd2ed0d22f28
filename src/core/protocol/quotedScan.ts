/**
 * The one scanner for SMTP text with quoted strings (RFC 5321 §4.1.2 Quoted-string: "..." with backslash
 * escapes): a `>` or `@` or space inside quotes is part of a local part, not syntax. Used for the closing
 * bracket of a path (smtpCommand.ts, lab/mailPath.ts), the end of a bare path, and the `@` and `:` of a
 * mailbox and its source route.
 */

export interface QuotedScan {
  /** The first character outside quotes for which `stop` held; -1 when there was none. */
  index: number;
  /** The text ended inside an open quote (only when nothing stopped the scan). */
  openQuote: boolean;
}

/** Walks `text` from `from`, skipping quoted strings, to the first character outside them that `stop` accepts. */
export function scanOutsideQuotes(text: string, from: number, stop: (character: string) => boolean): QuotedScan {
  let quoted = false;
  for (let index = from; index < text.length; index++) {
    const character = text[index];
    if (quoted && character === '\\') {
      index++;
    } else if (character === '"') {
      quoted = !quoted;
    } else if (!quoted && stop(character)) {
      return { index, openQuote: false };
    }
  }
  return { index: -1, openQuote: quoted };
}

/** The index of the `>` that closes the path opening at `text[0]` ("<"), or -1; a second unquoted "<" first is -1. */
export function closingBracketIndex(text: string): number {
  const { index } = scanOutsideQuotes(text, 1, (character) => character === '>' || character === '<');
  return index >= 0 && text[index] === '>' ? index : -1;
}
