// What the lab Exim (exim.ts) and the lab OpenSMTPD (opensmtpd.ts) share: binaries unpacked from Debian's
// packages under .cache/mtas/root by scripts/install-mtas.sh (the packages conflict with postfix as MTAs,
// so they are not installed), one daemon per instance started in the foreground as the leader of its own
// process group, a temporary folder per instance, a free loopback port, and a stop that leaves no process
// and no folder behind, even when the test process dies first. Mirrors postfix.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readdirSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { greetingReadMs, readGreeting } from './greeting';
import { runOnProcessExit, signalGroup, waitUntilGroupGone } from './processGroup';

/** The repository's .cache/mtas/root (from out/test/support/, where the compiled tests run). */
export const unpackedRoot = path.resolve(__dirname, '../../../.cache/mtas/root');

const STOP_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 50;

export class MtaUnavailableError extends Error {
  override name = 'MtaUnavailableError';
}

/** Fails with a clear message, never skips: the real-server suites need root and the unpacked packages. */
export function requireUnpackedMta(name: string, binary: string): string {
  if (process.getuid?.() !== 0) {
    throw new MtaUnavailableError(
      `a lab ${name} must be started as root (it binds the port and switches to its own users); run the server tests as root, as CI does`,
    );
  }
  const command = path.join(unpackedRoot, binary);
  if (!existsSync(command)) {
    throw new MtaUnavailableError(`${command} is missing: run scripts/install-mtas.sh (npm test runs it) to unpack Debian's ${name} packages`);
  }
  return command;
}

/** LD_LIBRARY_PATH for the unpacked libraries (those the machine lacks). */
export function unpackedLibraryPath(): string {
  const directories: string[] = [];
  for (const base of ['usr/lib', 'lib']) {
    const directory = path.join(unpackedRoot, base);
    if (!existsSync(directory)) continue;
    for (const entry of readdirSync(directory)) {
      if (entry.endsWith('-linux-gnu')) directories.push(path.join(directory, entry));
    }
  }
  return directories.join(':');
}

export async function makeInstanceDirectory(prefix: string): Promise<string> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), `smtp-relay-lab-${prefix}-`));
  // mkdtemp makes the folder 0700: the daemons' own users must get through to their spool and logs.
  await fs.chmod(directory, 0o755);
  return directory;
}

export async function findFreeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port from an ephemeral listener'));
      });
    });
  });
}

/** A foreground daemon, the leader of its own process group (detached), with its output kept for errors. */
export interface Daemon {
  readonly pid: number;
  readonly child: ChildProcess;
  output(): string;
}

export function spawnDaemon(command: string, args: string[], env: NodeJS.ProcessEnv): Daemon {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (error) => keep(Buffer.from(`spawn failed: ${error.message}\n`)));
  if (child.pid === undefined) {
    throw new Error(`could not start ${command}`);
  }
  running.set(child.pid, { directories: [] });
  runOnProcessExit(stopAllSynchronously);
  return { pid: child.pid, child, output: () => output };
}

/** Registers folders to remove with the daemon (also by the exit hook). */
export function ownDirectory(daemon: Daemon | undefined, directory: string): void {
  if (daemon) running.get(daemon.pid)?.directories.push(directory);
}

/** Connects until the daemon answers with a 220 greeting (then QUIT); returns that greeting line. */
export async function waitForGreeting(port: number, timeoutMs: number, daemon: Daemon, describe: () => Promise<string>): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no attempt';
  while (Date.now() < deadline) {
    if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) {
      lastProblem = `the daemon exited (${daemon.child.exitCode ?? daemon.child.signalCode})`;
      break;
    }
    try {
      // Short reads: a listener that accepts and stays silent is not waited on for the whole start timeout.
      const greeting = await readGreeting(port, Math.max(1, Math.min(greetingReadMs, deadline - Date.now())));
      if (greeting.startsWith('220 ') || greeting.startsWith('220-')) return greeting;
      lastProblem = `greeting ${JSON.stringify(greeting)}`;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    await delay(POLL_INTERVAL_MS * 2);
  }
  throw new Error(`no 220 greeting on 127.0.0.1:${port} within ${timeoutMs} ms (${lastProblem})\n${daemon.output()}\n${await describe()}`);
}


/** SIGTERM to the daemon's whole process group, SIGKILL if it lingers, then its folders go. */
export async function stopDaemon(daemon: Daemon | undefined, directories: readonly string[]): Promise<void> {
  if (daemon) {
    signalGroup(daemon.pid, 'SIGTERM');
    if (!(await waitUntilGroupGone(daemon.pid, STOP_TIMEOUT_MS))) {
      signalGroup(daemon.pid, 'SIGKILL');
      if (!(await waitUntilGroupGone(daemon.pid, STOP_TIMEOUT_MS))) {
        throw new Error(`process group ${daemon.pid} survived SIGKILL`);
      }
    }
  }
  for (const directory of directories) {
    await fs.rm(directory, { recursive: true, force: true });
  }
  if (daemon) running.delete(daemon.pid);
}

/** Daemons not stopped yet, for the exit hook. */
const running = new Map<number, { directories: string[] }>();

function stopAllSynchronously(): void {
  for (const [pid, instance] of running) {
    signalGroup(pid, 'SIGKILL');
    for (const directory of instance.directories) rmSync(directory, { recursive: true, force: true });
    running.delete(pid);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
