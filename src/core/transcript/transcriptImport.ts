import { SwaksOutputReader, isSwaksWireLine, swaksPrefixOf } from './swaksOutputReader';
import { TelnetPasteReader, type ImportedLine } from './telnetPasteReader';
import {
  TranscriptParseError,
  looksLikeOurTranscript,
  parseStartedAt,
  readEventLine,
  splitTranscriptLines,
  TranscriptLineReader,
  visitTranscriptEvents,
  type TranscriptSourcePosition,
} from './transcriptFormat';
import type { TranscriptEvent, TranscriptHeader } from './transcriptEvent';
import { unescapeWireText } from '../protocol/wireText';

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

/** Lines of a transcript, read again from the start on each call (a file read twice, say). */
export type TranscriptLineSource = () => AsyncIterable<string>;

/**
 * visitAnyTranscript for a transcript read line by line (lines as splitTranscriptLines gives them), so
 * that nothing of a file of hundreds of megabytes is held: a first pass decides the format as
 * visitAnyTranscript does (our format valid to the end, swaks, or a telnet paste), a second visits the
 * events. The events, fallback and format are the same as visitAnyTranscript's on the whole text.
 */
export async function visitAnyTranscriptLines(
  lines: TranscriptLineSource,
  visitor: ImportedEventVisitor,
): Promise<Omit<ImportedTranscript, 'events' | 'positions'>> {
  const visit = (event: TranscriptEvent, position: TranscriptSourcePosition): void => visitor.event(event, position);
  const survey = new FormatSurvey();
  for await (const line of lines()) {
    survey.read(line);
  }
  survey.finish();
  if (survey.ours && survey.ourProblem === undefined) {
    const reader = new TranscriptLineReader(visit, (read) => visitor.header?.(read));
    let lineNumber = 0;
    for await (const line of lines()) {
      lineNumber += 1;
      reader.line(line, lineNumber);
    }
    return { format: 'smtp-relay-lab', header: reader.finish(lineNumber) };
  }
  if (survey.ours) {
    const startedAt = survey.startedAt ?? 0;
    const salvaged = salvagingReader(startedAt);
    await readEachStreamedLine(lines, salvaged, visit);
    return { format: 'telnet', fallback: { line: survey.ourProblem!.line, reason: survey.ourProblem!.message } };
  }
  if (survey.looksLikeSwaks()) {
    await readEachStreamedLine(lines, new SwaksOutputReader(), visit);
    return { format: 'swaks' };
  }
  await readEachStreamedLine(lines, new TelnetPasteReader(), visit);
  return { format: 'telnet' };
}

/** What the first pass of visitAnyTranscriptLines learns, keeping counts only. */
class FormatSurvey {
  ours: boolean | undefined;
  ourProblem: TranscriptParseError | undefined;
  startedAt: number | undefined;
  private lineCount = 0;
  private reader: TranscriptLineReader | undefined;
  private nonBlank = 0;
  private prefixed = 0;
  private wire = 0;

  read(line: string): void {
    this.lineCount += 1;
    if (this.ours === undefined && line !== '') {
      this.ours = line.startsWith('=== SMTP Relay Lab transcript');
      if (this.ours) {
        this.reader = new TranscriptLineReader(() => undefined);
      }
    }
    if (this.startedAt === undefined && line.startsWith('=== started: ')) {
      this.startedAt = parseStartedAt(Buffer.from(unescapeWireText(line.slice('=== started: '.length))).toString('utf8'));
    }
    if (this.reader !== undefined && this.ourProblem === undefined) {
      try {
        this.reader.line(line, this.lineCount);
      } catch (error) {
        if (!(error instanceof TranscriptParseError)) {
          throw error;
        }
        this.ourProblem = error;
      }
    }
    if (line.trim() === '') {
      return;
    }
    this.nonBlank += 1;
    if (swaksPrefixOf(line) !== undefined) {
      this.prefixed += 1;
      if (isSwaksWireLine(line)) {
        this.wire += 1;
      }
    }
  }

  finish(): void {
    if (this.reader !== undefined && this.ourProblem === undefined) {
      try {
        this.reader.finish(this.lineCount);
      } catch (error) {
        if (!(error instanceof TranscriptParseError)) {
          throw error;
        }
        this.ourProblem = error;
      }
    }
  }

  looksLikeSwaks(): boolean {
    return (this.wire > 0 && this.prefixed * 2 >= this.nonBlank) || (this.nonBlank > 0 && this.prefixed === this.nonBlank);
  }
}

async function readEachStreamedLine(lines: TranscriptLineSource, reader: LineReader, visit: EventVisit): Promise<void> {
  let lineNumber = 0;
  for await (const line of lines()) {
    lineNumber += 1;
    const imported = reader.read(line, lineNumber);
    if (imported !== undefined) {
      visit(imported.event, imported.position);
    }
  }
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
  readEachLine(lines, salvagingReader(findStartedAt(lines)), visit);
}

/** Reads a damaged file of ours line by line: what still reads as an event stays one, the rest is a telnet paste. */
function salvagingReader(startedAt: number): LineReader {
  const telnet = new TelnetPasteReader();
  return {
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
