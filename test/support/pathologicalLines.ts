/**
 * Issue 8, item 5: 1 MiB lines built to make a backtracking regular expression retry at every position.
 * Shared by test/unit/hostileInput.test.ts (which proves every pattern on server text completes) and the
 * bench's hostile-input group (which times the worst of them).
 */

const mebibyte = 1024 * 1024;

/** A 1 MiB line made of `unit` repeated, with `tail` at the end (what makes a match fail late). */
function line(unit: string, tail = '!', head = ''): string {
  return head + unit.repeat(Math.ceil((mebibyte - head.length - tail.length) / unit.length)) + tail;
}

/** Shapes that make backtracking retry: long runs of what a pattern repeats, then a character that fails it. */
export const pathologicalLines: Record<string, string> = {
  'commas after an address, then a letter': line(',', 'x', '250 a@'),
  'commas after an address, at the end': line(',', '', '250 a@'),
  'dots after an address, then a letter': line('.', 'x', '250 a@'),
  'spaces, then a letter': line(' ', 'x', '250 '),
  'tabs and spaces': line('\t ', 'x', '250 '),
  'angle brackets opened, never closed': line('<a', '', '550 '),
  'nested brackets': line('<', 'x', '550 '),
  'at signs': line('@', '', '250 '),
  'labels of a host name that fails at the end': line('a.', '-!', '220 '),
  'a host name label of 1 MiB': line('a', '.-', '220 '),
  'digits and dots like an enhanced code': line('5.', '', '550 '),
  'an unclosed qmail code': line('(#5.7.1', '', '553 '),
  'relay words that never finish the phrase': line('relay relaying ', 'x', '550 '),
  'user words that never finish the phrase': line('user recipient mailbox ', 'x', '550 '),
  'a command word repeated': line('MAIL FROM ', ':', ''),
  'bidi and zero-width characters': line('\u202e\u200b', '', '250 '),
  'control characters': line('\x1b[2J', '', '250 '),
};
