import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LineEditor, type LineEditorOptions } from '../../src/extension/terminal/lineEditor';
import { completeCommandLine } from '../../src/extension/terminal/commandCompletion';

/**
 * A one-row model of xterm: enough of it to check that the echo the editor writes leaves on screen what
 * the user typed, with the cursor where the user put it.
 */
class ScreenRow {
  cells: string[] = [];
  column = 0;
  /** Rows completed by CR LF. */
  finished: string[] = [];

  write(output: string): void {
    const characters = Array.from(output);
    for (let index = 0; index < characters.length; index += 1) {
      const character = characters[index];
      if (character === '\x1b' && characters[index + 1] === '[') {
        let end = index + 2;
        while (!/[@-~]/.test(characters[end])) {
          end += 1;
        }
        const parameter = characters.slice(index + 2, end).join('');
        const count = parameter === '' ? 1 : Number(parameter);
        const final = characters[end];
        if (final === 'D') {
          this.column = Math.max(0, this.column - count);
        } else if (final === 'C') {
          this.column += count;
        } else if (final === 'K') {
          this.cells.length = Math.min(this.cells.length, this.column);
        } else {
          throw new Error(`the editor wrote a sequence this model does not know: ESC [${parameter}${final}`);
        }
        index = end;
      } else if (character === '\r') {
        this.column = 0;
      } else if (character === '\n') {
        this.finished.push(this.text);
        this.cells = [];
      } else {
        assert.ok(character >= ' ', `raw control byte ${JSON.stringify(character)} written`);
        while (this.cells.length < this.column) {
          this.cells.push(' ');
        }
        this.cells[this.column] = character;
        this.column += 1;
      }
    }
  }

  get text(): string {
    return this.cells.join('').trimEnd();
  }
}

const keys = {
  left: '\x1b[D',
  right: '\x1b[C',
  home: '\x1b[H',
  end: '\x1b[F',
  delete: '\x1b[3~',
  up: '\x1b[A',
  down: '\x1b[B',
  backspace: '\x7f',
  enter: '\r',
  ctrlC: '\x03',
  tab: '\t',
};

function typing(options?: LineEditorOptions) {
  const editor = new LineEditor(options);
  const screen = new ScreenRow();
  const submitted: string[] = [];
  const type = (...inputs: string[]) => {
    for (const input of inputs) {
      let rest = input;
      do {
        const step = editor.handleInput(rest);
        screen.write(step.echo);
        if (step.submitted !== undefined) {
          submitted.push(step.submitted);
        }
        rest = step.rest;
      } while (rest !== '');
    }
  };
  return { editor, screen, submitted, type };
}

