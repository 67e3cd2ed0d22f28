import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startPracticeServer } from '../../../src/lab/practiceServer';
import type { UiSession } from './uiSession';

const fileName = 'mailbox-check.smtp';

/**
 * A .smtp suite with one expectation a closed Postfix does not meet: it refuses the unknown mailbox. It has
 * no `# @target`: Run File asks for the server, and the user types it (issue 9 §9). The file names its local
 * domain and confirms its blocks (the server is the test's own), so no modal asks.
 */
function suite(): string {
  return [
    '# @tls none',
    '# @local-domain corp.example',
    '# @confirm',
    '',
    '### say EHLO',
    '# @expect 250',
    'EHLO client.example.com',
    '',
    '### an unknown local mailbox',
    'MAIL FROM:<relay-test@example.net>',
    '# @expect 250',
    'RCPT TO:<nobody@corp.example>',
    '',
  ].join('\n');
}

/**
 * Runs a .smtp file with one failing `# @expect` (SMTP: Run File, the address typed into the picker) and screenshots what the user sees: the ✗
 * CodeLens above the block, then the Error in the Problems panel.
 */
export async function failingExpectationShowsInEditorAndProblems({ workbench, workspaceFolder }: UiSession): Promise<void> {
  const server = await startPracticeServer({ persona: 'postfix' });
  try {
    fs.writeFileSync(path.join(workspaceFolder, fileName), suite());
    // From the Explorer, which lists the new file as soon as it is written (Quick Open's file index may not yet).
    await workbench.page.locator('.explorer-folders-view .monaco-list-row', { hasText: fileName }).first().click({ timeout: 30_000 });
    await workbench.page.locator('.tabs-container .tab.active', { hasText: fileName }).first().waitFor({ timeout: 30_000 });
    await workbench.runCommand('SMTP: Run File');
    // The file names no server: the target picker asks, and the address typed straight into it is taken on Enter.
    const address = `127.0.0.1:${server.port}`;
    await workbench.typeIntoQuickInput(address);
    await workbench.waitForQuickItem(address);
    await workbench.page.keyboard.press('Enter');
    const failed = workbench.page.locator('.codelens-decoration', { hasText: '✗' }).first();
    await failed.waitFor({ timeout: 30_000 });
    const lens = await failed.innerText();
    assert.match(lens, /✗ @expect 250: got 550/, `the CodeLens says what was expected and what came: ${lens}`);
    // The live transcript opens beside the file and narrows it: the file's group alone, for a lens read whole.
    await workbench.page.keyboard.press('Control+1');
    await workbench.runCommand('View: Single Column Editor Layout');
    await workbench.page.locator('.tabs-container .tab.active', { hasText: /^mailbox-check\.smtp$|mailbox-check\.smtp(?!-)/ }).first().waitFor({ timeout: 30_000 });
    await failed.waitFor({ timeout: 30_000 });
    // Which server am I probing? The status bar names the one this file talks to, beside the active target.
    await workbench.page.locator('.statusbar-item', { hasText: `${fileName} → ${address}` }).first().waitFor({ timeout: 30_000 });
    await workbench.screenshot('smtp-expect-codelens');

    await workbench.runCommand('Problems: Focus on Problems View');
    await workbench.page.locator('.markers-panel .monaco-list-row', { hasText: '@expect' }).first().waitFor({ timeout: 30_000 });
    const rows = await workbench.problemsRows();
    assert.ok(
      rows.some((row) => row.includes('@expect') && row.includes('550')),
      `the failed expectation is not in the Problems panel with the reply:\n${rows.join('\n')}`,
    );
    await workbench.screenshot('smtp-expect-problems');
  } finally {
    await server.close();
  }
}
