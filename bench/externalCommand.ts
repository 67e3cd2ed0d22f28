import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** A finished process: its output, how it ended, and its wall-clock time from spawn to exit. */
export interface CommandRun {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  seconds: number;
}

/**
 * Runs a program to completion and times it. Never rejects for a non-zero exit (swaks exits 24 when a
 * recipient is refused, our CLI 1 for an open relay): the caller reads the output. Rejects only when the
 * program cannot be started or outlives `timeoutMs`.
 */
export function runTimed(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; input?: string; cwd?: string } = {},
): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(options.cwd ? { cwd: options.cwd } : {}) });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not finish within ${(options.timeoutMs ?? 0) / 1000} s`));
    }, options.timeoutMs ?? 300_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        exitCode,
        seconds: (performance.now() - startedAt) / 1000,
      });
    });
  });
}