describe('line editor: typing and moving', () => {
  test('typed characters are echoed and Enter submits the line, then moves to a new row', () => {
    const { screen, submitted, type } = typing();
    type('EHLO client.example.com', keys.enter);
    assert.deepEqual(submitted, ['EHLO client.example.com']);
    assert.deepEqual(screen.finished, ['EHLO client.example.com']);
    assert.equal(screen.column, 0);
  });

  test('a character typed after Left is inserted before the cursor, on screen and in the line', () => {
    const { editor, screen, type } = typing();
    type('EHO', keys.left, 'L');
    assert.equal(editor.line, 'EHLO');
    assert.equal(screen.text, 'EHLO');
    assert.equal(screen.column, 3);
  });

  test('Home and End jump to the ends of the line', () => {
    const { editor, screen, type } = typing();
    type('HLO', keys.home, 'E');
    assert.equal(screen.text, 'EHLO');
    assert.equal(editor.cursorPosition, 1);
    type(keys.end, ' example.com');
    assert.equal(screen.text, 'EHLO example.com');
    assert.equal(screen.column, 'EHLO example.com'.length);
  });

  test('Backspace in the middle removes the character before the cursor and closes the gap on screen', () => {
    const { editor, screen, type } = typing();
    type('RCPTT TO:', keys.left, keys.left, keys.left, keys.left, keys.backspace);
    assert.equal(editor.line, 'RCPT TO:');
    assert.equal(screen.text, 'RCPT TO:');
    assert.equal(screen.column, 4);
  });

  test('Delete removes the character under the cursor; at the end of the line it does nothing', () => {
    const { editor, screen, type } = typing();
    type('NOOOP', keys.home, keys.right, keys.delete);
    assert.equal(screen.text, 'NOOP');
    type(keys.end, keys.delete);
    assert.equal(editor.line, 'NOOP');
  });

  test('Backspace at the start and Right at the end write nothing', () => {
    const editor = new LineEditor();
    editor.handleInput('AB');
    assert.equal(editor.handleInput(keys.right).echo, '');
    editor.handleInput(keys.home);
    assert.equal(editor.handleInput(keys.backspace).echo, '');
    assert.equal(editor.line, 'AB');
  });

  test('application-mode cursor keys (ESC O) move like the CSI ones', () => {
    const { editor, type } = typing();
    type('ATA', '\x1bOH', 'D', '\x1bOF', '!');
    assert.equal(editor.line, 'DATA!');
  });

  test('an escape sequence split across two chunks is still understood, not typed', () => {
    const { editor, screen, type } = typing();
    type('QUT', '\x1b[', 'D', 'I');
    assert.equal(editor.line, 'QUIT');
    assert.equal(screen.text, 'QUIT');
  });

  test('unknown escape sequences and control bytes are ignored rather than typed', () => {
    const { editor, type } = typing();
    type('NO', '\x1b[15~', '\x1b[1;5C', '\x07', '\x1bx', 'OP');
    assert.equal(editor.line, 'NOOP');
  });

  test('characters outside the basic plane count as one column and are never split', () => {
    const { editor, screen, type } = typing();
    type('VRFY 😀', keys.left, 'x', keys.right, keys.backspace);
    assert.equal(editor.line, 'VRFY x');
    assert.equal(screen.text, 'VRFY x');
  });

  test('Ctrl+U removes what is before the cursor, Ctrl+K what is after it', () => {
    const { editor, screen, type } = typing();
    type('MAIL FROM:<a@example.com>', keys.left, '\x0b');
    assert.equal(editor.line, 'MAIL FROM:<a@example.com');
    type(keys.home, keys.right, keys.right, keys.right, keys.right, '\x15');
    assert.equal(editor.line, ' FROM:<a@example.com');
    assert.equal(screen.text, ' FROM:<a@example.com');
    assert.equal(screen.column, 0);
  });
});

describe('line editor: Ctrl+C and pasted lines', () => {
  test('Ctrl+C abandons the line, shows ^C and reports the interrupt', () => {
    const editor = new LineEditor();
    editor.handleInput('MAIL FROM:<half');
    const step = editor.handleInput(keys.ctrlC);
    assert.equal(step.interrupted, true);
    assert.equal(step.submitted, undefined);
    assert.ok(step.echo.endsWith('^C\r\n'));
    assert.equal(editor.line, '');
  });

  test('a paste of several lines stops at each line end, so each line is sent and answered in turn', () => {
    const editor = new LineEditor();
    const first = editor.handleInput('RSET\rMAIL FROM:<a@example.com>\rRCPT TO:<b@example.net>\r');
    assert.equal(first.submitted, 'RSET');
    assert.equal(first.rest, 'MAIL FROM:<a@example.com>\rRCPT TO:<b@example.net>\r');
    const second = editor.handleInput(first.rest);
    assert.equal(second.submitted, 'MAIL FROM:<a@example.com>');
    assert.equal(second.echo, 'MAIL FROM:<a@example.com>\r\n');
    const third = editor.handleInput(second.rest);
    assert.equal(third.submitted, 'RCPT TO:<b@example.net>');
    assert.equal(third.rest, '');
  });

  test('CR LF, bare LF and CR all end a line, and CR LF ends only one line, even cut between chunks', () => {
    const { submitted, type } = typing();
    type('NOOP\r\nRSET\nHELP\r', '\nQUIT\r');
    assert.deepEqual(submitted, ['NOOP', 'RSET', 'HELP', 'QUIT']);
  });

  test('an empty line in a paste is submitted as an empty line (a message body needs them)', () => {
    const { submitted, type } = typing();
    type('Subject: hi\r\rbody\r');
    assert.deepEqual(submitted, ['Subject: hi', '', 'body']);
  });

  test('what follows Ctrl+C in the same chunk is returned, not lost', () => {
    const editor = new LineEditor();
    const step = editor.handleInput('abc\x03NOOP');
    assert.equal(step.interrupted, true);
    assert.equal(step.rest, 'NOOP');
  });
});

