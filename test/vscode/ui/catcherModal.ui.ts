import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findFreeLoopbackPort, startPostfix } from '../../support/postfix';
import { catcherRelayPostfixOptions } from '../../support/postfixCatcherConfig';
import type { UiSession } from './uiSession';

/**
 * Issue 10 §1 in the editor against a REAL Postfix that relays only to the catcher port (as in
 * test/servers/catcher.postfix.test.ts): with relay.confirmByDelivery and relay.catcher in the folder's
 * settings, SMTP: Run Relay Suite asks in a modal that names the server and the catcher before any DATA,
 * the user clicks Send DATA, the built-in catcher receives kb6's relayed copy, and the report says so.
 */
export async function runRelaySuiteWithCatcherAsksThenProves({ workbench, workspaceFolder }: UiSession): Promise<void> {
  const catcherPort = await findFreeLoopbackPort();
  const postfix = await startPostfix(catcherRelayPostfixOptions('open-to-catcher', catcherPort));
  const targetName = `127.0.0.1:${postfix.port}`;
  // The folder's settings (trusted workspace), so that only this scenario confirms by delivery.
  const settingsFile = path.join(workspaceFolder, '.vscode', 'settings.json');
  fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
  fs.writeFileSync(
    settingsFile,
    JSON.stringify({
      'smtpRelayLab.relay.tests': 'kb',
      'smtpRelayLab.relay.confirmByDelivery': true,
      'smtpRelayLab.relay.catcher': `127.0.0.1:${catcherPort}`,
      // Tests Postfix delivers locally never reach the catcher; they are waited for this long.
      'smtpRelayLab.relay.confirmTimeoutSeconds': 15,
    }),
  );
  try {
    // The Explorer lists .vscode once the workbench has seen the folder change, but the settings in it are
    // read after that (a run started then went without delivery, one time in three). The Settings editor
    // shows a value once the workbench has it, and the extension host hears of it before any later command.
    await workbench.page.locator('.explorer-folders-view .monaco-list-row', { hasText: '.vscode' }).first().waitFor({ timeout: 30_000 });
    await workbench.waitForWorkspaceSetting('smtpRelayLab.relay.catcher', `127.0.0.1:${catcherPort}`);
    // As a user does: the command, then the server's address typed into the target picker, and Enter.
    await workbench.runCommand('SMTP: Run Relay Suite');
    await workbench.typeIntoQuickInput(targetName);
    await workbench.waitForQuickItem(targetName);
    await workbench.page.keyboard.press('Enter');

    const dialog = workbench.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    const text = await dialog.innerText();
    assert.match(text, new RegExp(`Confirm by delivery on ${targetName.replace(/\./g, '\\.')}\\?`), text);
    assert.match(text, new RegExp(`looks for the messages and their NDRs at the catcher 127\\.0\\.0\\.1:${catcherPort}`), text);
    await workbench.screenshot('catcher-modal');
    await dialog.locator('.monaco-button', { hasText: 'Send DATA' }).first().click();

    // The verdict arrives as an error notification (open relay); the text report is the active editor.
    const toast = workbench.page.locator('.notifications-toasts .notification-toast', { hasText: `${targetName}: OPEN RELAY` }).first();
    await toast.waitFor({ timeout: 60_000 });
    assert.match(await toast.innerText(), /OPEN RELAY: the server accepted \d+ tests for remote recipients/);
    // Find, as a user looks for kb6's confirmation in the report.
    await workbench.page.locator('.tabs-container .tab.active', { hasText: /relay|report/i }).first().waitFor({ timeout: 30_000 });
    await workbench.page.locator('.editor-instance .monaco-editor').first().click();
    await workbench.page.keyboard.press('Control+F');
    await workbench.page.keyboard.type('arrived: relayed (catcher, token srl-kb6-');
    const count = workbench.page.locator('.find-widget .matchesCount');
    await workbench.page.waitForFunction(
      () => {
        const page = globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } };
        return /^1 of 1$/.test(page.document.querySelector('.find-widget .matchesCount')?.textContent ?? '');
      },
      undefined,
      { timeout: 30_000 },
    ).catch(() => undefined);
    assert.equal(await count.innerText(), '1 of 1', 'the report has one "arrived: relayed (catcher …" line, for kb6');
    await workbench.screenshot('catcher-report-kb6-arrived');
    await workbench.page.keyboard.press('Escape');
  } finally {
    fs.rmSync(path.dirname(settingsFile), { recursive: true, force: true });
    await postfix.stop();
  }
}

