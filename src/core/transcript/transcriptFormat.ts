/**
 * Our transcript file format, version 1: readable, diffable, and lossless.
 *
 *     === SMTP Relay Lab transcript v1
 *     === tool: smtp-relay-lab 0.1.0
 *     === target: 127.0.0.1:2525
 *     === started: 2026-11-28T22:30:00.000Z
 *     === tls: starttls
 *     +0.004 <-  220 mail.example.com ESMTP
 *     +0.010  -> EHLO client.example.com
 *     +0.012 <-  250 mail.example.com \LF
 *
 * Header. Lines `=== key: value` before the first event. The first line is the title above (the version
 * is checked). `tool` and `started` are required, `target` is optional, and every other key is an entry
 * of `header.extra`. Keys and values are written in the escaped form of wireText.ts (as UTF-8), so a
 * value cannot break the line. In a key, `:` is written `\x3A`. An extra key that is spelt like a
 * reserved key (`tool`, `target`, `started`) has its first character escaped (`\x74ool`), so it stays
 * an extra entry. `started` is an ISO 8601 time when `startedAt` is a whole millisecond, else the JS
 * number as text. An empty `extra` is written as no `extra`, and an absent `target` as an undefined one:
 * both mean the same.
 *
 * Events. One line each: `<stamp> <marker> <text>[ <ending>]`.
 *   stamp   `+S.mmm` or `-S.mmm`: `event.at - startedAt` in seconds with millisecond precision, exact
 *           because both are whole milliseconds. When that is not exact (fractional milliseconds, huge
 *           values), `@<at>` gives the absolute time as a JS number.
 *   marker  three characters, swaks style: `<- ` received, `<~ ` received inside TLS, ` ->` sent,
 *           ` ~>` sent inside TLS, `===` info, `***` error. swaks has no TLS form of the last two, so we
 *           add `=~=` and `*~*` for info and error events recorded inside TLS.
 *   text    the event text exactly as stored: already escaped (wireText.ts), so it has no CR or LF. Text
 *           that still holds a raw CR or LF (an info or error remark quoting a TLS library's message,
 *           written by a caller that did not escape it) has them written `\x0D` and `\x0A`, so the
 *           remark stays one line and can never read back as a sent command or a received line.
 *   ending  ` \LF` when the line ended with a bare LF, ` \EOF` when the peer closed before any line end.
 *           Escaped text cannot end like that: in escaped text a backslash always starts `\\` or `\xNN`,
 *           and a backslash right after a space starts a new escape, so ` \L` and ` \E` never occur. Text
 *           that is not canonical escaped text and happens to end like a marker gets an explicit ` \CRLF`
 *           marker, so the reader, which strips exactly one marker, still gives it back unchanged.
 *
 * Lines are separated by LF; a reader also accepts CRLF (a Windows checkout), blank lines, a BOM, and a
 * marker whose trailing space an editor trimmed. Anything else that does not fit raises a
 * TranscriptParseError naming the line. transcriptImport.ts then reads the file line by line instead
 * (lines that are valid events stay events, the rest is read as a telnet paste), so nothing is lost.
 */
import type { LineEnding, Transcript, TranscriptEvent, TranscriptEventKind, TranscriptHeader } from './transcriptEvent';
import { escapeWireBytes, unescapeWireText } from '../protocol/wireText';

export const transcriptTitle = '=== SMTP Relay Lab transcript v1';

/** A transcript that is not in our format; `line` is 1-based and also named in the message. */
export class TranscriptParseError extends Error {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = 'TranscriptParseError';
  }
}

/** Where an event's text sits in the file: 1-based line, 0-based UTF-16 columns, end exclusive. */
export interface TranscriptSourcePosition {
  line: number;
  startColumn: number;
  endColumn: number;
}

export interface PositionedTranscript extends Transcript {
  /** One per event, in the same order. */
  positions: TranscriptSourcePosition[];
}

const markerByKind: Record<TranscriptEventKind, readonly [plain: string, insideTls: string]> = {
  received: ['<- ', '<~ '],
  sent: [' ->', ' ~>'],
  info: ['===', '=~='],
  error: ['***', '*~*'],
};

const eventByMarker = new Map<string, { kind: TranscriptEventKind; tls: boolean }>();
for (const [kind, [plain, insideTls]] of Object.entries(markerByKind) as [TranscriptEventKind, readonly string[]][]) {
  eventByMarker.set(plain, { kind, tls: false });
  eventByMarker.set(insideTls, { kind, tls: true });
}

