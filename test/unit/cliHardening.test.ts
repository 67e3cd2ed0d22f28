/**
 * Issue 8 (items 2, 9, 12, 13, 14) and issue 9's CLI truths, through the CLI as a user runs it: a hostile
 * server cannot drive the terminal through `relay` or `annotate`, `--save` never costs the verdict,
 * bracketed IPv6 works, STARTTLS refusals are one TLS failure, and bad values name themselves.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startPracticeServer } from '../../src/lab/practiceServer';
import { hostileClasses } from '../support/hostileText';
import { cliEntry, runCli } from '../support/cliProcess';
import { ipv6LoopbackAvailable, startScriptedServer, type ConnectionScript, type ScriptedPeer, type ScriptedServer } from '../support/scriptedServer';

const servers: ScriptedServer[] = [];
const folders: string[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
  for (const folder of folders) {
    rmSync(folder, { recursive: true, force: true });
  }
});

function tempFolder(): string {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'relay-lab-hardening-'));
  folders.push(folder);
  return folder;
}

async function scripted(script: ConnectionScript, options?: { host?: string }): Promise<ScriptedServer> {
  const server = await startScriptedServer(script, options);
  servers.push(server);
  return server;
}

/** Every character displayText must never let through, one of each class. */
const everyHostileRaw = hostileClasses.map((entry) => entry.raw).join('');

/** True when the text holds any character of the hostile classes (LF between lines is allowed). */
function rawHostileCharacters(text: string): string[] {
  const found: string[] = [];
  for (const character of text) {
    const code = character.codePointAt(0)!;
    const hostile =
      (code < 0x20 && code !== 0x0a) ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0x200b && code <= 0x200f) ||
      (code >= 0x2028 && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069);
    if (hostile) {
      found.push(`U+${code.toString(16).padStart(4, '0')}`);
    }
  }
  return found;
}

/**
 * A server that echoes every recipient with all the hostile classes in its refusal and accepts the
 * control's: its text reaches the reasons of the report.
 */
const utf8 = (text: string) => (_line: string, peer: ScriptedPeer) => peer.send(Buffer.from(text, 'utf8'));
const hostileServer: ConnectionScript = async (peer) => {
  await peer.send(Buffer.from(`220 mail.example.com ESMTP ${everyHostileRaw}\r\n`, 'utf8'));
  await peer.converse([
    [/^EHLO /i, utf8(`250-mail.example.com ${everyHostileRaw}\r\n250 PIPELINING\r\n`)],
    [/^RSET/i, '250 2.0.0 ok\r\n'],
    [/^MAIL /i, utf8(`250 2.1.0 ${everyHostileRaw} sender ok\r\n`)],
    [
      /^RCPT /i,
      (line, peer) =>
        peer.send(
          /@example\.com>?$/i.test(line)
            ? Buffer.from(`250 2.1.5 ${everyHostileRaw} recipient ok\r\n`, 'utf8')
            : Buffer.from(`550 5.7.1 <${line.slice(8)}${everyHostileRaw}>: Relay access denied ${everyHostileRaw}\r\n`, 'utf8'),
        ),
    ],
    [/^QUIT/i, '221 2.0.0 bye\r\n'],
  ]);
};

