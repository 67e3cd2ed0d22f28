/**
 * The one way server text reaches a person: a terminal, a hover, the Problems panel, Markdown, JSON.
 *
 * Every piece of text a server sent is hostile. A terminal acts on C0 controls (ESC starts `ESC ] 0;…`
 * titles, `ESC ] 52;c;…` clipboard writes, `ESC [ 2J` screen clears), on DEL and on C1 controls
 * (U+0080..U+009F, where U+009B is a one-character CSI). Bidi overrides and isolates (U+202A..U+202E,
 * U+2066..U+2069) reorder what is shown ("Trojan Source"), zero-width characters (U+200B..U+200F) hide
 * text, and U+2028/U+2029 break lines where a reader (JavaScript, JSON consumers) does not expect it.
 *
 * displayText() turns each of these into a visible escape: `\x1B` for C0 controls and DEL (as the
 * transcript's escaped form writes them), `\u202E` for the others. Everything else, backslashes
 * included, stays as it is: transcript text is already in escaped form (wireText.ts), and escaping its
 * backslashes again would show `\\x1B` for a control that was already made visible.
 */

/** True for a code unit that displayText() escapes. */
export function isUnsafeForDisplay(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0xfeff
  );
}

export interface DisplayTextOptions {
  /** Keep LF as a line break (multi-line hovers, Markdown code blocks); CR is always escaped. */
  keepLineFeeds?: boolean;
}

/** Server text with every control, bidi, zero-width and line/paragraph separator made visible. */
export function displayText(text: string, options: DisplayTextOptions = {}): string {
  let index = firstUnsafeIndex(text, options);
  if (index < 0) {
    return text;
  }
  const parts: string[] = [];
  let runStart = 0;
  for (; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (!isUnsafeForDisplay(code) || (code === 0x0a && options.keepLineFeeds)) {
      continue;
    }
    if (index > runStart) {
      parts.push(text.slice(runStart, index));
    }
    parts.push(visibleEscape(code));
    runStart = index + 1;
  }
  if (runStart < text.length) {
    parts.push(text.slice(runStart));
  }
  return parts.join('');
}

/**
 * JSON.stringify, plus `\u` escapes for what it leaves raw: DEL, C1 controls, bidi, zero-width, U+2028,
 * U+2029. JSON.stringify already escapes C0 controls. The data is unchanged for a JSON reader; only its
 * spelling is, so that `cat` of the JSON cannot drive a terminal.
 */
export function displayJson(value: unknown, space?: number): string {
  const json = JSON.stringify(value, null, space);
  if (json === undefined) {
    return 'null';
  }
  // Outside strings JSON.stringify writes only ASCII punctuation, digits, letters and spaces, so every
  // unsafe character found here is inside a string, where a \u escape means the same character.
  let parts: string[] | undefined;
  let runStart = 0;
  for (let index = 0; index < json.length; index += 1) {
    const code = json.charCodeAt(index);
    if (code < 0x7f || !isUnsafeForDisplay(code)) {
      continue;
    }
    parts ??= [];
    parts.push(json.slice(runStart, index), unicodeEscape(code));
    runStart = index + 1;
  }
  if (parts === undefined) {
    return json;
  }
  parts.push(json.slice(runStart));
  return parts.join('');
}

/** displayText, then the Markdown specials escaped, for text set in a Markdown paragraph or table. */
export function displayMarkdown(text: string): string {
  return displayText(text).replace(/[\\`*_{}[\]()#+\-.!|<>~&]/g, (character) => `\\${character}`);
}

function firstUnsafeIndex(text: string, options: DisplayTextOptions): number {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (isUnsafeForDisplay(code) && !(code === 0x0a && options.keepLineFeeds)) {
      return index;
    }
  }
  return -1;
}

function visibleEscape(code: number): string {
  return code <= 0x7f ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}` : unicodeEscape(code);
}

function unicodeEscape(code: number): string {
  return `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
}
