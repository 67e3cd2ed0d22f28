import { SwaksOutputReader, isSwaksWireLine, swaksPrefixOf } from './swaksOutputReader';
import { TelnetPasteReader, type ImportedLine } from './telnetPasteReader';
import {
  TranscriptParseError,
  looksLikeOurTranscript,
  parseStartedAt,
  readEventLine,
  splitTranscriptLines,
  visitTranscriptEvents,
  type TranscriptSourcePosition,
} from './transcriptFormat';
import type { TranscriptEvent, TranscriptHeader } from './transcriptEvent';
import { unescapeWireText } from './wireText';

/** Where a transcript came from: our own file, swaks output, or a raw telnet paste. */
export type TranscriptSourceFormat = 'smtp-relay-lab' | 'swaks' | 'telnet';

export interface ImportedTranscript {
  format: TranscriptSourceFormat;
  /** Only our own format has one. */
  header?: TranscriptHeader;
  events: TranscriptEvent[];
  /** One per event, same order: where its text is in the source (1-based line, 0-based columns). */
  positions: TranscriptSourcePosition[];
  /**
   * Set when the text starts like our format but does not follow it. The text was then read line by
   * line instead: lines that are valid events stay events, the rest is read as in a telnet paste.
   */
  fallback?: { line: number; reason: string };
}

/**
 * Reads any transcript a mail admin is likely to have: ours, swaks output, or a telnet paste. It never
 * throws and never drops a non-blank line, so that an annotation or a diagnostic can point at any of them.
 */
export function parseAnyTranscript(text: string): ImportedTranscript {
  let events: TranscriptEvent[] = [];
  let positions: TranscriptSourcePosition[] = [];
  const source = visitAnyTranscript(text, {
    event(event, position) {
      events.push(event);
      positions.push(position);
    },
    startOver() {
      events = [];
      positions = [];
    },
  });
  return {
    format: source.format,
    ...(source.header === undefined ? {} : { header: source.header }),
    events,
    positions,
    ...(source.fallback === undefined ? {} : { fallback: source.fallback }),
  };
}

/** Where visitAnyTranscript sends what it reads. */
export interface ImportedEventVisitor {
  event(event: TranscriptEvent, position: TranscriptSourcePosition): void;
  /**
   * Our format turned out to be damaged part-way: the events visited so far do not count, and the whole
   * text is visited again, read line by line (see ImportedTranscript.fallback).
   */
  startOver(): void;
  /** Our format's header, before its first event (the annotator needs its local domains and target early). */
  header?(header: TranscriptHeader): void;
}

/**
 * parseAnyTranscript without keeping the events: each is handed to the visitor as it is read, so that a
 * reader needing one at a time (the annotator) does not hold them all. Returns what the events do not say.
 */
export function visitAnyTranscript(text: string, visitor: ImportedEventVisitor): Omit<ImportedTranscript, 'events' | 'positions'> {
  const visit = (event: TranscriptEvent, position: TranscriptSourcePosition): void => visitor.event(event, position);
  if (looksLikeOurTranscript(text)) {
    try {
      const header = visitTranscriptEvents(text, visit, (read) => visitor.header?.(read));
      return { format: 'smtp-relay-lab', header };
    } catch (error) {
      if (!(error instanceof TranscriptParseError)) {
        throw error;
      }
      visitor.startOver();
      salvageOurFormat(splitTranscriptLines(text), visit);
      return { format: 'telnet', fallback: { line: error.line, reason: error.message } };
    }
  }
  const lines = splitTranscriptLines(text);
  if (looksLikeSwaksOutput(lines)) {
    readEachLine(lines, new SwaksOutputReader(), visit);
    return { format: 'swaks' };
  }
  readEachLine(lines, new TelnetPasteReader(), visit);
  return { format: 'telnet' };
}

/**
 * swaks output when at least one line is a swaks wire line and at least half of the non-blank lines carry
 * a swaks prefix, or when every line carries one. A telnet paste has no such prefixes; a pasted shell
 * prompt above swaks output is allowed.
 */
function looksLikeSwaksOutput(lines: readonly string[]): boolean {
  let nonBlank = 0;
  let prefixed = 0;
  let wire = 0;
  for (const line of lines) {
    if (line.trim() === '') {
      continue;
    }
    nonBlank += 1;
    if (swaksPrefixOf(line) !== undefined) {
      prefixed += 1;
      if (isSwaksWireLine(line)) {
        wire += 1;
      }
    }
  }
  // Output that never reached the wire (connection refused) is all "===" and "***" lines.
  return (wire > 0 && prefixed * 2 >= nonBlank) || (nonBlank > 0 && prefixed === nonBlank);
}

interface LineReader {
  read(line: string, lineNumber: number): ImportedLine | undefined;
}

type EventVisit = (event: TranscriptEvent, position: TranscriptSourcePosition) => void;

function readEachLine(lines: readonly string[], reader: LineReader, visit: EventVisit): void {
  for (let index = 0; index < lines.length; index += 1) {
    const imported = reader.read(lines[index], index + 1);
    if (imported !== undefined) {
      visit(imported.event, imported.position);
    }
  }
}

/** A damaged file of ours: keep every line that still reads as an event, read the rest as a telnet paste. */
function salvageOurFormat(lines: readonly string[], visit: EventVisit): void {
  const startedAt = findStartedAt(lines);
  const telnet = new TelnetPasteReader();
  const salvaged: LineReader = {
    read(line, lineNumber) {
      if (line.startsWith('=== ')) {
        return {
          event: { kind: 'info', at: startedAt, tls: false, text: line.slice(4) },
          position: { line: lineNumber, startColumn: 4, endColumn: line.length },
        };
      }
      const read = readEventLine(line, lineNumber, startedAt);
      if (!('problem' in read)) {
        return read;
      }
      const pasted = telnet.read(line, lineNumber);
      // A damaged line of ours with its " -> " mark is still a line that was sent, not a note of the paste.
      if (pasted?.event.kind === 'info' && damagedSentLine.test(line)) {
        return { ...pasted, event: { ...pasted.event, kind: 'sent' } };
      }
      return pasted;
    },
  };
  readEachLine(lines, salvaged, visit);
}

/** "+0.0x0  -> EHLO …": a timestamp-like word, then our sent mark (" -> ", or " ~> " inside TLS). */
const damagedSentLine = /^\S+ {1,2}[-~]> /;

function findStartedAt(lines: readonly string[]): number {
  const prefix = '=== started: ';
  for (const line of lines) {
    if (line.startsWith(prefix)) {
      const value = Buffer.from(unescapeWireText(line.slice(prefix.length))).toString('utf8');
      const startedAt = parseStartedAt(value);
      if (startedAt !== undefined) {
        return startedAt;
      }
    }
  }
  return 0;
}
