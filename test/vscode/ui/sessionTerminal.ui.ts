import assert from 'node:assert/strict';
import type { UiSession } from './uiSession';

const ehlo = 'EHLO client.example.com';

/**
 * The first thing the walkthrough teaches: open the session terminal on the practice server and say EHLO.
 * Target and persona are chosen in the quick picks (Choose Target: a target was chosen before, and Open
 * Session Terminal reopens that one without asking), then the terminal opens on it.
 */
export async function ehloInSessionTerminalOnPracticeServer({ workbench }: UiSession): Promise<void> {
  await workbench.runCommand('SMTP: Choose Target');
  await workbench.pickQuickItem('Practice server');
  await workbench.pickQuickItem('exchange');
  await workbench.runCommand('SMTP: Open Session Terminal');
  await workbench.waitForTerminalText(/^220[ -]mail\.corp\.example/m);
  // The "SMTP target: …" confirmation would cover the terminal in the screenshot.
  await workbench.runCommand('Notifications: Clear All Notifications');

  await workbench.typeInTerminal(ehlo);
  // Whatever the reply is: the assertion below says which one came, rather than a timeout.
  const text = await workbench.waitForTerminalText(/EHLO client\.example\.com\n[\s\S]*^\d{3}[ -]/m);
  await workbench.screenshot('session-terminal');

  const linesAfterEhlo = text.slice(text.lastIndexOf(ehlo)).split('\n').slice(1);
  const firstReplyLine = linesAfterEhlo.find((line) => /^\d{3}[ -]/.test(line));
  assert.match(firstReplyLine ?? '', /^250[ -]/, `the reply to EHLO is not a 250:\n${linesAfterEhlo.join('\n')}`);
}
