import assert from 'node:assert/strict';
import type { UiSession } from './uiSession';

/**
 * The first thing the walkthrough teaches: open the session terminal on the practice server and say EHLO.
 * Target and persona are chosen in the quick picks, as a user would on a fresh install.
 */
export async function ehloInSessionTerminalOnPracticeServer({ workbench }: UiSession): Promise<void> {
  await workbench.runCommand('SMTP: Open Session Terminal');
  await workbench.pickQuickItem('Practice server');
  await workbench.pickQuickItem('exchange');
  await workbench.waitForTerminalText(/\b220[ -]/);

  await workbench.typeInTerminal('EHLO client.example.com');
  const text = await workbench.waitForTerminalText(/EHLO client\.example\.com[\s\S]*\b250[ -]/);
  await workbench.screenshot('session-terminal');

  const afterEhlo = text.slice(text.lastIndexOf('EHLO client.example.com'));
  assert.match(afterEhlo, /\b250[ -]/, 'the EHLO reply is not a 250');
}
