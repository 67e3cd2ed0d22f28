import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startPracticeServer } from '../../../src/lab/practiceServer';
import type { UiSession } from './uiSession';

const fileName = 'promptfile.smtp';

/**
 * A .smtp file whose `# @target` leaves the port to the user: `{{$prompt port}}` is asked when the file runs,
 * before the directives are read (issue 9 §3). The server is the test's own and the block is confirmed, so
 * no modal asks.
 */
function suite(): string {
  return [
    '# @target 127.0.0.1:{{$prompt port}}',
    '# @tls none',
    '# @confirm',
    '',
    '### greet',
    '# @expect 250',
    'EHLO client.example.com',
    '',
  ].join('\n');
}

/**
 * `{{$prompt}}` in a directive, which the in-VS-Code suite cannot answer (no input box can be typed into from
 * the extension host): Run File asks for the port in an input box titled `{{$prompt port}}`, the user types the
 * practice server's port and presses Enter, the block runs there (✓ CodeLens) and the status bar names that
 * server for the file.
 */
export async function promptInTargetIsAskedOnRun({ workbench, workspaceFolder }: UiSession): Promise<void> {
  const { page } = workbench;
  const server = await startPracticeServer({ persona: 'postfix' });
  try {
    const address = `127.0.0.1:${server.port}`;
    fs.writeFileSync(path.join(workspaceFolder, fileName), suite());
    // A clean editor area and the Explorer in the Side Bar, whatever the scenario before left on screen.
    await workbench.runCommand('View: Close All Editors');
    await workbench.runCommand('View: Show Explorer');
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: fileName }).first().click({ timeout: 30_000 });
    await page.locator('.tabs-container .tab.active', { hasText: fileName }).first().waitFor({ timeout: 30_000 });

    await workbench.runCommand('SMTP: Run File');
    // The input box, not the palette that ran the command: its title names the variable.
    await page.locator('.quick-input-widget .quick-input-title', { hasText: '{{$prompt port}}' }).first().waitFor({ timeout: 30_000 });
    await workbench.typeIntoQuickInput(String(server.port));
    await page.keyboard.press('Enter');

    const passed = page.locator('.codelens-decoration', { hasText: '✓ @expect 250' }).first();
    await passed.waitFor({ timeout: 30_000 });
    // The live transcript opens beside the file; the file's own group in front again, as the user reads it.
    await page.keyboard.press('Control+1');
    await page.locator('.tabs-container .tab.active', { hasText: /promptfile\.smtp(?!-)/ }).first().waitFor({ timeout: 30_000 });
    await passed.waitFor({ timeout: 30_000 });
    // The server the typed port made: the file's status-bar item names it beside the active target.
    const fileItem = page.locator('.statusbar-item', { hasText: `${fileName} → ${address}` }).first();
    await fileItem.waitFor({ timeout: 30_000 });
    assert.match(await fileItem.innerText(), new RegExp(`${fileName.replace(/\./g, '\\.')} → ${address.replace(/\./g, '\\.')}$`));
    await workbench.screenshot('smtp-prompt-target');
  } finally {
    // Nothing left open for the scenario after this one: no input box, no file, no transcript (closing the
    // file ends its conversation before its server goes).
    await page.keyboard.press('Escape').catch(() => undefined);
    await workbench.runCommand('View: Close All Editors').catch(() => undefined);
    await server.close();
  }
}
