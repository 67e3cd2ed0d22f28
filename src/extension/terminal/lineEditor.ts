/**
 * The line the user is typing in the session terminal: a buffer with a cursor, history and Tab completion,
 * fed with the raw data xterm sends (keys, escape sequences, pasted text) and answering with the echo to
 * write. A Pseudoterminal has no line discipline of its own, so this is the telnet-like local echo.
 *
 * Assumes one terminal column per code point (wide CJK characters would misplace the cursor) and a line that
 * fits on one row: SMTP commands are short.
 */

/** The candidates that may replace the text before the cursor (the whole of it, not only its last word). */
export type CompletionSource = (textBeforeCursor: string) => readonly string[];

export interface LineEditorOptions {
  complete?: CompletionSource;
  /** Oldest entries are dropped beyond this. */
  historyLimit?: number;
}

/** What one call of `handleInput` did, up to the first completed line or Ctrl+C. */
export interface LineEditorStep {
  /** Text to write to the terminal to show the edits (cursor moves, characters, CR LF after Enter). */
  echo: string;
  /** The line ended by Enter, when one was. */
  submitted?: string;
  /** Ctrl+C: the line was abandoned. */
  interrupted: boolean;
  /**
   * Input left unread because a line was submitted or Ctrl+C was pressed first. A paste of several lines
   * arrives as one chunk; the caller handles the submitted line, then feeds the rest, so each pasted line
   * is sent, shown and answered in turn.
   */
  rest: string;
}

const escape = '\x1b';

type EditorKey =
  | 'left'
  | 'right'
  | 'home'
  | 'end'
  | 'up'
  | 'down'
  | 'delete'
  | 'backspace'
  | 'kill-before-cursor'
  | 'kill-after-cursor'
  | 'complete';

// CSI sequences (ESC [ ... final) and SS3 sequences (ESC O final, sent in application cursor mode).
const csiKeys: Record<string, EditorKey> = {
  D: 'left',
  C: 'right',
  H: 'home',
  F: 'end',
  A: 'up',
  B: 'down',
  '1~': 'home',
  '7~': 'home',
  '4~': 'end',
  '8~': 'end',
  '3~': 'delete',
};

const controlKeys: Record<string, EditorKey> = {
  '\x7f': 'backspace',
  '\x08': 'backspace',
  '\x01': 'home', // Ctrl+A
  '\x05': 'end', // Ctrl+E
  '\x02': 'left', // Ctrl+B
  '\x06': 'right', // Ctrl+F
  '\x15': 'kill-before-cursor', // Ctrl+U
  '\x0b': 'kill-after-cursor', // Ctrl+K
  '\t': 'complete',
};

export class LineEditor {
  /** Code points, so that the cursor never splits a surrogate pair. */
  private buffer: string[] = [];
  private cursor = 0;
  private readonly history: string[] = [];
  /** Position while browsing history; equals history.length when not browsing. */
  private historyIndex = 0;
  /** The line being typed before the user went up into history, restored on the way down. */
  private draft: string[] = [];
  /** An escape sequence cut in two by the end of a chunk. */
  private partialEscape = '';
  /** A CR ended the previous chunk: a LF opening this one belongs to it (CR LF from a paste). */
  private swallowLineFeed = false;
  /** When false (the body of DATA), submitted lines are not remembered. */
  historyEnabled = true;

  constructor(private readonly options: LineEditorOptions = {}) {}

  /** The text typed so far. */
  get line(): string {
    return this.buffer.join('');
  }

  get cursorPosition(): number {
    return this.cursor;
  }

  get historyEntries(): readonly string[] {
    return this.history;
  }

  handleInput(data: string): LineEditorStep {
    const input = Array.from(this.partialEscape + data);
    this.partialEscape = '';
    let echo = '';
    let index = 0;
    while (index < input.length) {
      const character = input[index];
      if (this.swallowLineFeed) {
        this.swallowLineFeed = false;
        if (character === '\n') {
          index += 1;
          continue;
        }
      }
      if (character === '\r' || character === '\n') {
        index += 1;
        if (character === '\r') {
          if (index === input.length) {
            this.swallowLineFeed = true;
          } else if (input[index] === '\n') {
            index += 1;
          }
        }
        const submitted = this.submit();
        return { echo: echo + '\r\n', submitted, interrupted: false, rest: input.slice(index).join('') };
      }
      if (character === '\x03') {
        this.buffer = [];
        this.cursor = 0;
        this.leaveHistory();
        return { echo: echo + '^C\r\n', interrupted: true, rest: input.slice(index + 1).join('') };
      }
      if (character === escape) {
        const sequence = readEscapeSequence(input, index);
        if (sequence.incomplete) {
          this.partialEscape = input.slice(index).join('');
          break;
        }
        index = sequence.end;
        const key = sequence.body === undefined ? undefined : csiKeys[sequence.body];
        if (key) {
          echo += this.applyKey(key);
        }
        continue;
      }
      index += 1;
      const key = controlKeys[character];
      if (key) {
        echo += this.applyKey(key);
      } else if (isPrintable(character)) {
        echo += this.edit(
          [...this.buffer.slice(0, this.cursor), character, ...this.buffer.slice(this.cursor)],
          this.cursor + 1,
        );
      }
    }
    return { echo, interrupted: false, rest: '' };
  }

  /**
   * The echo that draws the current line again at the start of an empty row, after something else was
   * written over it (an unsolicited reply, a notice).
   */
  redraw(): string {
    return this.line + moveLeft(this.buffer.length - this.cursor);
  }

  /** The echo that wipes the line being typed from its row, so a notice can be written there. */
  erase(): string {
    return '\r\x1b[K';
  }

