import { escapePastedLine } from './pastedLine';
import type { ImportedLine } from './telnetPasteReader';
import type { TranscriptEventKind } from './transcriptEvent';

interface SwaksLineKind {
  kind: TranscriptEventKind;
  /** undefined: the line does not say, it inherits the state of the last wire line. */
  tls?: boolean;
}

/**
 * swaks prefixes every line with a three-character hint and a space (swaks 20201014, `sub ptrans`).
 * `<**` / `<~*` mark a reply swaks did not expect (a rejection), `**>` / `*~>` a send that failed, and
 * `  >` / `<  ` the hex dumps of --show-raw-text, which are not wire lines, so they are info here.
 */
const swaksPrefixes = new Map<string, SwaksLineKind>([
  ['===', { kind: 'info' }],
  ['***', { kind: 'error' }],
  ['???', { kind: 'info' }],
  [' ->', { kind: 'sent', tls: false }],
  [' ~>', { kind: 'sent', tls: true }],
  ['**>', { kind: 'sent', tls: false }],
  ['*~>', { kind: 'sent', tls: true }],
  ['<- ', { kind: 'received', tls: false }],
  ['<~ ', { kind: 'received', tls: true }],
  ['<**', { kind: 'received', tls: false }],
  ['<~*', { kind: 'received', tls: true }],
  ['  >', { kind: 'info' }],
  ['<  ', { kind: 'info' }],
]);

/** The prefix of a swaks line, also when an editor trimmed the space after an empty one (" -> " to " ->"). */
export function swaksPrefixOf(line: string): string | undefined {
  const prefix = line.slice(0, 3);
  if (!swaksPrefixes.has(prefix.padEnd(3, ' '))) {
    return undefined;
  }
  if (line.length === 3 || line[3] === ' ' || line.length === prefix.trimEnd().length) {
    return prefix.padEnd(3, ' ');
  }
  return undefined;
}

export function isSwaksWireLine(line: string): boolean {
  const prefix = swaksPrefixOf(line);
  const kind = prefix === undefined ? undefined : swaksPrefixes.get(prefix)?.kind;
  return kind === 'sent' || kind === 'received';
}

/** Reads swaks output line by line. A line without a swaks prefix (the shell command, say) is info. */
export class SwaksOutputReader {
  private insideTls = false;

  read(line: string, lineNumber: number): ImportedLine | undefined {
    const prefix = swaksPrefixOf(line);
    if (prefix === undefined) {
      if (line.trim() === '') {
        return undefined;
      }
      return this.imported('info', this.insideTls, line, lineNumber, 0);
    }
    const { kind, tls } = swaksPrefixes.get(prefix)!;
    if (tls !== undefined) {
      this.insideTls = tls;
    }
    return this.imported(kind, this.insideTls, line, lineNumber, Math.min(line.length, 4));
  }

  private imported(kind: TranscriptEventKind, tls: boolean, line: string, lineNumber: number, textStart: number): ImportedLine {
    return {
      event: { kind, at: 0, tls, text: escapePastedLine(line.slice(textStart)) },
      position: { line: lineNumber, startColumn: textStart, endColumn: line.length },
    };
  }
}
