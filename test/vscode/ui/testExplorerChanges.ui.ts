import assert from 'node:assert/strict';
import { startPracticeServer, type PracticeServer } from '../../../src/lab/practiceServer';
import type { UiSession } from './uiSession';
import type { Workbench } from './workbench';
import type { Locator } from 'playwright-core';

/** Generous: a full catalogue run on a cold 2-core machine; only ever a ceiling. */
const runTimeoutMs = 60_000;

/**
 * Issue 9 §6: the Test Explorer's run for a target shows which tests changed outcome since the last run.
 * One address, two behaviours: an Exchange-like server, then an open relay on the same port (a staging
 * server reconfigured). Choose Target takes the typed address (no TLS: the lab server's certificate is
 * self-signed), Run All Tests twice; after the second run the tree marks the tests that changed and the
 * run's output lists them.
 */
export async function testExplorerMarksChangedOutcomes({ workbench }: UiSession): Promise<void> {
  const { page } = workbench;
  let server: PracticeServer = await startPracticeServer({ persona: 'exchange' });
  try {
    const address = `127.0.0.1:${server.port}`;
    await workbench.runCommand('SMTP: Choose Target');
    await workbench.typeIntoQuickInput(address);
    await workbench.pickQuickItem(`Other TLS modes for ${address}`);
    await workbench.pickQuickItem('No TLS');
    await page.locator('.statusbar-item', { hasText: address }).first().waitFor({ timeout: 30_000 });
    await workbench.runCommand('Notifications: Clear All Notifications');

    await workbench.runCommand('View: Show Testing');
    // Run All finds nothing to run until the workbench knows the tests: wait until the view lists them.
    const tree = page.locator('.test-explorer .monaco-list-row');
    const kbGroup = tree.filter({ hasText: 'KB 304897 tests' }).first();
    await kbGroup.waitFor({ timeout: 30_000 });
    await runAllAndWaitFor(workbench, new RegExp(`First run against ${escaped(address)} here`));

    await server.close();
    server = await startPracticeServer({ persona: 'open', port: server.port });
    // Room for the whole list of changes at the end of the output, whatever the catalogue's size.
    await workbench.raisePanel(250);
    const output = await runAllAndWaitFor(workbench, new RegExp(`Changed since the last run against ${escaped(address)}:`));
    assert.match(output, /^ {2}kb1: passed -> failed$/m, `the run's output lists kb1's change:\n${output}`);
    assert.doesNotMatch(output, /^ {2}control: /m, `the control did not change and is not listed:\n${output}`);

    // The tree, wide enough to read each test's description: kb1 marked, the control (same outcome both
    // times) not. A group is opened by selecting it and pressing Right, which never closes an open one.
    await workbench.widenSideBar(450);
    await expand(workbench, kbGroup);
    const kb1 = tree.filter({ hasText: 'kb1 · changed: passed -> failed' }).first();
    await kb1.waitFor({ timeout: 30_000 });
    await expand(workbench, tree.filter({ hasText: 'a local recipient' }).first());
    const control = tree.filter({ hasText: 'Control: remote sender to a local user' }).first();
    await control.waitFor({ timeout: 30_000 });
    assert.doesNotMatch(await control.innerText(), /changed/, 'the control is not marked');
    await workbench.screenshot('test-explorer-changed');
    // The workbench as it was, for the scenarios after this one: the Explorer in a Side Bar of the usual width.
    await workbench.raisePanel(-250);
    await workbench.widenSideBar(-450);
    await workbench.runCommand('View: Show Explorer');
  } finally {
    await server.close();
  }
}

/** Test: Run All Tests, then the run's output (Test Results) once it shows `pattern`, its last line. */
async function runAllAndWaitFor(workbench: Workbench, pattern: RegExp): Promise<string> {
  await workbench.runCommand('Test: Run All Tests');
  return workbench.waitForTestOutput(pattern, runTimeoutMs);
}

async function expand(workbench: Workbench, group: Locator): Promise<void> {
  await group.click({ timeout: 30_000 });
  await workbench.page.keyboard.press('ArrowRight');
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
