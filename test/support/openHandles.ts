/**
 * Leak checks without timing: count the sockets and timers the process holds, and after a close wait
 * (a bounded number of event-loop turns, since a destroyed socket closes its handle asynchronously)
 * until no more are held than before.
 */
const watchedResources = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'TLSWrap'];

export function countOpenHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of watchedResources) {
    counts[name] = 0;
  }
  for (const resource of process.getActiveResourcesInfo()) {
    if (resource in counts) {
      counts[resource] += 1;
    }
  }
  return counts;
}

/** Resolves with the handles still held beyond `baseline` after the loop settled; {} when nothing leaked. */
export async function handlesBeyond(baseline: Record<string, number>): Promise<Record<string, number>> {
  let extra: Record<string, number> = {};
  for (let turn = 0; turn < 200; turn += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    const now = countOpenHandles();
    extra = {};
    for (const name of watchedResources) {
      if (now[name] > baseline[name]) {
        extra[name] = now[name] - baseline[name];
      }
    }
    if (Object.keys(extra).length === 0) {
      return extra;
    }
  }
  return extra;
}

/**
 * The counts once sockets closed by earlier tests are really gone (unchanged over many loop turns), so
 * that their late closing cannot hide a leak of the test that takes this as its baseline.
 */
export async function settledOpenHandles(): Promise<Record<string, number>> {
  let previous = countOpenHandles();
  let unchangedTurns = 0;
  for (let turn = 0; turn < 1000 && unchangedTurns < 20; turn += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    const now = countOpenHandles();
    unchangedTurns = watchedResources.every((name) => now[name] === previous[name]) ? unchangedTurns + 1 : 0;
    previous = now;
  }
  return previous;
}
