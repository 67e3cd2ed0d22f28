import * as vscode from 'vscode';
import type { LabContext } from '../../../src/extension/labContext';

/**
 * Clicks Run All in the Testing view, as a user does. Just after activation the workbench may not know the
 * controller's tests yet, and Run All then runs nothing and returns at once: this waits until the view lists
 * them, so a suite run alone (--grep) behaves as it does after the others.
 */
export async function runAllTests(lab: LabContext): Promise<void> {
  await vscode.commands.executeCommand('workbench.view.testing.focus');
  await lab.testExplorer!.whenListed();
  await vscode.commands.executeCommand('testing.runAll');
}
