import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { repoRoot } from '../host/repoPaths';
import type { UiSession } from './uiSession';

/** A telnet paste of KB 304897 tests 1-7 against Exchange 2003: five 550 5.7.1 refusals, two NDR-pending 250s. */
const fixture = path.join(repoRoot, 'test', 'fixtures', 'transcripts', 'kb304897-exchange-tests-1-7.lf.telnet.txt');
const transcriptName = 'kb304897-exchange.smtp-transcript';

export async function problemsPanelListsTranscriptReplies({ workbench, workspaceFolder }: UiSession): Promise<void> {
  fs.copyFileSync(fixture, path.join(workspaceFolder, transcriptName));
  await workbench.openWorkspaceFile(transcriptName);
  await workbench.runCommand('Problems: Focus on Problems View');

  // Diagnostics are refreshed after a debounce: wait for a refusal to be listed rather than for a time.
  await workbench.page.locator('.markers-panel .monaco-list-row', { hasText: '5.7.1' }).first().waitFor();
  const rows = await workbench.problemsRows();
  await workbench.screenshot('problems-transcript');

  assert.ok(
    rows.some((row) => row.includes(transcriptName)),
    `no Problems entry for ${transcriptName}:\n${rows.join('\n')}`,
  );
  assert.ok(
    rows.some((row) => row.includes('550') && row.includes('5.7.1')),
    `the 550 5.7.1 relay refusals are not listed:\n${rows.join('\n')}`,
  );
}
