// The processes of one process group, as Linux shows them in /proc: how the lab Postfix (postfix.ts)
// knows that stopping an instance left nothing running. Postfix's master calls setsid(), and every
// daemon it starts stays in its group, so the master's pid names the whole instance.
import { readdirSync, readFileSync } from 'node:fs';

const POLL_INTERVAL_MS = 50;

export async function waitUntilGroupGone(processGroup: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (liveProcessesInGroup(processGroup).length > 0) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  return true;
}

/**
 * The pids of the group's processes that still run, read from /proc (Postfix runs on Linux here).
 * Exited members (zombies) do not count: when the master dies, its children are re-parented to init,
 * which may reap them a little later.
 */
export function liveProcessesInGroup(processGroup: number): number[] {
  const live: number[] = [];
  for (const entry of readProcEntries()) {
    const stat = readProcStat(entry);
    if (stat && stat.processGroup === processGroup && stat.state !== 'Z' && stat.state !== 'X') live.push(Number(entry));
  }
  return live;
}

/**
 * One line per live process of the group: pid, name, state and the kernel function it sleeps in
 * (/proc/PID/wchan), for an error about an instance that hangs. "unix_wait_for_peer" there, for example,
 * is a send() blocked on a full Unix datagram socket.
 */
export function describeProcessGroup(processGroup: number): string {
  const lines = liveProcessesInGroup(processGroup).map((pid) => {
    const name = readProcText(`/proc/${pid}/comm`).trim();
    const state = readProcStat(String(pid))?.state ?? '?';
    const waitingIn = readProcText(`/proc/${pid}/wchan`).trim() || '-';
    return `${pid} ${name} state ${state} waiting in ${waitingIn}`;
  });
  return lines.length > 0 ? lines.join('\n') : `(no live process in group ${processGroup})`;
}

function readProcText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function readProcEntries(): string[] {
  try {
    return readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
}

/** /proc/PID/stat: "pid (comm) state ppid pgrp ...", where comm may itself hold spaces and parentheses. */
function readProcStat(pid: string): { state: string; processGroup: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', processGroup: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

export function signalGroup(processGroup: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-processGroup, signal);
    return true;
  } catch {
    return false;
  }
}

const exitCallbacks = new Set<() => void>();

/**
 * Runs `callback` when the test process ends without having stopped what it started (a crash, an EPIPE on
 * stdout, Ctrl-C, the runner's SIGTERM): only synchronous work is possible then. Lab MTAs register their
 * stop-everything here, so no instance outlives the tests. Registering the same callback twice is a no-op.
 */
export function runOnProcessExit(callback: () => void): void {
  const first = exitCallbacks.size === 0;
  exitCallbacks.add(callback);
  if (!first) return;
  const runAll = (): void => {
    for (const registered of exitCallbacks) registered();
  };
  process.on('exit', runAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      runAll();
      process.removeListener(signal, onSignal);
      // Without our listener the default action applies again: die of the same signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
