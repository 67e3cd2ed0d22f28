/** Issue 8, item 2: the classes of characters a server can use against whoever reads its text. */

/** One sample of each class the issue names, with the visible escape it must become. */
export const hostileClasses: ReadonlyArray<{ name: string; raw: string; shown: string }> = [
  { name: 'OSC 0 (set the title) ending in BEL', raw: '\x1b]0;owned\x07', shown: '\\x1B]0;owned\\x07' },
  { name: 'OSC 52 (write the clipboard)', raw: '\x1b]52;c;cm0gLXJmIH4=\x07', shown: '\\x1B]52;c;cm0gLXJmIH4=\\x07' },
  { name: 'CSI 2J (clear the screen)', raw: '\x1b[2J', shown: '\\x1B[2J' },
  { name: 'other C0 controls: NUL, BS, TAB, CR, LF', raw: '\x00\x08\t\r\n', shown: '\\x00\\x08\\x09\\x0D\\x0A' },
  { name: 'DEL', raw: '\x7f', shown: '\\x7F' },
  { name: 'C1 controls (U+0080..U+009F), CSI as one character', raw: '\u0080\u009b2J\u009d0;x\u009c\u009f', shown: '\\u0080\\u009B2J\\u009D0;x\\u009C\\u009F' },
  { name: 'bidi overrides and embeddings U+202A..U+202E', raw: '\u202a\u202b\u202c\u202d\u202e', shown: '\\u202A\\u202B\\u202C\\u202D\\u202E' },
  { name: 'bidi isolates U+2066..U+2069', raw: '\u2066\u2067\u2068\u2069', shown: '\\u2066\\u2067\\u2068\\u2069' },
  { name: 'zero-width U+200B..U+200F', raw: '\u200b\u200c\u200d\u200e\u200f', shown: '\\u200B\\u200C\\u200D\\u200E\\u200F' },
  { name: 'line and paragraph separators U+2028, U+2029', raw: '\u2028\u2029', shown: '\\u2028\\u2029' },
];
