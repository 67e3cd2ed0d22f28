import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startPracticeServer } from '../../../src/lab/practiceServer';
import type { UiSession } from './uiSession';

const fileName = 'deliver-through-relay.smtp';
const remoteRecipient = 'relay-test@example.net';

/**
 * One block that names a remote recipient and sends DATA, with no `# @confirm`: what issue 9's guard rail
 * is for. The server is an open relay (the practice server's `open` persona), so it would forward it.
 */
function riskyFileFor(port: number): string {
  return [
    `# @target 127.0.0.1:${port}`,
    '# @tls none',
    '# @local-domain corp.example',
    '',
    '### a message for a remote mailbox',
    'EHLO client.example.com',
    'MAIL FROM:<admin@corp.example>',
    `RCPT TO:<${remoteRecipient}>`,
    'DATA',
    'Subject: guard rail check',
    '',
    'Sent only after the modal was confirmed.',
    '.',
    '',
  ].join('\n');
}

/**
 * Issue 9 §4: a block that sends DATA, or whose recipient an open relay would forward, runs only after a
 * modal that names the server and what will be sent. Run file on such a block: the modal says
 * 127.0.0.1:<port>, the DATA and the remote RCPT; Cancel sends nothing (the server saw no connection);
 * Run file again and Send: the block runs, the live transcript shows the server's answer to the message.
 */
export async function riskyBlockAsksBeforeSending({ workbench, workspaceFolder }: UiSession): Promise<void> {
  const { page } = workbench;
  const server = await startPracticeServer({ persona: 'open' });
  try {
    const address = `127.0.0.1:${server.port}`;
    fs.writeFileSync(path.join(workspaceFolder, fileName), riskyFileFor(server.port));
    // A clean editor area: the file alone in one group, so the live transcript opens beside it.
    await workbench.runCommand('View: Close All Editors');
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: fileName }).first().click({ timeout: 30_000 });
    await page.locator('.tabs-container .tab.active', { hasText: fileName }).first().waitFor({ timeout: 30_000 });

    const runFile = page.locator('.codelens-decoration a', { hasText: 'Run file' }).first();
    const dialog = page.locator('.monaco-dialog-box');

    // First run: the modal, then Cancel.
    await runFile.click({ timeout: 30_000 });
    await dialog.waitFor({ timeout: 30_000 });
    const text = await dialog.innerText();
    assert.match(text, new RegExp(`${fileName.replace(/\./g, '\\.')} will send this to ${address.replace(/\./g, '\\.')}\\. Send it\\?`), `the modal names the server:\n${text}`);
    assert.match(text, /line 9 sends DATA: a message of \d+ lines? the server may deliver/, `the modal says DATA will be sent:\n${text}`);
    assert.match(text, new RegExp(`line 8: RCPT TO:<${remoteRecipient}>: a recipient an open relay would forward`), `the modal names the remote recipient:\n${text}`);
    await workbench.screenshot('guard-rail-modal');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 30_000 });
    // Nothing may connect before the answer, so nothing did: not a later check of something that might still come.
    assert.deepEqual(server.log.connectionIds(), [], 'Cancel: the server saw no connection');

    // Second run: Send, and the block runs.
    await runFile.click({ timeout: 30_000 });
    await dialog.waitFor({ timeout: 30_000 });
    await dialog.getByRole('button', { name: 'Send', exact: true }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 30_000 });
    // The live transcript beside the file shows the answer to the message (the open persona accepts it).
    await workbench.waitForEditorText(/<-\s+354 [\s\S]*<-\s+250 2\.6\.0 Ok: queued as \w+/);
    await workbench.screenshot('guard-rail-sent');

    const commands = server.log.commands();
    assert.equal(commands.filter((command) => command === 'DATA').length, 1, `one DATA, from the confirmed run only:\n${commands.join('\n')}`);
    const messages = server.outbox.messages;
    assert.equal(messages.length, 1, 'the confirmed run delivered one message');
    assert.deepEqual(messages[0]?.rcptTo, [remoteRecipient]);
  } finally {
    await server.close();
  }
}