const endingMarkers: readonly { marker: string; ending: LineEnding }[] = [
  { marker: ' \\LF', ending: 'lf' },
  { marker: ' \\EOF', ending: 'none' },
  { marker: ' \\CRLF', ending: 'crlf' },
];

const reservedHeaderKeys = new Set(['tool', 'target', 'started']);

export function writeTranscript(transcript: Transcript): string {
  const { header, events } = transcript;
  const lines = [transcriptTitle, headerLine('tool', header.tool)];
  if (header.target !== undefined) {
    lines.push(headerLine('target', header.target));
  }
  lines.push(`=== started: ${formatStartedAt(header.startedAt)}`);
  for (const [key, value] of Object.entries(header.extra ?? {})) {
    lines.push(headerLine(escapeExtraKey(key), value));
  }
  for (const event of events) {
    lines.push(eventLine(event, header.startedAt));
  }
  return lines.join('\n') + '\n';
}

export function readTranscript(text: string): Transcript {
  const { header, events } = readPositionedTranscript(text);
  return { header, events };
}

/** readTranscript, plus where each event's text is in the file (for diagnostics and annotations). */
export function readPositionedTranscript(text: string): PositionedTranscript {
  const events: TranscriptEvent[] = [];
  const positions: TranscriptSourcePosition[] = [];
  const header = visitTranscriptEvents(text, (event, position) => {
    events.push(event);
    positions.push(position);
  });
  return { header, events, positions };
}

/**
 * readPositionedTranscript without keeping the events: each is handed to `visit` as it is read, so a
 * reader that needs only one at a time (the annotator) does not hold a million of them. Throws the same
 * TranscriptParseError, possibly after visiting the events before the bad line.
 */
export function visitTranscriptEvents(
  text: string,
  visit: (event: TranscriptEvent, position: TranscriptSourcePosition) => void,
  onHeader?: (header: TranscriptHeader) => void,
): TranscriptHeader {
  const reader = new TranscriptLineReader(visit, onHeader);
  const lines = splitTranscriptLines(text);
  for (let index = 0; index < lines.length; index += 1) {
    reader.line(lines[index], index + 1);
  }
  return reader.finish(lines.length);
}

/**
 * visitTranscriptEvents one line at a time, for a reader that streams a file too big to hold
 * (`annotate` on hundreds of megabytes). Lines as splitTranscriptLines gives them: no LF, no trailing
 * CR, no BOM. line() and finish() throw the same TranscriptParseError.
 */
export class TranscriptLineReader {
  private stage: 'title' | 'header' | 'events' = 'title';
  private titleLineNumber = 0;
  private readonly fields = new Map<string, string>();
  private header: TranscriptHeader | undefined;

  constructor(
    private readonly visit: (event: TranscriptEvent, position: TranscriptSourcePosition) => void,
    private readonly onHeader?: (header: TranscriptHeader) => void,
  ) {}

  line(line: string, lineNumber: number): void {
    if (line === '') {
      return;
    }
    if (this.stage === 'title') {
      checkTitle(line, lineNumber);
      this.titleLineNumber = lineNumber;
      this.stage = 'header';
      return;
    }
    if (this.stage === 'header') {
      if (line.startsWith('===')) {
        const [key, value] = parseHeaderLine(line, lineNumber);
        if (this.fields.has(key)) {
          throw new TranscriptParseError(lineNumber, `header key "${key}" appears twice`);
        }
        this.fields.set(key, value);
        return;
      }
      this.endHeader();
    }
    const read = readEventLine(line, lineNumber, this.header!.startedAt);
    if ('problem' in read) {
      throw new TranscriptParseError(lineNumber, read.problem);
    }
    this.visit(read.event, read.position);
  }

  /** The header; `lineCount` (the number of lines read) names the line of a missing title. */
  finish(lineCount: number): TranscriptHeader {
    if (this.stage === 'title') {
      throw new TranscriptParseError(Math.max(1, lineCount), `no header: expected "${transcriptTitle}"`);
    }
    if (this.stage === 'header') {
      this.endHeader();
    }
    return this.header!;
  }

  private endHeader(): void {
    this.header = buildHeader(this.fields, this.titleLineNumber);
    this.stage = 'events';
    this.onHeader?.(this.header);
  }
}

/** True when the text starts like our format (possibly after blank lines or a BOM). */
export function looksLikeOurTranscript(text: string): boolean {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (text[start] === '\n' || text[start] === '\r') {
    start += 1;
  }
  return text.startsWith('=== SMTP Relay Lab transcript', start);
}

