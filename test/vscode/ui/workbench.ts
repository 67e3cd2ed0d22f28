import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { screenshotsDir } from '../host/repoPaths';

/** Long enough for a cold extension host on 2 cores; only ever a ceiling, never a measured delay. */
const uiTimeoutMs = 30_000;

/** xterm's DOM renderer: one div per visible row, in the terminal the panel shows. */
const activeTerminalRowsSelector = '.terminal-wrapper.active .xterm-rows';

/** The Test Results view's output: a terminal of its own, not one of the terminal panel's. */
const testOutputRowsSelector = '.test-output-peek-message-container .xterm-rows';

/** The text lines of every editor on screen (text editors only: not the settings or welcome pages). */
const visibleEditorLinesSelector = '.editor-instance .monaco-editor .view-lines';

/**
 * The VS Code workbench in a browser page, driven the way a person drives it: keyboard shortcuts, the
 * command palette, quick picks, typing into a terminal. Selectors are VS Code 1.100's DOM.
 */
export class Workbench {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    // The status bar is drawn once the workbench has restored its layout.
    await this.page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 60_000 });
  }

  /**
   * Ctrl+Shift+P, type the command's title ("SMTP: Open Session Terminal"), run it. The palette lists the
   * commands known when it opens, and an extension's contributions arrive a few seconds after the page:
   * like a user who does not find the command yet, close the palette and open it again.
   */
  async runCommand(title: string): Promise<void> {
    const deadline = Date.now() + uiTimeoutMs;
    for (;;) {
      await this.page.keyboard.press('Control+Shift+P');
      const input = this.quickInput.locator('input.input');
      const row = this.quickItem(title);
      try {
        // Inside the try: a terminal that takes the focus late (it was just shown) closes the palette
        // again, and its input is then hidden; the palette is opened once more rather than waited on.
        await input.fill(`>${title}`, { timeout: 5_000 });
        await row.waitFor({ timeout: 3_000 });
        await row.click();
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`the command palette has no command "${title}"`, { cause: error });
        }
        await this.page.keyboard.press('Escape');
      }
    }
  }

  /** Chooses the quick-pick row whose label contains `label` (icons such as $(beaker) are not text). */
  async pickQuickItem(label: string): Promise<void> {
    const row = this.quickItem(label);
    await row.waitFor({ timeout: uiTimeoutMs });
    await row.click();
  }

  /** Types into the open quick pick's box as at the keyboard (no Enter). */
  async typeIntoQuickInput(text: string): Promise<void> {
    const input = this.quickInput.locator('input.input');
    await input.waitFor({ timeout: uiTimeoutMs });
    await input.pressSequentially(text);
  }

  /** Resolves once the quick pick lists a row whose label contains `label`. */
  async waitForQuickItem(label: string): Promise<void> {
    await this.quickItem(label).waitFor({ timeout: uiTimeoutMs });
  }

  /** Quick Open (Ctrl+P): the way a user opens a file of the workspace by name. */
  async openWorkspaceFile(fileName: string): Promise<void> {
    await this.page.keyboard.press('Control+P');
    const input = this.quickInput.locator('input.input');
    await input.waitFor({ timeout: uiTimeoutMs });
    await input.fill(fileName);
    await this.pickQuickItem(fileName);
    await this.page
      .locator('.tabs-container .tab.active', { hasText: fileName })
      .waitFor({ timeout: uiTimeoutMs });
  }

  /** The terminal panel's visible rows, as lines. Needs the DOM renderer (terminal GPU acceleration off). */
  async terminalText(): Promise<string> {
    return this.activeTerminalRows.innerText();
  }

  /** Resolves with the terminal's text once `pattern` matches it; rejects with that text after the timeout. */
  async waitForTerminalText(pattern: RegExp): Promise<string> {
    // Matched against innerText, one line per row: textContent runs the rows together, so a port number
    // at the end of one row would glue onto the reply code at the start of the next.
    try {
      await this.activeTerminalRows.first().waitFor({ timeout: uiTimeoutMs });
      await this.page.waitForFunction(
        ({ selector, source, flags }) => {
          // Runs in the page; this project compiles without the DOM library, hence the narrow type.
          const page = globalThis as unknown as { document: { querySelector(s: string): { innerText: string } | null } };
          return new RegExp(source, flags).test(page.document.querySelector(selector)?.innerText ?? '');
        },
        { selector: activeTerminalRowsSelector, source: pattern.source, flags: pattern.flags },
        { timeout: uiTimeoutMs },
      );
    } catch {
      throw new Error(`the terminal never showed ${pattern}; it shows:\n${await this.terminalText()}`);
    }
    return this.terminalText();
  }

  /**
   * Resolves with the text of the first visible editor whose lines match `pattern` (spaces as typed: the
   * editor draws them as no-break spaces); rejects with every visible editor's text after the timeout.
   * Only the lines on screen are in the DOM, so this is for short documents such as a live transcript.
   */
  async waitForEditorText(pattern: RegExp): Promise<string> {
    const read = ({ selector, source, flags }: { selector: string; source: string; flags: string }): string | undefined => {
      // Runs in the page; this project compiles without the DOM library, hence the narrow type.
      const page = globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ innerText: string }> } };
      return Array.from(page.document.querySelectorAll(selector))
        .map((editor) => editor.innerText.replace(/\u00a0/g, ' '))
        .find((text) => new RegExp(source, flags).test(text));
    };
    const argument = { selector: visibleEditorLinesSelector, source: pattern.source, flags: pattern.flags };
    try {
      await this.page.waitForFunction(read, argument, { timeout: uiTimeoutMs });
    } catch {
      const shown = await this.page.locator(visibleEditorLinesSelector).allInnerTexts();
      throw new Error(`no editor ever showed ${pattern}; the editors show:\n${shown.join('\n----\n')}`);
    }
    return (await this.page.evaluate(read, argument)) ?? '';
  }

  /**
   * Resolves with the Test Results output (the run's output, drawn by a terminal in the panel) once its
   * visible rows match `pattern`; rejects with what it shows after `timeoutMs`.
   */
  async waitForTestOutput(pattern: RegExp, timeoutMs = uiTimeoutMs): Promise<string> {
    const read = (): Promise<string> => this.page.locator(testOutputRowsSelector).allInnerTexts().then((texts) => texts.join('\n'));
    try {
      await this.page.waitForFunction(
        ({ selector, source, flags }) => {
          // Runs in the page; this project compiles without the DOM library, hence the narrow type.
          const page = globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ innerText: string }> } };
          return Array.from(page.document.querySelectorAll(selector)).some((rows) => new RegExp(source, flags).test(rows.innerText));
        },
        { selector: testOutputRowsSelector, source: pattern.source, flags: pattern.flags },
        { timeout: timeoutMs },
      );
    } catch {
      throw new Error(`the Test Results output never showed ${pattern}; it shows:\n${await read()}`);
    }
    return read();
  }

  /**
   * Opens the Settings editor on the workspace's settings, searches for `key` and waits until its text box
   * shows `value`: the workbench has read the settings file. Closes the Settings editor again.
   */
  async waitForWorkspaceSetting(key: string, value: string): Promise<void> {
    await this.runCommand('Preferences: Open Workspace Settings');
    const editor = this.page.locator('.settings-editor');
    await editor.waitFor({ timeout: uiTimeoutMs });
    await editor.locator('.settings-header .suggest-input-container').click();
    await this.page.keyboard.press('Control+A');
    await this.page.keyboard.type(key);
    try {
      await this.page.waitForFunction(
        (expected) => {
          // Runs in the page; this project compiles without the DOM library, hence the narrow type.
          const page = globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ value: string }> } };
          return Array.from(page.document.querySelectorAll('.settings-editor .setting-item input')).some((input) => input.value === expected);
        },
        value,
        { timeout: uiTimeoutMs },
      );
    } catch {
      throw new Error(`the Settings editor never showed ${key} = ${value}`);
    }
    await this.runCommand('View: Close Editor');
  }

  /** Types a line into the active terminal as if at the keyboard, then Enter. */
  async typeInTerminal(line: string): Promise<void> {
    await this.page.locator('.terminal-wrapper.active .xterm-screen').click();
    await this.page.keyboard.type(line);
    await this.page.keyboard.press('Enter');
  }

  /** Drags the Side Bar's edge to the right by `pixels`, as a user widens it to read long rows. */
  async widenSideBar(pixels: number): Promise<void> {
    const box = await this.boxOf('.part.sidebar');
    await this.drag({ x: box.x + box.width, y: box.y + box.height / 2 }, { dx: pixels, dy: 0 });
  }

  /** Drags the panel's top edge up by `pixels`, so that more of its output is on screen. */
  async raisePanel(pixels: number): Promise<void> {
    const box = await this.boxOf('.part.panel');
    await this.drag({ x: box.x + box.width / 2, y: box.y }, { dx: 0, dy: -pixels });
  }

  /** The Problems panel's rows (file headers and markers), as the user reads them. */
  async problemsRows(): Promise<string[]> {
    const rows = this.page.locator('.markers-panel .monaco-list-row');
    await rows.first().waitFor({ timeout: uiTimeoutMs });
    return rows.allInnerTexts();
  }

  async screenshot(name: string): Promise<string> {
    fs.mkdirSync(screenshotsDir, { recursive: true });
    const file = path.join(screenshotsDir, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  private async boxOf(selector: string): Promise<{ x: number; y: number; width: number; height: number }> {
    const box = await this.page.locator(selector).boundingBox({ timeout: uiTimeoutMs });
    if (!box) {
      throw new Error(`${selector} is not shown`);
    }
    return box;
  }

  /** Presses at `from` (a sash between two parts) and moves by the offset before letting go. */
  private async drag(from: { x: number; y: number }, by: { dx: number; dy: number }): Promise<void> {
    await this.page.mouse.move(from.x, from.y);
    await this.page.mouse.down();
    await this.page.mouse.move(from.x + by.dx, from.y + by.dy, { steps: 10 });
    await this.page.mouse.up();
  }

  private quickItem(label: string): Locator {
    return this.quickInput
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: label }) })
      .first();
  }

  private get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  private get activeTerminalRows(): Locator {
    return this.page.locator(activeTerminalRowsSelector);
  }
}
