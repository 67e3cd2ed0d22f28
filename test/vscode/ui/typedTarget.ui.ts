import assert from 'node:assert/strict';
import { startPracticeServer } from '../../../src/lab/practiceServer';
import type { UiSession } from './uiSession';

/**
 * Issue 9's first stumble, as a new user does it: SMTP: Open Session Terminal, type 127.0.0.1:<port> straight
 * into the target picker and press Enter, nothing more. The terminal connects and shows the greeting.
 */
export async function typedAddressConnectsOnEnter({ workbench }: UiSession): Promise<void> {
  const server = await startPracticeServer({ persona: 'postfix' });
  try {
    const address = `127.0.0.1:${server.port}`;
    await workbench.runCommand('SMTP: Open Session Terminal');
    await workbench.typeIntoQuickInput(address);
    // The row for the typed address is there before Enter: what the screenshot shows is what Enter takes.
    await workbench.waitForQuickItem(address);
    await workbench.screenshot('target-picker-typed');
    await workbench.page.keyboard.press('Enter');
    const text = await workbench.waitForTerminalText(/^220[ -]/m);
    assert.match(text, /^220[ -]mail\.corp\.example/m, `the terminal did not show the practice server's greeting:\n${text}`);
  } finally {
    await server.close();
  }
}