/** The lines of a transcript file: BOM dropped, LF or CRLF separators, so line N is `lines[N - 1]`. */
export function splitTranscriptLines(text: string): string[] {
  const withoutBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = withoutBom.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index];
    if (line.endsWith('\r')) {
      // Escaped text never holds a raw CR, so a trailing one can only come from a CRLF file.
      lines[index] = line.slice(0, -1);
    }
  }
  return lines;
}

function checkTitle(line: string, lineNumber: number): void {
  if (line === transcriptTitle) {
    return;
  }
  if (line.startsWith('=== SMTP Relay Lab transcript ')) {
    throw new TranscriptParseError(lineNumber, `unsupported transcript version "${line.slice(30)}" (this reader knows v1)`);
  }
  throw new TranscriptParseError(lineNumber, `no header: expected "${transcriptTitle}"`);
}

// ---- header ----

function headerLine(escapedKey: string, value: string): string {
  return `=== ${escapedKey}: ${escapeText(value)}`;
}

function escapeText(value: string): string {
  return escapeWireBytes(Buffer.from(value, 'utf8'));
}

function unescapeText(text: string): string {
  return Buffer.from(unescapeWireText(text)).toString('utf8');
}

function escapeExtraKey(key: string): string {
  let escaped = escapeText(key).replaceAll(':', '\\x3A');
  if (reservedHeaderKeys.has(escaped)) {
    escaped = `\\x${escaped.charCodeAt(0).toString(16).toUpperCase()}${escaped.slice(1)}`;
  }
  return escaped;
}

function parseHeaderLine(line: string, lineNumber: number): [key: string, value: string] {
  if (!line.startsWith('=== ')) {
    throw new TranscriptParseError(lineNumber, `bad header line: expected "=== key: value"`);
  }
  let separator = line.indexOf(': ', 4);
  if (separator < 0 && line.endsWith(':')) {
    // An empty value whose trailing space an editor trimmed.
    separator = line.length - 1;
  }
  if (separator < 0) {
    throw new TranscriptParseError(lineNumber, `bad header line: expected "=== key: value"`);
  }
  const writtenKey = line.slice(4, separator);
  const value = unescapeText(line.slice(separator + 2));
  const key = unescapeText(writtenKey);
  if (reservedHeaderKeys.has(writtenKey)) {
    return [writtenKey, value];
  }
  // Any other spelling is an extra entry, even one that unescapes to a reserved word.
  return [`extra:${key}`, value];
}

function buildHeader(fields: Map<string, string>, titleLineNumber: number): TranscriptHeader {
  const tool = fields.get('tool');
  if (tool === undefined) {
    throw new TranscriptParseError(titleLineNumber, 'header has no "=== tool: ..." line');
  }
  const started = fields.get('started');
  if (started === undefined) {
    throw new TranscriptParseError(titleLineNumber, 'header has no "=== started: ..." line');
  }
  const startedAt = parseStartedAt(started);
  if (startedAt === undefined) {
    throw new TranscriptParseError(titleLineNumber, `header "started" is not a time: "${started}"`);
  }
  const header: TranscriptHeader = { tool, startedAt };
  const target = fields.get('target');
  if (target !== undefined) {
    header.target = target;
  }
  // fromEntries, not assignment: an extra key "__proto__" must stay an entry, not become a prototype.
  const extra = Object.fromEntries(
    [...fields].filter(([key]) => key.startsWith('extra:')).map(([key, value]) => [key.slice(6), value]),
  );
  if (Object.keys(extra).length > 0) {
    header.extra = extra;
  }
  return header;
}

const isoTimePattern = /^[+-]?\d{4,6}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function formatStartedAt(startedAt: number): string {
  if (Number.isInteger(startedAt) && !Object.is(startedAt, -0) && Math.abs(startedAt) <= 8.64e15) {
    return new Date(startedAt).toISOString();
  }
  return numberText(startedAt);
}

