import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startPracticeServer, type PracticeServer } from '../../src/lab/practiceServer';
import { spawn, type ChildProcess } from 'node:child_process';
import { cliEntry, runCli } from '../support/cliProcess';
import { startServerHoldingSecondBlock, twoBlockFile } from '../support/heldReplyServer';
import { startScriptedServer } from '../support/scriptedServer';

/** A loopback server that counts connections and says nothing: proof that nothing was sent. */
async function silentListener(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    count += 1;
    sockets.add(socket);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function closedPort(): Promise<number> {
  const listener = await silentListener();
  await listener.close();
  return listener.port;
}

/** The relay suite a postfix-like closed server must pass: a test file as an admin would keep it. */
function suite(port: number, ...header: string[]): string {
  return [
    `# @target 127.0.0.1:${port}`,
    '# @tls none',
    '# @local-domain corp.example',
    ...header,
    '',
    '### greet',
    '# @expect 250',
    'EHLO client.example.org',
    '',
    '### control: a local recipient',
    'RSET',
    'MAIL FROM:<relay-test@example.net>',
    '# @expect 2xx',
    'RCPT TO:<postmaster@corp.example>',
    '',
    '### kb1: remote sender to remote recipient',
    '# @confirm',
    'RSET',
    '# @expect 2xx',
    'MAIL FROM:<relay-test@example.net>',
    '# @expect rejection|relay-denied',
    'RCPT TO:<relay-test@example.net>',
    '',
  ].join('\n');
}

describe('smtp-relay-lab run FILE.smtp against the practice server', { concurrency: true }, () => {
  let postfix: PracticeServer;
  let open: PracticeServer;
  let folder: string;

  before(async () => {
    postfix = await startPracticeServer({ persona: 'postfix' });
    open = await startPracticeServer({ persona: 'open' });
    folder = mkdtempSync(path.join(os.tmpdir(), 'smtp-run-'));
  });

  after(async () => {
    await postfix.close();
    await open.close();
    rmSync(folder, { recursive: true, force: true });
  });

  function write(name: string, text: string): string {
    const file = path.join(folder, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  }

  test('a closed server meets every expectation: ✓ per expectation, exit 0, and a JUnit testcase per block named after its ### title', async () => {
    const file = write('closed.smtp', suite(postfix.port));
    const junit = path.join(folder, 'closed.xml');
    const run = await runCli(['run', file, '--junit', junit]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /✓ ### kb1: remote sender to remote recipient/);
    assert.match(run.stdout, /<- 454 4\.7\.1 <relay-test@example\.net>: Relay access denied/);
    assert.match(run.stdout, /✓ line 20: @expect rejection\|relay-denied: 454 4\.7\.1/);
    assert.doesNotMatch(run.stdout, /✗/);
    const xml = readFileSync(junit, 'utf8');
    assert.deepEqual(
      [...xml.matchAll(/<testcase name="([^"]*)"/g)].map((match) => match[1]),
      ['greet', 'control: a local recipient', 'kb1: remote sender to remote recipient'],
    );
    assert.doesNotMatch(xml, /<failure|<error/);
    assert.match(xml, /tests="3" failures="0" errors="0"/);
  });

  test('an open relay fails the kb1 expectation: ✗, exit 1, and the JUnit failure quotes what was expected and the 250 it got', async () => {
    const file = write('open.smtp', suite(open.port));
    const junit = path.join(folder, 'open.xml');
    const run = await runCli(['run', file, '--junit', junit]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /✗ ### kb1: remote sender to remote recipient/);
    assert.match(run.stdout, /✗ line 20: @expect expected rejection\|relay-denied, got 250/);
    const xml = readFileSync(junit, 'utf8');
    const failure = /<testcase name="kb1: remote sender to remote recipient"[\s\S]*?<failure message="([^"]*)"[^>]*>([\s\S]*?)<\/failure>/.exec(xml);
    assert.ok(failure, xml);
    assert.match(failure[1], /^expected rejection\|relay-denied, got 250/);
    assert.match(failure[2], /expected: rejection\|relay-denied\nactual: {3}250/);
    assert.match(failure[2], /RCPT TO:&lt;relay-test@example\.net&gt;/);
    assert.match(xml, /tests="3" failures="1" errors="0"/);
  });

  test('the text output follows the run: a block is printed with its ✓/✗ as soon as it finished, while the next one still waits for its reply', async () => {
    const { server, release } = await startServerHoldingSecondBlock();
    let child: ChildProcess | undefined;
    try {
      const file = write('progress.smtp', twoBlockFile(server.port, '250'));
      const running = spawn(process.execPath, [cliEntry, 'run', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = running;
      let stdout = '';
      const exited = new Promise<number | null>((resolve) => running.on('close', resolve));
      const printed = new Promise<void>((resolve) =>
        running.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
          if (stdout.includes('✓ line 4: @expect 250')) {
            resolve();
          }
        }),
      );
      const [peer] = await server.waitForPeers(1);
      // A generous bound, not a timing claim: without it, output held back until the end would hang the test.
      let bound: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'gave up'>((resolve) => (bound = setTimeout(() => resolve('gave up'), 30_000)));
      const first = await Promise.race([printed.then(() => 'printed' as const), gaveUp]);
      clearTimeout(bound);
      assert.equal(first, 'printed', `block 1 was not printed while block 2 waited; stdout so far:\n${stdout}`);
      // Block 1 is printed; block 2 waits for the reply the server still holds.
      assert.ok(!peer.sentBytes.toString('latin1').includes('Flushed'));
      assert.match(stdout, /✓ ### one \(line 3\)\n {4}<- 220 slow\.example\.com ESMTP\n/);
      assert.doesNotMatch(stdout, /### two|blocks passed/);
      release();
      assert.equal(await exited, 0, stdout);
      assert.match(stdout, /✓ ### two \(line 6\)[\s\S]*2 of 2 blocks passed; 2 of 2 expectations held\n$/);
      assert.deepEqual(server.scriptErrors, []);
    } finally {
      release();
      child?.kill();
      await server.close();
    }
  });

  test('--json shows the server\'s bidi and C1 characters as visible escapes: nothing in its output for a terminal to obey', async () => {
    const server = await startScriptedServer(async (peer) => {
      await peer.send('220 hostile.example.com ESMTP\r\n');
      await peer.expect(/^EHLO /);
      await peer.send(Buffer.from('250 ok \u202egnp.exe \u009b2J\u2028done\r\n', 'utf8'));
      await peer.converse([[/^QUIT/, '221 2.0.0 Bye\r\n']]);
    });
    try {
      const file = write('hostile.smtp', [`# @target 127.0.0.1:${server.port}`, '# @tls none', '### greet', '# @expect 250', 'EHLO client.example.org'].join('\n'));
      const run = await runCli(['run', file, '--json']);
      assert.equal(run.code, 0, run.stderr);
      assert.doesNotMatch(run.stdout, /[\u0080-\u009f\u202a-\u202e\u2028\u2029]/, 'no raw C1, bidi or separator character reaches the terminal');
      const report = JSON.parse(run.stdout) as { blocks: { expectations: { actual: string | null }[] }[] };
      assert.equal(report.blocks[0]!.expectations[0]!.actual, '250 ok \\u202Egnp.exe \\xC2\\x9B2J\\u2028done', 'the reply as a reader sees it: each unsafe character spelt out');
    } finally {
      await server.close();
    }
  });

  test('--json prints the same report as JSON', async () => {
    const file = write('json.smtp', suite(open.port));
    const run = await runCli(['run', file, '--json']);
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as {
      passed: boolean;
      target: string;
      blocks: { name: string; passed: boolean; expectations: { line: number; expected: string; passed: boolean; actual: string | null }[] }[];
    };
    assert.equal(report.passed, false);
    assert.equal(report.target, `127.0.0.1:${open.port}`);
    assert.deepEqual(
      report.blocks.map((block) => [block.name, block.passed]),
      [
        ['greet', true],
        ['control: a local recipient', true],
        ['kb1: remote sender to remote recipient', false],
      ],
    );
    const kb1 = report.blocks[2].expectations;
    assert.deepEqual(
      kb1.map((verdict) => [verdict.line, verdict.expected, verdict.passed]),
      [
        [18, '2xx', true],
        [20, 'rejection|relay-denied', false],
      ],
    );
    assert.match(kb1[1].actual ?? '', /^250/);
  });

  test('a block with a remote recipient and no # @confirm is not run without --yes: exit 64, the server and the line are named, nothing connects', async () => {
    const listener = await silentListener();
    try {
      const file = write('unconfirmed.smtp', suite(listener.port).replace('# @confirm\n', ''));
      const run = await runCli(['run', file]);
      assert.equal(run.code, 64, run.stdout + run.stderr);
      assert.match(run.stderr, new RegExp(`would send to 127\\.0\\.0\\.1:${listener.port}`));
      assert.match(run.stderr, /kb1: remote sender to remote recipient:\n {4}line 20: RCPT TO:<relay-test@example\.net>: a recipient an open relay would forward/);
      assert.match(run.stderr, /--yes/);
      assert.equal(listener.connections(), 0);

      const withYes = await runCli(['run', write('unconfirmed-postfix.smtp', suite(postfix.port).replace('# @confirm\n', '')), '--yes']);
      assert.equal(withYes.code, 0, withYes.stdout + withYes.stderr);
    } finally {
      await listener.close();
    }
  });

  test('a block that sends DATA needs a confirmation too', async () => {
    const listener = await silentListener();
    try {
      const text = [`# @target 127.0.0.1:${listener.port}`, '### message', 'MAIL FROM:<a@corp.example>', 'RCPT TO:<postmaster@corp.example>', 'DATA', 'Subject: hi', '', 'hello', '.'].join('\n');
      const run = await runCli(['run', write('data.smtp', `# @local-domain corp.example\n${text}`)]);
      assert.equal(run.code, 64);
      assert.match(run.stderr, /line 6 sends DATA: a message of 3 lines/);
      assert.equal(listener.connections(), 0);
    } finally {
      await listener.close();
    }
  });

  test('bad input is refused with its line numbers and exit 64: an unknown directive, an unknown variable, an @expect with nothing after it', async () => {
    const listener = await silentListener();
    try {
      const file = write(
        'bad.smtp',
        [`# @target 127.0.0.1:${listener.port}`, '# @tagret 127.0.0.1:25', '### one', '# @expect', 'NOOP', 'MAIL FROM:<{{sender}}>', '# @expect 2xx'].join('\n'),
      );
      const run = await runCli(['run', file]);
      assert.equal(run.code, 64, run.stdout + run.stderr);
      assert.match(run.stderr, new RegExp(`${file.replace(/[.\\]/g, '\\$&')}:2:1: unknown directive @tagret`));
      assert.match(run.stderr, /bad\.smtp:4:1: @expect needs what the reply must be/);
      assert.match(run.stderr, /bad\.smtp:6:\d+: \{\{sender\}\} is not defined/);
      assert.match(run.stderr, /bad\.smtp:7:1: @expect judges the reply to the next command of its block, and no command follows it/);
      assert.equal(listener.connections(), 0);
    } finally {
      await listener.close();
    }
  });

  test('a file with no # @target and no --var is a usage error; --var target=HOST:PORT gives it one', async () => {
    const file = write('untargeted.smtp', ['# @tls none', '### greet', '# @expect 250', 'EHLO client.example.org'].join('\n'));
    const missing = await runCli(['run', file]);
    assert.equal(missing.code, 64);
    assert.match(missing.stderr, /untargeted\.smtp has no "# @target host:port" and no --var target=HOST:PORT/);
    const given = await runCli(['run', file, '--var', `target=127.0.0.1:${postfix.port}`]);
    assert.equal(given.code, 0, given.stdout + given.stderr);
    assert.match(given.stdout, /✓ line 3: @expect 250/);
  });

  test('a server that cannot be reached exits 3, and the JUnit report has an error for the block', async () => {
    const port = await closedPort();
    const junit = path.join(folder, 'unreachable.xml');
    const run = await runCli(['run', write('unreachable.smtp', [`# @target 127.0.0.1:${port}`, '# @tls none', '### greet', '# @expect 250', 'EHLO client.example.org'].join('\n')), '--junit', junit]);
    assert.equal(run.code, 3, run.stdout + run.stderr);
    assert.match(readFileSync(junit, 'utf8'), /<testcase name="greet"[^>]*>\s*<error message="[^"]*refused/);
  });

  test('--env takes the variables of .vscode/settings.json (comments allowed), $shared under them; variables resolve in # @target', async () => {
    const project = path.join(folder, 'project');
    write(
      'project/.vscode/settings.json',
      [
        '{',
        '  // the environments of the .smtp suite',
        '  "smtpRelayLab.environments": {',
        '    "$shared": { "remote": "relay-test@example.net", "mx": "127.0.0.1:1" },',
        `    "staging": { "mx": "127.0.0.1:${postfix.port}" },`,
        `    "lab-open": { "mx": "127.0.0.1:${open.port}" },`,
        '  },',
        '}',
      ].join('\n'),
    );
    const file = write(
      'project/suites/relay.smtp',
      ['# @target {{mx}}', '# @tls none', '# @local-domain corp.example', '# @confirm', '### kb1', 'MAIL FROM:<{{remote}}>', '# @expect rejection', 'RCPT TO:<{{remote}}>'].join('\n'),
    );
    const staging = await runCli(['run', file, '--env', 'staging']);
    assert.equal(staging.code, 0, staging.stdout + staging.stderr);
    assert.match(staging.stdout, new RegExp(`against 127\\.0\\.0\\.1:${postfix.port}`));
    const openRelay = await runCli(['run', file, '--env', 'lab-open']);
    assert.equal(openRelay.code, 1, openRelay.stdout + openRelay.stderr);
    const unknown = await runCli(['run', file, '--env', 'production']);
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /no environment "production": known are staging, lab-open/);
    assert.ok(project);
  });

  test('built-ins resolve in directives as in commands: # @target 127.0.0.1:{{$processEnv LAB_PORT}}, {{$dotenv}}, {{$guid}}, {{$prompt}}', async () => {
    write('builtins/.env', 'LOCAL_DOMAIN=corp.example\n');
    const file = write(
      'builtins/relay.smtp',
      [
        '# @target 127.0.0.1:{{$processEnv LAB_PORT}}',
        '# @tls {{$prompt tls}}',
        '# @local-domain {{$dotenv LOCAL_DOMAIN}}',
        '# @helo run-{{$guid}}.example.org',
        '### control',
        'MAIL FROM:<relay-test@example.net>',
        '# @expect 2xx',
        'RCPT TO:<postmaster@{{$target.localDomain}}>',
      ].join('\n'),
    );
    const run = await runCli(['run', file, '--var', 'tls=none', '--json'], { ...process.env, LAB_PORT: String(postfix.port) });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout) as { target: string; blocks: { expectations: { passed: boolean; actual: string | null }[] }[] };
    assert.equal(report.target, `127.0.0.1:${postfix.port}`);
    assert.deepEqual(report.blocks[0].expectations.map((verdict) => verdict.passed), [true]);
    assert.ok(postfix.log.commands().includes('RCPT TO:<postmaster@corp.example>'), 'the local domain came from .env');
    assert.ok(
      postfix.log.commands().some((command) => /^EHLO run-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.example\.org$/.test(command)),
      `the EHLO name came from {{$guid}}: ${postfix.log.commands().join(' | ')}`,
    );
  });

  test('a directive whose environment variable is not set is refused as FILE:line:column with exit 64, before anything connects', async () => {
    const listener = await silentListener();
    try {
      const file = write('unset.smtp', ['# @tls none', `# @target 127.0.0.1:{{$processEnv SMTP_RELAY_LAB_TEST_UNSET_PORT}}`, '### greet', '# @expect 250', 'NOOP'].join('\n'));
      const env = { ...process.env };
      delete env.SMTP_RELAY_LAB_TEST_UNSET_PORT;
      const run = await runCli(['run', file, '--var', `target=127.0.0.1:${listener.port}`], env);
      assert.equal(run.code, 64, run.stdout + run.stderr);
      assert.match(
        run.stderr,
        new RegExp(`${file.replace(/[.\\]/g, '\\$&')}:2:11: @target: \\{\\{\\$processEnv SMTP_RELAY_LAB_TEST_UNSET_PORT\\}\\} has no value: that environment variable is not set`),
      );
      assert.equal(listener.connections(), 0);
    } finally {
      await listener.close();
    }
  });

  test('# @target {{$secret mx}} connects there, and the secret is in no output, report or saved transcript', async () => {
    const secret = `127.0.0.1:${postfix.port}`;
    const file = write('secret-target.smtp', ['# @target {{$secret mx}}', '# @tls none', '### greet', '# @expect 250', 'EHLO client.example.org', '### refused', '# @expect 5xx', 'BDAT'].join('\n'));
    const transcript = path.join(folder, 'secret-target.smtp-transcript');
    const junit = path.join(folder, 'secret-target.xml');
    const env = { ...process.env, SMTP_RELAY_LAB_SECRET_MX: secret };
    const run = await runCli(['run', file, '--json', '--save', transcript, '--junit', junit], env);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout) as { target: string; blocks: { passed: boolean }[] };
    assert.equal(report.target, '***');
    assert.deepEqual(report.blocks.map((block) => block.passed), [true, true], 'it talked to the server the secret names');
    const text = await runCli(['run', file], env);
    assert.equal(text.code, 0, text.stdout + text.stderr);
    for (const [what, written] of [
      ['--json', run.stdout],
      ['stderr', run.stderr],
      ['the saved transcript', readFileSync(transcript, 'utf8')],
      ['the JUnit report', readFileSync(junit, 'utf8')],
      ['the text output', text.stdout + text.stderr],
    ]) {
      assert.ok(!written.includes(secret), `${what} holds the secret:\n${written}`);
    }
    assert.match(readFileSync(transcript, 'utf8'), /^=== target: \*\*\*$/m);
    assert.match(text.stdout, /against \*\*\*/);

    // A server that cannot be reached: the connection error names no secret either.
    const unreachableSecret = `127.0.0.1:${await closedPort()}`;
    const unreachableJunit = path.join(folder, 'secret-unreachable.xml');
    const unreachable = await runCli(['run', file, '--junit', unreachableJunit], { ...process.env, SMTP_RELAY_LAB_SECRET_MX: unreachableSecret });
    assert.equal(unreachable.code, 3, unreachable.stdout + unreachable.stderr);
    assert.match(unreachable.stdout, /stopped: /);
    for (const written of [unreachable.stdout, unreachable.stderr, readFileSync(unreachableJunit, 'utf8')]) {
      assert.ok(!written.includes(unreachableSecret), written);
    }
  });

  test('{{$secret name}} comes from SMTP_RELAY_LAB_SECRET_NAME and is in no output, report or saved transcript; {{$prompt name}} from --var', async () => {
    const secret = `s3cret-${process.pid}-${Date.now()}`;
    const file = write(
      'secret.smtp',
      [`# @target 127.0.0.1:${postfix.port}`, '# @tls none', '### noop', '# @expect 250', 'NOOP {{$secret token}} {{$prompt ticket}}'].join('\n'),
    );
    const transcript = path.join(folder, 'secret.smtp-transcript');
    const junit = path.join(folder, 'secret.xml');
    const missing = await runCli(['run', file, '--var', 'ticket=T-1']);
    assert.equal(missing.code, 64);
    assert.match(missing.stderr, /SMTP_RELAY_LAB_SECRET_TOKEN, which is not set/);
    const noPrompt = await runCli(['run', file], { ...process.env, SMTP_RELAY_LAB_SECRET_TOKEN: secret });
    assert.equal(noPrompt.code, 64);
    assert.match(noPrompt.stderr, /--var ticket=VALUE/);

    const run = await runCli(['run', file, '--var', 'ticket=T-1', '--json', '--save', transcript, '--junit', junit], { ...process.env, SMTP_RELAY_LAB_SECRET_TOKEN: secret });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.ok(postfix.log.commands().includes(`NOOP ${secret} T-1`), 'the server got the secret');
    for (const text of [run.stdout, run.stderr, readFileSync(transcript, 'utf8'), readFileSync(junit, 'utf8')]) {
      assert.ok(!text.includes(secret), text);
    }
    assert.match(readFileSync(transcript, 'utf8'), /NOOP \*\*\* T-1/);
  });

  test('AUTH PLAIN alone logs in as # @user with SMTP_RELAY_LAB_AUTH_PASSWORD, which no output or report holds; without it the block stops (exit 3)', async () => {
    const password = `pw-${process.pid}-${Date.now()}`;
    const withAuth = await startPracticeServer({ persona: 'postfix', auth: { username: 'alice', password } });
    try {
      const file = write('auth.smtp', [`# @target 127.0.0.1:${withAuth.port}`, '# @tls none', '# @user alice', '### login', 'EHLO client.example.org', '# @expect 235', 'AUTH PLAIN'].join('\n'));
      const transcript = path.join(folder, 'auth.smtp-transcript');
      const run = await runCli(['run', file, '--json', '--save', transcript], { ...process.env, SMTP_RELAY_LAB_AUTH_PASSWORD: password });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const blob = Buffer.from(`\0alice\0${password}`).toString('base64');
      for (const text of [run.stdout, run.stderr, readFileSync(transcript, 'utf8')]) {
        assert.ok(!text.includes(password) && !text.includes(blob), text);
      }
      const without = await runCli(['run', file], { ...process.env, SMTP_RELAY_LAB_AUTH_PASSWORD: '' });
      assert.equal(without.code, 3, without.stdout + without.stderr);
      assert.match(without.stdout, /no password/);
    } finally {
      await withAuth.close();
    }
  });
});