  private applyKey(key: EditorKey): string {
    switch (key) {
      case 'left':
        return this.moveTo(this.cursor - 1);
      case 'right':
        return this.moveTo(this.cursor + 1);
      case 'home':
        return this.moveTo(0);
      case 'end':
        return this.moveTo(this.buffer.length);
      case 'backspace':
        if (this.cursor === 0) {
          return '';
        }
        return this.edit(
          [...this.buffer.slice(0, this.cursor - 1), ...this.buffer.slice(this.cursor)],
          this.cursor - 1,
        );
      case 'delete':
        if (this.cursor === this.buffer.length) {
          return '';
        }
        return this.edit([...this.buffer.slice(0, this.cursor), ...this.buffer.slice(this.cursor + 1)], this.cursor);
      case 'kill-before-cursor':
        return this.edit(this.buffer.slice(this.cursor), 0);
      case 'kill-after-cursor':
        return this.edit(this.buffer.slice(0, this.cursor), this.cursor);
      case 'up':
        return this.browseHistory(-1);
      case 'down':
        return this.browseHistory(1);
      case 'complete':
        return this.complete();
    }
  }

  private moveTo(position: number): string {
    const target = Math.max(0, Math.min(this.buffer.length, position));
    const echo = cursorMove(this.cursor, target);
    this.cursor = target;
    return echo;
  }

  /**
   * Replace the buffer and cursor, returning the least output that turns the old row into the new one:
   * move to where they first differ, write the new tail, clear what is left of a longer old line, and put
   * the cursor back.
   */
  private edit(next: string[], nextCursor: number): string {
    const previous = this.buffer;
    let common = 0;
    while (common < previous.length && common < next.length && previous[common] === next[common]) {
      common += 1;
    }
    let echo = cursorMove(this.cursor, common);
    echo += next.slice(common).join('');
    if (next.length < previous.length) {
      echo += '\x1b[K';
    }
    echo += cursorMove(next.length, nextCursor);
    this.buffer = next;
    this.cursor = nextCursor;
    return echo;
  }

  private submit(): string {
    const line = this.line;
    if (this.historyEnabled && line.trim() !== '' && this.history[this.history.length - 1] !== line) {
      this.history.push(line);
      const limit = this.options.historyLimit ?? 500;
      if (this.history.length > limit) {
        this.history.splice(0, this.history.length - limit);
      }
    }
    this.buffer = [];
    this.cursor = 0;
    this.leaveHistory();
    return line;
  }

  private leaveHistory(): void {
    this.historyIndex = this.history.length;
    this.draft = [];
  }

  private browseHistory(direction: -1 | 1): string {
    const target = this.historyIndex + direction;
    if (target < 0 || target > this.history.length) {
      return '';
    }
    if (this.historyIndex === this.history.length) {
      this.draft = this.buffer;
    }
    this.historyIndex = target;
    const entry = target === this.history.length ? this.draft : Array.from(this.history[target]);
    return this.edit(entry, entry.length);
  }

  private complete(): string {
    if (!this.options.complete) {
      return '';
    }
    const before = this.buffer.slice(0, this.cursor).join('');
    const candidates = this.options.complete(before);
    if (candidates.length === 0) {
      return '';
    }
    const after = this.buffer.slice(this.cursor);
    const shared = Array.from(longestCommonPrefix(candidates));
    if (candidates.length === 1 || shared.length > Array.from(before).length) {
      return this.edit([...shared, ...after], shared.length);
    }
    // Nothing more to add: list the choices under the line, as shells do, then draw the line again.
    return `${moveRight(this.buffer.length - this.cursor)}\r\n${candidates.join('  ')}\r\n${this.redraw()}`;
  }
}

function readEscapeSequence(
  input: readonly string[],
  start: number,
): { incomplete: boolean; end: number; body?: string } {
  const introducer = input[start + 1];
  if (introducer === undefined) {
    // A lone ESC at the end of a chunk is the Escape key itself: holding it back would eat the next key.
    return { incomplete: false, end: start + 1 };
  }
  if (introducer === 'O') {
    const final = input[start + 2];
    return final === undefined ? { incomplete: true, end: input.length } : { incomplete: false, end: start + 3, body: final };
  }
  if (introducer !== '[') {
    // Alt+key arrives as ESC then the key: ignore both.
    return { incomplete: false, end: start + 2 };
  }
  let index = start + 2;
  while (index < input.length) {
    const code = input[index].charCodeAt(0);
    if (code >= 0x40 && code <= 0x7e) {
      return { incomplete: false, end: index + 1, body: input.slice(start + 2, index + 1).join('') };
    }
    index += 1;
  }
  return { incomplete: true, end: input.length };
}

function isPrintable(character: string): boolean {
  return !/^[\x00-\x1f\x7f-\x9f]$/.test(character);
}

function cursorMove(from: number, to: number): string {
  return to < from ? moveLeft(from - to) : moveRight(to - from);
}

function moveLeft(columns: number): string {
  return columns <= 0 ? '' : columns === 1 ? '\x1b[D' : `\x1b[${columns}D`;
}

function moveRight(columns: number): string {
  return columns <= 0 ? '' : columns === 1 ? '\x1b[C' : `\x1b[${columns}C`;
}

function longestCommonPrefix(candidates: readonly string[]): string {
  let prefix = Array.from(candidates[0]);
  for (const candidate of candidates.slice(1)) {
    const characters = Array.from(candidate);
    let length = 0;
    while (length < prefix.length && length < characters.length && prefix[length] === characters[length]) {
      length += 1;
    }
    prefix = prefix.slice(0, length);
  }
  return prefix.join('');
}
