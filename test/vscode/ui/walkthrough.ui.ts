import * as fs from 'node:fs';
import * as path from 'node:path';
import { walkthroughId } from '../../../src/extension/ids';
import { repoRoot } from '../host/repoPaths';
import type { UiSession } from './uiSession';

interface ManifestWalkthrough {
  readonly id: string;
  readonly title: string;
  readonly steps: ReadonlyArray<{ readonly title: string }>;
}

/** Titles come from package.json, so that rewording the walkthrough does not break the test. */
function ourWalkthrough(): ManifestWalkthrough {
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    contributes?: { walkthroughs?: ManifestWalkthrough[] };
  };
  const walkthrough = manifest.contributes?.walkthroughs?.find(({ id }) => id === walkthroughId);
  if (!walkthrough) {
    throw new Error(`package.json contributes no walkthrough ${walkthroughId}`);
  }
  return walkthrough;
}

export async function walkthroughOpensFromWelcome({ workbench }: UiSession): Promise<void> {
  const walkthrough = ourWalkthrough();
  // The panel left open by earlier scenarios would hide most of the steps.
  await workbench.runCommand('View: Hide Panel');
  await workbench.runCommand('Welcome: Open Walkthrough...');
  await workbench.pickQuickItem(walkthrough.title);

  // The Get Started page shows the walkthrough's title and its first step.
  const page = workbench.page.locator('.gettingStartedContainer');
  await page.getByText(walkthrough.title).first().waitFor();
  await page.getByText(walkthrough.steps[0]!.title).first().waitFor();
  await workbench.screenshot('walkthrough');
}