describe('line editor: history', () => {
  test('Up recalls earlier lines, newest first, and Down comes back to the line being typed', () => {
    const { editor, screen, type } = typing();
    type('EHLO a.example.com\r', 'MAIL FROM:<x@example.com>\r', 'RCPT');
    type(keys.up);
    assert.equal(editor.line, 'MAIL FROM:<x@example.com>');
    assert.equal(screen.text, 'MAIL FROM:<x@example.com>');
    type(keys.up);
    assert.equal(screen.text, 'EHLO a.example.com');
    type(keys.up);
    assert.equal(editor.line, 'EHLO a.example.com', 'the oldest entry stays when there is nothing older');
    type(keys.down, keys.down);
    assert.equal(editor.line, 'RCPT');
    assert.equal(screen.text, 'RCPT');
    assert.equal(screen.column, 4);
  });

  test('a recalled line can be edited and sent again', () => {
    const { submitted, type } = typing();
    type('RCPT TO:<a@example.net>\r', keys.up, keys.left, keys.backspace, 'g\r');
    assert.deepEqual(submitted, ['RCPT TO:<a@example.net>', 'RCPT TO:<a@example.neg>']);
  });

  test('empty lines and a repeat of the previous line are not remembered', () => {
    const { editor, type } = typing();
    type('NOOP\r', '\r', 'NOOP\r', 'RSET\r');
    assert.deepEqual(editor.historyEntries, ['NOOP', 'RSET']);
  });

  test('lines typed while history is off (a message body) are not remembered', () => {
    const { editor, type } = typing();
    type('DATA\r');
    editor.historyEnabled = false;
    type('Subject: secret plans\r', '.\r');
    editor.historyEnabled = true;
    assert.deepEqual(editor.historyEntries, ['DATA']);
  });

  test('history keeps only the newest entries beyond its limit', () => {
    const { editor, type } = typing({ historyLimit: 2 });
    type('HELO a\r', 'NOOP\r', 'RSET\r');
    assert.deepEqual(editor.historyEntries, ['NOOP', 'RSET']);
  });
});

describe('line editor: Tab completion', () => {
  const complete = (text: string) => completeCommandLine(text, { testSelectors: ['kb', 'kb1', 'kb2', 'control'] });

  test('Tab completes a unique SMTP verb prefix, in capitals, with its fixed syntax', () => {
    const { editor, screen, type } = typing({ complete });
    type('ma', keys.tab);
    assert.equal(editor.line, 'MAIL FROM:');
    assert.equal(screen.text, 'MAIL FROM:');
    assert.equal(screen.column, 'MAIL FROM:'.length);
  });

  test('an ambiguous prefix lists the choices under the line and keeps what was typed', () => {
    const { editor, screen, type } = typing({ complete });
    type('R', keys.tab);
    assert.equal(editor.line, 'R');
    assert.deepEqual(screen.finished, ['R', 'RCPT TO:  RSET']);
    assert.equal(screen.text, 'R');
  });

  test('Tab extends an ambiguous prefix as far as the choices agree', () => {
    const { editor, type } = typing({ complete });
    type('/test k', keys.tab);
    assert.equal(editor.line, '/test kb');
  });

  test('Tab completes meta-commands and the auth mechanism', () => {
    const { editor, type } = typing({ complete });
    type('/st', keys.tab);
    assert.equal(editor.line, '/sta', 'starttls and status agree up to /sta');
    type(keys.tab);
    assert.equal(editor.line, '/sta');
    type('r', keys.tab);
    assert.equal(editor.line, '/starttls');
    type(keys.ctrlC, '/auth l', keys.tab);
    assert.equal(editor.line, '/auth login');
  });

  test('Tab with nothing to complete writes nothing', () => {
    const editor = new LineEditor({ complete });
    editor.handleInput('XYZZY');
    assert.equal(editor.handleInput(keys.tab).echo, '');
  });

  test('redraw after a notice puts the line and cursor back as they were', () => {
    const { editor, screen, type } = typing();
    type('RCPT TO:<a>', keys.left, keys.left);
    screen.write(editor.erase() + 'notice\r\n' + editor.redraw());
    assert.deepEqual(screen.finished, ['notice']);
    assert.equal(screen.text, 'RCPT TO:<a>');
    assert.equal(screen.column, 9);
  });
});
