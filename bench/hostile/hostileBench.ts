/**
 * Issue 8's figures on hostile input, each from a fresh child process so that its peak memory is its own:
 * (a) `relay` against a scripted server on 127.0.0.1 that answers EHLO with a 100 MB line and no CRLF
 * (the engine stops at its 1 MiB reply cap); (b) `annotate` on a generated 200 MB transcript; (c) the
 * slowest call of the reply-text patterns on the 1 MiB pathological lines the unit test uses.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { addressesEchoedIn, enhancedCodeSentIn, textAsksForStartTls, textDeniesRelay, textSaysUnknownUser } from '../../src/core/protocol/replyText';
import { pathologicalLines } from '../../test/support/pathologicalLines';
import type { CostSeries } from '../costs/engineCosts';
import { syntheticTranscript } from '../costs/syntheticTranscript';

const cliPath = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');
const probePath = path.join(__dirname, 'maxRssProbe.js');
const megabyte = 1_000_000;
const endlessLineBytes = 100 * megabyte;
const transcriptBytes = 200 * megabyte;

export interface HostileFigures {
  costs: CostSeries[];
  /** What a figure's runs ended with, for the table's notes: "relay exit 3: ...". */
  notes: string[];
}

interface ChildRun {
  exitCode: number | null;
  seconds: number;
  maxRssKb?: number;
  stderr: string;
}

/** Runs the CLI with the peak-memory probe preloaded; stdout is discarded (annotate streams hundreds of MB). */
async function runCliMeasured(args: readonly string[], directory: string): Promise<ChildRun> {
  const rssFile = path.join(directory, `maxrss-${process.hrtime.bigint()}`);
  const startedAt = performance.now();
  const child = spawn(process.execPath, ['--require', probePath, cliPath, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SMTP_RELAY_LAB_BENCH_MAXRSS_FILE: rssFile },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) {
      stderr += chunk.toString('utf8');
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
  const [exitCode] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  const seconds = (performance.now() - startedAt) / 1000;
  const maxRss = await readFile(rssFile, 'utf8').catch(() => undefined);
  return { exitCode, seconds, stderr, ...(maxRss ? { maxRssKb: Number(maxRss) } : {}) };
}

/** Greets, then answers the first command with `endlessLineBytes` of "a" and never a CRLF, minding backpressure. */
async function startEndlessLineServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.write('220 mail.example.com ESMTP\r\n');
    socket.once('data', () => {
      socket.write('250-');
      let sent = 0;
      const pump = (): void => {
        while (sent < endlessLineBytes && !socket.destroyed) {
          sent += chunk.length;
          if (!socket.write(chunk)) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.end();
      };
      pump();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const socket of sockets) {
        socket.destroy();
      }
      server.close();
      await once(server, 'close');
    },
  };
}

/** Our transcript format, a generated relay session repeated until the file holds `bytes`. */
async function writeLargeTranscript(file: string, bytes: number): Promise<{ bytes: number; replies: number }> {
  const sample = syntheticTranscript(200_000).text;
  const lines = sample.split('\n');
  const bodyStart = lines.findIndex((line) => !line.startsWith('==='));
  const header = `${lines.slice(0, bodyStart).join('\n')}\n`;
  const body = `${lines.slice(bodyStart).filter((line) => line !== '').join('\n')}\n`;
  const repliesPerBody = lines.slice(bodyStart).filter((line) => /^\S+ <- {2}\d{3} /.test(line)).length;
  const out = createWriteStream(file);
  out.write(header);
  let written = header.length;
  let replies = 0;
  while (written < bytes) {
    if (!out.write(body)) {
      await once(out, 'drain');
    }
    written += body.length;
    replies += repliesPerBody;
  }
  out.end();
  await once(out, 'finish');
  return { bytes: (await stat(file)).size, replies };
}

const replyTextPatterns: ReadonlyArray<[string, (text: string) => unknown]> = [
  ['addressesEchoedIn', (text) => addressesEchoedIn(text)],
  ['textDeniesRelay', (text) => textDeniesRelay(text)],
  ['textSaysUnknownUser', (text) => textSaysUnknownUser(text)],
  ['textAsksForStartTls', (text) => textAsksForStartTls(text)],
  ['enhancedCodeSentIn', (text) => enhancedCodeSentIn({ code: 550, lines: [text], text })],
];