describe('server text reaches no terminal raw (issue 8, item 2)', { concurrency: true }, () => {
  test('relay, text and --json: every hostile class from a scripted server comes out escaped', async () => {
    const server = await scripted(hostileServer);
    const target = ['relay', '--host', server.host, '--port', String(server.port), '--tests', 'kb', '--local-domain', 'example.com'];
    const text = await runCli(target);
    assert.equal(text.code, 0, text.stderr);
    assert.deepEqual(rawHostileCharacters(text.stdout + text.stderr), []);
    assert.match(text.stdout, /\\x1B\]0;owned\\x07/);
    assert.match(text.stdout, /\\u202E/);
    const json = await runCli([...target, '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(rawHostileCharacters(json.stdout), []);
    const parsed = JSON.parse(json.stdout) as { transcript: string; tests: { replies: { text: string }[] }[] };
    assert.ok(parsed.tests.some((relayTest) => relayTest.replies.some((reply) => reply.text.includes('\u202e'))), 'JSON keeps the data');
  });

  test('annotate, text and --json: the reasons built from hostile replies come out escaped, JSON as \\u escapes', async () => {
    const server = await scripted(hostileServer);
    const saved = path.join(tempFolder(), 'hostile.txt');
    const run = await runCli(['relay', '--host', server.host, '--port', String(server.port), '--tests', 'kb', '--local-domain', 'example.com', '--save', saved]);
    assert.equal(run.code, 0, run.stderr);
    // A telnet paste of the same conversation, with the raw characters in it, as a user's file would hold.
    const telnet = [
      `220 mail.example.com ${everyHostileRaw}`,
      'EHLO client.example.org',
      '250 mail.example.com',
      'MAIL FROM:<a@example.org>',
      '250 ok',
      'RCPT TO:<b@example.net>',
      `250 2.1.5 <b@example.net${everyHostileRaw}> ok ${everyHostileRaw}`,
    ].join('\n');
    const pasted = path.join(tempFolder(), 'pasted.txt');
    writeFileSync(pasted, telnet, 'utf8');
    for (const file of [saved, pasted]) {
      const text = await runCli(['annotate', file, '--local-domain', 'example.com']);
      assert.ok(text.code === 0 || text.code === 1, text.stderr);
      assert.notEqual(text.stdout, '');
      assert.deepEqual(rawHostileCharacters(text.stdout + text.stderr), [], file);
      const json = await runCli(['annotate', file, '--json', '--local-domain', 'example.com']);
      assert.deepEqual(rawHostileCharacters(json.stdout), [], file);
      assert.ok(Array.isArray(JSON.parse(json.stdout)));
    }
  });
});

describe('--save never costs the verdict (issue 8, item 9)', { concurrency: true }, () => {
  test('a missing directory is a usage error before anything connects', async () => {
    let connections = 0;
    const server = await scripted((peer) => {
      connections += 1;
      return peer.hang();
    });
    const missing = path.join(tempFolder(), 'no', 'such', 'dir', 'x.txt');
    const run = await runCli(['relay', '--host', server.host, '--port', String(server.port), '--save', missing]);
    assert.equal(run.code, 64);
    assert.match(run.stderr, /--save .*x\.txt: the directory .*dir does not exist/);
    assert.equal(connections, 0);
  });

  test('a save that still fails after the run: the report is printed, stderr says so, the exit code is the verdict', async () => {
    // /proc is a directory, but nothing can create a file in it, not even root.
    const run = await runCli(['relay', '--lab', 'open', '--tests', 'kb', '--save', '/proc/relay-lab-transcript.txt']);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /^Verdict: OPEN RELAY/);
    assert.match(run.stderr, /cannot write the transcript to \/proc\/relay-lab-transcript\.txt: .*; the verdict above stands/);
  });
});

