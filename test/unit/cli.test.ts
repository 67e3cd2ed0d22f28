import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startPracticeServer } from '../../src/lab/practiceServer';
import { cliEntry, runCli } from '../support/cliProcess';

const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string };

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.length > 0);
}

/** Collects a stream's text; waitFor resolves once it matches, and rejects if the stream ends first. */
function outputWatcher(stream: NodeJS.ReadableStream) {
  let text = '';
  let ended = false;
  const waiters = new Set<() => void>();
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
    waiters.forEach((wake) => wake());
  });
  stream.on('close', () => {
    ended = true;
    waiters.forEach((wake) => wake());
  });
  return {
    text: () => text,
    waitFor(pattern: RegExp): Promise<RegExpExecArray> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text);
          if (match || ended) {
            waiters.delete(check);
            return match ? resolve(match) : reject(new Error(`the output ended without ${pattern}: ${text}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** A loopback port nothing listens on: taken from the system, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('smtp-relay-lab relay', { concurrency: true }, () => {
  test('--lab exchange --json: closed; 6 and 7 NDR-pending proven by the echo, R%RD@S proven by the lab outbox NDR', async () => {
    // Evidence rules: the echo proves kb6/kb7 (no DATA for them); a bare 250 to R%RD@S proves nothing, so --lab
    // confirms it by delivery to its own practice server, whose outbox holds the NDR. Nothing leaves the machine.
    const run = await runCli(['relay', '--lab', 'exchange', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as {
      verdict: string;
      tests: { id: string; outcome: string; proof?: string; replies: { command: string; enhanced: string | null; inferredEnhanced?: string }[] }[];
      lab: { persona: string; dataSent: boolean; outbox: { kind: string }[] };
      localDomains: { source: string; domains: string[] };
      mta: { name: string };
      transcript: string;
    };
    assert.equal(report.verdict, 'closed');
    const result = (id: string) => report.tests.find((test) => test.id === id);
    assert.equal(result('control')?.outcome, 'passed');
    assert.equal(result('kb1')?.outcome, 'passed');
    assert.equal(result('kb1')?.proof, 'refused');
    for (const id of ['kb6', 'kb7']) {
      assert.equal(result(id)?.outcome, 'needs-confirmation', id);
      assert.equal(result(id)?.proof, 'echo', id);
      assert.ok(!result(id)?.replies.some((reply) => reply.command === 'DATA'), `${id}: the echo proves it, no DATA`);
    }
    assert.equal(result('x-percent-server-name')?.outcome, 'passed');
    assert.equal(result('x-percent-server-name')?.proof, 'lab-outbox-ndr');
    assert.equal(report.lab.persona, 'exchange');
    assert.equal(report.lab.dataSent, true);
    assert.ok(report.lab.outbox.length > 0 && report.lab.outbox.every((message) => message.kind === 'ndr'), JSON.stringify(report.lab.outbox));
    assert.equal(report.mta.name, 'exchange');
    assert.deepEqual(report.localDomains, { source: 'configured', domains: ['corp.example'], serverNames: ['mail.corp.example'], remoteDomain: 'example.net' });
    assert.match(report.transcript, /Microsoft ESMTP MAIL Service ready/);
  });

  test('--lab open: verdict open, exit 1', async () => {
    const run = await runCli(['relay', '--lab', 'open', '--tests', 'kb', '--json']);
    assert.equal(run.code, 1, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { verdict: string }).verdict, 'open');
  });

  test('--lab postfix in text: the report names the verdict and the relay denial, exit 0', async () => {
    const run = await runCli(['relay', '--lab', 'postfix', '--tests', 'kb']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Verdict: CLOSED/);
    assert.match(run.stdout, /454 4\.7\.1 <[^>]+>: Relay access denied/);
    assert.match(run.stdout, /No DATA was sent/);
  });

  test('--confirm-by-delivery against the lab sends DATA for test 6 and the lab answers with an NDR', async () => {
    const run = await runCli(['relay', '--lab', 'exchange', '--tests', 'kb6', '--confirm-by-delivery', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const lab = (JSON.parse(run.stdout) as { lab: { dataSent: boolean; outbox: { kind: string; mailFrom: string }[] } }).lab;
    assert.equal(lab.dataSent, true);
    assert.deepEqual(
      lab.outbox.map((message) => [message.kind, message.mailFrom]),
      [['ndr', '']],
    );
  });

  test('an unknown flag is one line on stderr and exit 64', async () => {
    const run = await runCli(['relay', '--lab', 'exchange', '--bogus']);
    assert.equal(run.code, 64);
    assert.deepEqual(lines(run.stderr), ['smtp-relay-lab relay: unknown option --bogus for relay (see smtp-relay-lab relay --help)']);
    assert.equal(run.stdout, '');
  });

  test('bad values and missing targets are usage errors (exit 64), one line each', async () => {
    for (const args of [
      ['relay', '--host', '127.0.0.1', '--port', 'twenty-five'],
      ['relay', '--host', '127.0.0.1', '--tls', 'ssl'],
      ['relay', '--lab', 'sendmail'],
      ['relay', '--lab', 'exchange', '--host', '127.0.0.1'],
      ['relay', '--lab', 'exchange', '--tests', 'kb9'],
      ['relay'],
    ]) {
      const run = await runCli(args);
      assert.equal(run.code, 64, args.join(' '));
      assert.equal(lines(run.stderr).length, 1, `${args.join(' ')}: ${run.stderr}`);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('an unreachable port is one line on stderr and exit 3', async () => {
    const port = await closedPort();
    const run = await runCli(['relay', '--host', '127.0.0.1', '--port', String(port)]);
    assert.equal(run.code, 3);
    assert.deepEqual(lines(run.stderr), [`smtp-relay-lab relay: could not connect to 127.0.0.1:${port}: connection refused (ECONNREFUSED)`]);
    assert.equal(run.stdout, '');
  });
});

describe('smtp-relay-lab relay over TLS', () => {
  test('a certificate that cannot be verified is one line naming --insecure, exit 3; with --insecure the run goes on', async () => {
    const server = await startPracticeServer({ persona: 'postfix' });
    try {
      const target = ['relay', '--host', server.host, '--port', String(server.port), '--tls', 'starttls', '--tests', 'kb1'];
      const refused = await runCli(target);
      assert.equal(refused.code, 3);
      assert.equal(lines(refused.stderr).length, 1, refused.stderr);
      assert.match(refused.stderr, /certificate.*\(--insecure turns the check off\)$/m);
      const insecure = await runCli([...target, '--insecure']);
      assert.equal(insecure.code, 0, insecure.stderr);
      assert.match(insecure.stdout, /^Verdict: CLOSED/);
    } finally {
      await server.close();
    }
  });
});

describe('smtp-relay-lab annotate', { concurrency: true }, () => {
  test('gives each reply of a saved transcript its line, code, enhanced code, class and reason', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'relay-lab-cli-'));
    try {
      const file = path.join(folder, 'postfix.txt');
      const saved = await runCli(['relay', '--lab', 'postfix', '--tests', 'kb1', '--save', file]);
      assert.equal(saved.code, 0, saved.stderr);
      const run = await runCli(['annotate', file, '--json']);
      assert.equal(run.code, 0, run.stderr);
      const replies = JSON.parse(run.stdout) as { line: number; code: number; enhanced: string | null; class: string; temporary: boolean; reason: string }[];
      assert.deepEqual(Object.keys(replies[0]).sort(), ['class', 'code', 'enhanced', 'line', 'reason', 'temporary']);
      const denial = replies.find((reply) => reply.code === 454);
      assert.ok(denial, run.stdout);
      assert.equal(denial.enhanced, '4.7.1');
      assert.equal(denial.class, 'rejection');
      assert.equal(denial.temporary, true);
      const transcriptLines = readFileSync(file, 'utf8').split('\n');
      assert.match(transcriptLines[denial.line - 1], /454 4\.7\.1 .*Relay access denied/);

      const text = await runCli(['annotate', file]);
      assert.equal(text.code, 0);
      assert.match(text.stdout, new RegExp(`^\\s*${denial.line}\\s+454 4\\.7\\.1\\s+rejection \\(temporary\\)`, 'm'));
      // The greeting decides nothing about relay: "ok", not a relay class.
      assert.match(text.stdout, /^\s*\d+\s+220 -\s+ok\s/m);
      // The saved run marks its tests; each is reported with the outcome the live run gave it.
      const live = JSON.parse((await runCli(['relay', '--lab', 'postfix', '--tests', 'kb1', '--json'])).stdout) as { tests: { id: string; outcome: string }[] };
      assert.match(text.stdout, /\nTests \(decided as the live run decides them\):\n/);
      for (const result of live.tests) {
        assert.match(text.stdout, new RegExp(`^  ${result.id}\\s+${result.outcome} `, 'm'));
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('a missing file is one line on stderr and exit 3', async () => {
    const run = await runCli(['annotate', path.join(os.tmpdir(), 'no-such-transcript-for-relay-lab.txt')]);
    assert.equal(run.code, 3);
    assert.equal(lines(run.stderr).length, 1);
    assert.match(run.stderr, /cannot read .*no-such-transcript-for-relay-lab\.txt: no such file/);
  });
});

describe('smtp-relay-lab lab, --help and --version', { concurrency: true }, () => {
  test('lab serves the persona until interrupted, logging each command, then exits 130 (interrupted)', async () => {
    const child = spawn(process.execPath, [cliEntry, 'lab', '--persona', 'harvest', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const output = outputWatcher(child.stdout);
    try {
      const port = Number((await output.waitFor(/Listening on 127\.0\.0\.1:(\d+)/))[1]);
      const socket = net.connect(port, '127.0.0.1');
      const socketOutput = outputWatcher(socket);
      assert.match((await socketOutput.waitFor(/^.*\r\n/))[0], /^220 mail\.corp\.example ESMTP Sendmail/);
      socket.write('QUIT\r\n');
      await socketOutput.waitFor(/221 /);
      socket.destroy();
      await output.waitFor(/c1 C: QUIT/);
      child.kill('SIGINT');
      assert.equal(await exited, 130);
      assert.match(output.text(), /Stopped\. 1 connection\(s\)/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('--help lists the commands and the exit codes; --version prints the package version', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    for (const expected of ['relay', 'annotate', 'lab', '64  usage error', '1   open', '3   error']) {
      assert.ok(help.stdout.includes(expected), expected);
    }
    const relayHelp = await runCli(['relay', '--help']);
    assert.equal(relayHelp.code, 0);
    assert.match(relayHelp.stdout, /--tests WHICH\s+all \(default/);
    const version = await runCli(['--version']);
    assert.equal(version.stdout, `smtp-relay-lab ${manifest.version}\n`);
  });

  test('an unknown command is one line and exit 64', async () => {
    const run = await runCli(['frobnicate']);
    assert.equal(run.code, 64);
    assert.equal(lines(run.stderr).length, 1);
  });
});