/** The slowest (pattern, shape) pair of one pass, in ms of this process's CPU. */
function slowestPatternCall(): { ms: number; which: string } {
  let slowest = { ms: 0, which: '' };
  for (const [shape, wire] of Object.entries(pathologicalLines)) {
    const text = wire.slice(4);
    for (const [name, pattern] of replyTextPatterns) {
      const started = process.cpuUsage();
      pattern(text);
      const used = process.cpuUsage(started);
      const ms = (used.user + used.system) / 1000;
      if (ms > slowest.ms) {
        slowest = { ms, which: `${name} on "${shape}"` };
      }
    }
  }
  return slowest;
}

export async function measureHostileInput(runs: number, log: (line: string) => void): Promise<HostileFigures> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'smtp-relay-lab-bench-hostile-'));
  const costs: CostSeries[] = [];
  const notes: string[] = [];
  try {
    log(`hostile input (a): relay against a ${endlessLineBytes / megabyte} MB line without CRLF`);
    const server = await startEndlessLineServer();
    const relayRss: number[] = [];
    const relaySeconds: number[] = [];
    const exits = new Set<string>();
    try {
      for (let run = 0; run < runs; run += 1) {
        const result = await runCliMeasured(['relay', '--host', '127.0.0.1', '--port', String(server.port), '--local-domain', 'example.com', '--tests', 'control'], directory);
        relaySeconds.push(result.seconds);
        if (result.maxRssKb !== undefined) {
          relayRss.push(result.maxRssKb / 1024);
        }
        exits.add(`exit ${result.exitCode}: ${result.stderr.trim().split('\n')[0] ?? ''}`);
      }
    } finally {
      await server.close();
    }
    costs.push(
      { name: `relay, server sends a ${endlessLineBytes / megabyte} MB line without CRLF: peak RSS`, unit: 'MB', samples: relayRss },
      { name: `relay, server sends a ${endlessLineBytes / megabyte} MB line without CRLF: wall time`, unit: 's', samples: relaySeconds },
    );
    notes.push(...[...exits].map((exit) => `hostile (a) relay ${exit}`));

    log(`hostile input (b): annotate on a ${transcriptBytes / megabyte} MB transcript`);
    const transcript = path.join(directory, 'large.transcript');
    const written = await writeLargeTranscript(transcript, transcriptBytes);
    const annotateRss: number[] = [];
    const annotateSeconds: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      const result = await runCliMeasured(['annotate', transcript], directory);
      annotateSeconds.push(result.seconds);
      if (result.maxRssKb !== undefined) {
        annotateRss.push(result.maxRssKb / 1024);
      }
      if (result.exitCode !== 0) {
        notes.push(`hostile (b) annotate exit ${result.exitCode}: ${result.stderr.trim().split('\n')[0] ?? ''}`);
      }
    }
    const size = `${(written.bytes / megabyte).toFixed(0)} MB, ${(written.replies / 1e6).toFixed(2)} M replies`;
    costs.push(
      { name: `annotate on a ${size} transcript: peak RSS`, unit: 'MB', samples: annotateRss },
      { name: `annotate on a ${size} transcript: wall time`, unit: 's', samples: annotateSeconds },
    );

    log(`hostile input (c): reply-text patterns on ${Object.keys(pathologicalLines).length} pathological 1 MiB lines`);
    slowestPatternCall();
    const slowest: number[] = [];
    const which = new Set<string>();
    for (let run = 0; run < runs; run += 1) {
      const pass = slowestPatternCall();
      slowest.push(pass.ms);
      which.add(pass.which);
    }
    costs.push({
      name: `slowest reply-text pattern call on a 1 MiB pathological line (${replyTextPatterns.length} patterns x ${Object.keys(pathologicalLines).length} shapes, CPU)`,
      unit: 'ms',
      samples: slowest,
    });
    notes.push(`hostile (c) slowest: ${[...which].join('; ')}`);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
  return { costs, notes };
}
