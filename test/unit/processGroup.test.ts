// The process-group helpers of the lab MTAs (test/support/processGroup.ts), on a real process group.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describeProcessGroup, liveProcessesInGroup, signalGroup, waitUntilGroupGone } from '../support/processGroup';

describe('processGroup', () => {
  test('describes each live process of a group with the kernel function it waits in, then nothing once it is gone', async () => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const group = child.pid!;
    try {
      assert.deepEqual(liveProcessesInGroup(group), [group]);
      assert.match(describeProcessGroup(group), new RegExp(`^${group} sleep state [SR] waiting in \\S+$`));
    } finally {
      signalGroup(group, 'SIGKILL');
    }
    assert.equal(await waitUntilGroupGone(group, 5_000), true);
    assert.equal(describeProcessGroup(group), `(no live process in group ${group})`);
  });
});