describe('hosts, ports and STARTTLS on the command line (issue 8, items 12-14)', { concurrency: true }, () => {
  test('--port -1 and --host -oX are usage errors that name the bad value', async () => {
    const port = await runCli(['relay', '--host', '127.0.0.1', '--port', '-1']);
    assert.equal(port.code, 64);
    assert.match(port.stderr, /--port must be a port number from 1 to 65535, not "-1"/);
    const host = await runCli(['relay', '--host', '-oX', '--port', '25']);
    assert.equal(host.code, 64);
    assert.match(host.stderr, /--host must be a host name or an IP address .*not "-oX"/);
    const labPort = await runCli(['lab', '--port', '-5']);
    assert.equal(labPort.code, 64);
    assert.match(labPort.stderr, /not "-5"/);
    const missing = await runCli(['relay', '--host', '--port', '25']);
    assert.equal(missing.code, 64);
    assert.match(missing.stderr, /--host needs a value/);
  });

  test('--host [::1] reaches a server on IPv6 loopback, as --host ::1 does', async (context) => {
    if (!(await ipv6LoopbackAvailable())) {
      context.skip('no IPv6 loopback on this machine');
      return;
    }
    const server = await startPracticeServer({ persona: 'postfix', host: '::1' });
    try {
      for (const host of ['[::1]', '::1']) {
        // The default TLS (STARTTLS offered) meets the practice server's self-signed certificate: --insecure.
        const run = await runCli(['relay', '--host', host, '--port', String(server.port), '--insecure', '--tests', 'kb1']);
        assert.equal(run.code, 0, `${host}: ${run.stderr}`);
        assert.match(run.stdout, new RegExp(`Target: +\\[::1\\]:${server.port}`));
      }
    } finally {
      await server.close();
    }
  });

  for (const refusal of ['502 5.5.1 STARTTLS not implemented', '454 4.7.0 TLS not available due to local problem']) {
    test(`STARTTLS answered "${refusal}": a TLS failure, exit 3, no test listed as sent`, async () => {
      const server = await scripted(async (peer) => {
        await peer.send('220 mail.example.com ESMTP\r\n');
        await peer.converse([
          [/^EHLO /i, '250-mail.example.com\r\n250 STARTTLS\r\n'],
          [/^STARTTLS/i, `${refusal}\r\n`],
          [/^QUIT/i, '221 bye\r\n'],
        ]);
      });
      const run = await runCli(['relay', '--host', server.host, '--port', String(server.port), '--tls', 'starttls', '--tests', 'kb']);
      assert.equal(run.code, 3, run.stdout + run.stderr);
      assert.match(run.stderr, new RegExp(`TLS failed: .* refused STARTTLS with ${refusal.slice(0, 3)}`));
      assert.doesNotMatch(run.stdout + run.stderr, /control was refused/);
      assert.doesNotMatch(run.stdout, /sent: +MAIL FROM/);
      assert.ok(server.peers.every((peer) => !peer.received.some((line) => /^(MAIL|RCPT) /i.test(line))), 'no test was sent');
    });
  }
});

describe('lab and annotate exit codes (issue 9, item 8)', { concurrency: true }, () => {
  test('lab --host 0.0.0.0 is a usage error (loopback only), exit 64, and listens nowhere', async () => {
    const run = await runCli(['lab', '--host', '0.0.0.0', '--port', '0']);
    assert.equal(run.code, 64);
    assert.match(run.stderr, /--host must be a loopback address .*not "0\.0\.0\.0"/);
    assert.equal(run.stdout, '');
  });

  test('lab --host [::1] listens on IPv6 loopback; Ctrl+C ends it with 130', async (context) => {
    if (!(await ipv6LoopbackAvailable())) {
      context.skip('no IPv6 loopback on this machine');
      return;
    }
    const child = spawn(process.execPath, [cliEntry, 'lab', '--host', '[::1]', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    let stdout = '';
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
          const match = /Listening on \[::1\]:(\d+)/.exec(stdout);
          if (match) {
            resolve(Number(match[1]));
          }
        });
        child.on('close', () => reject(new Error(`lab ended: ${stdout}`)));
      });
      const socket = net.connect(port, '::1');
      await new Promise((resolve) => socket.once('data', resolve));
      socket.destroy();
      child.kill('SIGINT');
      assert.equal(await exited, 130);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('annotate exits 1 on a transcript that shows a relay, 0 on one that does not', async () => {
    const folder = tempFolder();
    const open = path.join(folder, 'open.txt');
    const closed = path.join(folder, 'closed.txt');
    assert.equal((await runCli(['relay', '--lab', 'open', '--tests', 'kb', '--save', open])).code, 1);
    assert.equal((await runCli(['relay', '--lab', 'postfix', '--tests', 'kb', '--save', closed])).code, 0);
    const openRun = await runCli(['annotate', open]);
    assert.equal(openRun.code, 1, openRun.stderr);
    assert.match(openRun.stdout, /relay/);
    assert.equal((await runCli(['annotate', closed])).code, 0);
    assert.ok(readFileSync(open, 'utf8').length > 0);
  });
});
