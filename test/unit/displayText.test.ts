/**
 * Issue 8, item 2: one function makes server text safe to show, for every class of character that can
 * drive a terminal, hide text or reorder it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { displayJson, displayMarkdown, displayText } from '../../src/core/protocol/displayText';
import { hostileClasses } from '../support/hostileText';


describe('displayText: server text made safe to show (issue 8)', () => {
  for (const { name, raw, shown } of hostileClasses) {
    test(`${name} become visible escapes`, () => {
      assert.equal(displayText(`250 ok ${raw} done`), `250 ok ${shown} done`);
    });
  }

  test('ordinary text, accents, CJK, emoji and backslashes are shown as they are', () => {
    const plain = 'Relay access denied: café 日本 📨 C:\\mail \\x41 already escaped';
    assert.equal(displayText(plain), plain);
  });

  test('keepLineFeeds keeps LF as a break and still escapes CR', () => {
    assert.equal(displayText('a\r\nb\u202e', { keepLineFeeds: true }), 'a\\x0D\nb\\u202E');
  });

  test('JSON: the same data for a JSON reader, but no raw C1, bidi, zero-width, separator or DEL character in the text', () => {
    const value = { reason: hostileClasses.map((entry) => entry.raw).join(' ') };
    const json = displayJson(value, 2);
    assert.deepEqual(JSON.parse(json), value);
    for (let index = 0; index < json.length; index += 1) {
      const code = json.charCodeAt(index);
      assert.ok(code >= 0x20 && code < 0x7f ? true : code === 0x0a, `raw U+${code.toString(16)} at ${index}`);
    }
    assert.match(json, /\\u202e|\\u202E/);
    assert.match(json, /\\u009b|\\u009B/);
    assert.match(json, /\\u001b/);
  });

  test('Markdown: escaped, and its specials cannot start a link or an HTML tag', () => {
    const markdown = displayMarkdown('[click](https://example.com) <img src=x> \u202e');
    assert.equal(markdown.includes('\u202e'), false);
    assert.ok(markdown.startsWith('\\[click\\]\\(https://example\\.com\\)'));
    assert.ok(markdown.includes('\\<img src=x\\>'));
  });
});

describe('the editor faces escape through displayText (issue 8, item 2)', () => {
  test('verdict Markdown, hover Markdown and code spans show no raw hostile character, and a backtick flood does not overflow', async () => {
    const { escapeMarkdown, inlineCode } = await import('../../src/extension/verdict/verdictMarkdown');
    const { codeSpan, escapeMarkdown: escapeHoverMarkdown } = await import('../../src/extension/diagnostics/replyExplanation');
    const { terminalSafe } = await import('../../src/extension/terminal/terminalText');
    const hostile = `550 ${hostileClasses.map((entry) => entry.raw).join(' ')}`;
    for (const shown of [escapeMarkdown(hostile), inlineCode(hostile), codeSpan(hostile), escapeHoverMarkdown(hostile), terminalSafe(hostile)]) {
      for (const { raw } of hostileClasses) {
        for (const character of raw) {
          assert.equal(shown.includes(character) && !/[\x20-\x7e]/.test(character), false, `U+${character.codePointAt(0)!.toString(16)} in ${shown}`);
        }
      }
    }
    const flood = '`a'.repeat(300_000);
    assert.ok(inlineCode(flood).startsWith('``'));
    assert.ok(codeSpan(flood).startsWith('``'));
  });
});