/** The value of a `started:` header line as milliseconds, or undefined. */
export function parseStartedAt(text: string): number | undefined {
  if (isoTimePattern.test(text)) {
    const parsed = Date.parse(text);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return parseNumberText(text);
}

// ---- events ----

function eventLine(event: TranscriptEvent, startedAt: number): string {
  const marker = markerByKind[event.kind]?.[event.tls ? 1 : 0] ?? markerByKind.info[0];
  const rest = withoutLineBreaks(event.text) + endingSuffix(event);
  const stamp = formatStamp(event.at, startedAt);
  return rest === '' ? `${stamp} ${marker}` : `${stamp} ${marker} ${rest}`;
}

/** Raw CR and LF as their escapes: one event, one line, whatever a caller put in the text. */
function withoutLineBreaks(text: string): string {
  if (!text.includes('\n') && !text.includes('\r')) {
    return text;
  }
  return text.replaceAll('\r', '\\x0D').replaceAll('\n', '\\x0A');
}

function endingSuffix(event: TranscriptEvent): string {
  if (event.ending !== undefined) {
    return endingMarkers.find((entry) => entry.ending === event.ending)?.marker ?? '';
  }
  return endingMarkers.some((entry) => event.text.endsWith(entry.marker)) ? ' \\CRLF' : '';
}

/** One event line of our format, or what is wrong with it. Never throws, for the lenient importer. */
export function readEventLine(
  line: string,
  lineNumber: number,
  startedAt: number,
): { event: TranscriptEvent; position: TranscriptSourcePosition } | { problem: string } {
  if (line.startsWith('===')) {
    return { problem: 'header line after the first event (events start with a timestamp)' };
  }
  const stampEnd = line.indexOf(' ');
  const stampText = stampEnd < 0 ? line : line.slice(0, stampEnd);
  const at = parseStamp(stampText, startedAt);
  if (at === undefined) {
    return { problem: `bad timestamp "${stampText}": expected +S.mmm, -S.mmm or @<ms>` };
  }
  if (stampEnd < 0) {
    return { problem: 'timestamp without a direction marker' };
  }
  const markerStart = stampEnd + 1;
  // An editor may have trimmed the trailing space of "<- " on an empty line.
  const marker = line.slice(markerStart, markerStart + 3).padEnd(3, ' ');
  const direction = eventByMarker.get(marker);
  if (direction === undefined) {
    return {
      problem: `bad direction marker "${marker}": expected "<- ", "<~ ", " ->", " ~>", "===", "=~=", "***" or "*~*"`,
    };
  }
  const afterMarker = markerStart + 3;
  let textStart = afterMarker;
  if (line.length > afterMarker) {
    if (line[afterMarker] !== ' ') {
      return { problem: `expected a space after the direction marker "${marker}"` };
    }
    textStart = afterMarker + 1;
  }
  let textEnd = Math.max(textStart, line.length);
  let ending: LineEnding = 'crlf';
  for (const entry of endingMarkers) {
    if (line.endsWith(entry.marker) && line.length - entry.marker.length >= textStart) {
      ending = entry.ending;
      textEnd = line.length - entry.marker.length;
      break;
    }
  }
  const event: TranscriptEvent = { kind: direction.kind, at, tls: direction.tls, text: line.slice(textStart, textEnd) };
  if (ending !== 'crlf') {
    event.ending = ending;
  }
  return { event, position: { line: lineNumber, startColumn: textStart, endColumn: textEnd } };
}

function formatStamp(at: number, startedAt: number): string {
  const offset = at - startedAt;
  if (Number.isSafeInteger(offset) && !Object.is(offset, -0)) {
    const magnitude = Math.abs(offset);
    const stamp = `${offset < 0 ? '-' : '+'}${Math.trunc(magnitude / 1000)}.${String(magnitude % 1000).padStart(3, '0')}`;
    // Checked, not assumed: startedAt + offset is not always `at` again in floating point.
    if (Object.is(parseStamp(stamp, startedAt), at)) {
      return stamp;
    }
  }
  return `@${numberText(at)}`;
}

function parseStamp(stamp: string, startedAt: number): number | undefined {
  if (stamp.startsWith('@')) {
    return parseNumberText(stamp.slice(1));
  }
  const sign = stamp[0];
  const dot = stamp.length - 4;
  if ((sign !== '+' && sign !== '-') || dot < 2 || stamp[dot] !== '.') {
    return undefined;
  }
  const seconds = stamp.slice(1, dot);
  const milliseconds = stamp.slice(dot + 1);
  if (!allDigits(seconds) || !allDigits(milliseconds)) {
    return undefined;
  }
  const magnitude = Number(seconds) * 1000 + Number(milliseconds);
  if (!Number.isSafeInteger(magnitude)) {
    return undefined;
  }
  return startedAt + (sign === '-' ? -magnitude : magnitude);
}

function allDigits(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 0x30 || code > 0x39) {
      return false;
    }
  }
  return text.length > 0;
}

// String(-0) is "0"; keep the sign so that the value round-trips under Object.is.
function numberText(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

const numberPattern = /^(?:-?(?:\d+(?:\.\d+)?(?:e[+-]\d+)?|Infinity)|NaN)$/;

function parseNumberText(text: string): number | undefined {
  return numberPattern.test(text) ? Number(text) : undefined;
}
