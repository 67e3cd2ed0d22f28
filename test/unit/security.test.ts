/**
 * Security checks of issue 4: AUTH secrets reach nothing that is recorded, shown or written; a CR or LF
 * smuggled into a command, a relay parameter or a CLI flag is refused before anything goes on the wire;
 * and the relay runner sends DATA only when the caller opted in, as the practice server's own log shows.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/main';
import type { CliContext } from '../../src/cli/cliContext';
import { exitCodes } from '../../src/cli/exitCodes';
import { classifyReply } from '../../src/core/relay/classifyReply';
import { CommandInjectionError } from '../../src/core/protocol/errors';
import { selectRelayTests } from '../../src/core/relay/relayCatalogue';
import { runRelaySuite } from '../../src/core/relay/relayRunner';
import type { RelayReport, RelayTestParameters } from '../../src/core/relay/relayTypes';
import { SmtpSession } from '../../src/core/protocol/session';
import { readTranscript, writeTranscript } from '../../src/core/transcript/transcriptFormat';
import type { Transcript } from '../../src/core/transcript/transcriptEvent';
import { newTarget, sessionOptionsFor } from '../../src/extension/target';
import { SessionConsole, type SessionConsoleHost, type SessionRelayTests } from '../../src/extension/terminal/sessionConsole';
import { startPracticeServer, type PracticeServer } from '../../src/lab/practiceServer';
import { startScriptedServer, type ScriptedPeer, type ScriptedServer } from '../support/scriptedServer';
import { everyTranscriptText } from '../support/transcriptBytes';

const username = 'alice@example.com';
const secret = 'Tr0ub4dor&3-correct-horse';

/** Every form of the secret that could leak: as typed, base64 (AUTH LOGIN), and the AUTH PLAIN blob. */
const secretForms = {
  'the secret': secret,
  'its base64': Buffer.from(secret, 'utf8').toString('base64'),
  'the PLAIN blob': Buffer.from(`\0${username}\0${secret}`, 'utf8').toString('base64'),
  'the PLAIN blob unencoded': `\0${username}\0${secret}`,
};

function assertNoSecretIn(where: string, text: string): void {
  for (const [form, value] of Object.entries(secretForms)) {
    assert.equal(text.includes(value), false, `${form} is in ${where}`);
  }
}

/** A server that accepts AUTH PLAIN and AUTH LOGIN (the practice server never offers AUTH). */
async function authenticatingServer(): Promise<ScriptedServer> {
  return startScriptedServer(async (peer: ScriptedPeer) => {
    await peer.send('220 mail.example.com ESMTP\r\n');
    await peer.converse([
      [/^EHLO /i, '250-mail.example.com\r\n250-AUTH PLAIN LOGIN\r\n250 ENHANCEDSTATUSCODES\r\n'],
      [/^AUTH PLAIN /i, '235 2.7.0 Authentication successful\r\n'],
      [
        /^AUTH LOGIN$/i,
        async (_line, p) => {
          await p.send('334 VXNlcm5hbWU6\r\n');
          await p.readLine();
          await p.send('334 UGFzc3dvcmQ6\r\n');
          await p.readLine();
          await p.send('235 2.7.0 Authentication successful\r\n');
        },
      ],
      [/^NOOP$/i, '250 2.0.0 Ok\r\n'],
    ]);
  });
}

/** The server did get the secret: without that, finding it nowhere would prove nothing. */
function assertServerReceivedSecret(server: ScriptedServer): void {
  const received = server.peers.map((peer) => peer.receivedBytes.toString('utf8')).join('');
  assert.ok(received.includes(secretForms['the PLAIN blob']), 'AUTH PLAIN went over the wire');
  assert.ok(received.includes(secretForms['its base64']), 'AUTH LOGIN went over the wire');
}

const servers: Array<{ close(): Promise<void> }> = [];
let scratch: string | undefined;
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
  if (scratch) {
    await rm(scratch, { recursive: true, force: true });
  }
});

async function scratchFile(name: string): Promise<string> {
  scratch ??= await mkdtemp(path.join(os.tmpdir(), 'relay-lab-security-'));
  return path.join(scratch, name);
}

describe('AUTH secrets are never recorded, shown or written', () => {
  test('a session with AUTH PLAIN and AUTH LOGIN: no form of the secret in its transcript or in the saved file', async () => {
    const server = await authenticatingServer();
    servers.push(server);
    const session = new SmtpSession({ host: server.host, port: server.port, tls: 'none' });
    const events: string[] = [];
    session.onEvent((event) => events.push(event.text));
    await session.connect();
    await session.ehlo('client.example.org');
    assert.equal((await session.authenticate('PLAIN', username, secret)).code, 235);
    assert.equal((await session.authenticate('LOGIN', username, secret)).code, 235);
    await session.quit();
    assertServerReceivedSecret(server);

    assertNoSecretIn('the session transcript', everyTranscriptText(session.transcript).join('\n'));
    assertNoSecretIn('the events seen by listeners', events.join('\n'));
    const file = await scratchFile('auth-session.smtp-transcript');
    await writeFile(file, writeTranscript({ header: { tool: 'security test', startedAt: Date.now(), target: `${server.host}:${server.port}` }, events: [...session.transcript] }));
    const written = await readFile(file, 'utf8');
    assertNoSecretIn('the saved transcript file', written);
    assertNoSecretIn('the transcript read back', everyTranscriptText(readTranscript(written).events).join('\n'));
    assert.ok(session.transcript.some((event) => event.text === 'AUTH PLAIN <redacted>'), 'the redacted command is recorded');
  });

  test('the session terminal: /auth plain and /auth login, then /save: not on screen, not in the saved transcript', async () => {
    const server = await authenticatingServer();
    servers.push(server);
    let screen = '';
    const saved: Transcript[] = [];
    const host: SessionConsoleHost = {
      write: (output) => {
        screen += output;
      },
      connectionChanged: () => undefined,
      authPrompts: { askForUsername: async () => username, passwordFor: async () => secret },
      saveTranscript: async (transcript) => {
        saved.push(transcript);
        return 'saved.smtp-transcript';
      },
      exit: () => undefined,
    };
    const noRelayTests: SessionRelayTests = {
      tests: [],
      groups: [],
      select: (selectors) => ({ tests: [], unknown: [...selectors] }),
      run: () => Promise.reject(new Error('no relay tests here')),
    };
    const target = { ...newTarget(server.host, server.port, 'none'), localDomains: ['example.com'] };
    const terminal = new SessionConsole(
      { target, sessionOptions: sessionOptionsFor(target), classify: classifyReply, relayTests: noRelayTests, addressForm: 'bracketed', remoteUser: 'relay-test' },
      host,
    );
    try {
      terminal.start();
      await terminal.whenIdle();
      for (const line of ['EHLO client.example.org\r', `/auth plain ${username}\r`, `/auth login ${username}\r`, '/save\r']) {
        terminal.handleInput(line);
        await terminal.whenIdle();
      }
    } finally {
      terminal.dispose();
    }
    assertServerReceivedSecret(server);
    assertNoSecretIn('the terminal output', screen);
    assert.equal(saved.length, 1, 'the transcript was saved');
    const file = await scratchFile('terminal.smtp-transcript');
    await writeFile(file, writeTranscript(saved[0]));
    assertNoSecretIn('the transcript saved from the terminal', await readFile(file, 'utf8'));
  });
});

describe('CR/LF injection is refused and nothing is sent', () => {
  const injected = 'RCPT TO:<victim@example.net>';

  async function connectedSession(): Promise<{ session: SmtpSession; server: ScriptedServer }> {
    const server = await startScriptedServer(async (peer) => {
      await peer.send('220 mail.example.com ESMTP\r\n');
      await peer.converse([
        [/^EHLO /i, '250-mail.example.com\r\n250 PIPELINING\r\n'],
        [/^(NOOP|RSET)$/i, '250 2.0.0 Ok\r\n'],
      ]);
    });
    servers.push(server);
    const session = new SmtpSession({ host: server.host, port: server.port, tls: 'none' });
    await session.connect();
    await session.ehlo('client.example.org');
    return { session, server };
  }

  for (const breakText of ['\r\n', '\n', '\r']) {
    test(`session.command with ${JSON.stringify(breakText)} inside: CommandInjectionError, and the server got nothing after EHLO`, async () => {
      const { session, server } = await connectedSession();
      await assert.rejects(session.command(`NOOP${breakText}${injected}`), (error: unknown) => {
        assert.ok(error instanceof CommandInjectionError);
        assert.match(error.message, /line break \(CR or LF\)/);
        return true;
      });
      assert.equal((await session.command('NOOP')).code, 250, 'the session is still usable');
      await session.quit();
      assert.deepEqual(server.peers[0].received, ['EHLO client.example.org', 'NOOP', 'QUIT']);
    });
  }

  test('session.ehlo and session.pipeline refuse a line break; a refused pipeline sends none of its commands', async () => {
    const { session, server } = await connectedSession();
    await assert.rejects(session.ehlo(`client.example.org\r\n${injected}`), CommandInjectionError);
    await assert.rejects(session.pipeline(['RSET', `NOOP\r\n${injected}`, 'NOOP']), CommandInjectionError);
    await session.quit();
    assert.deepEqual(server.peers[0].received, ['EHLO client.example.org', 'QUIT']);
  });

  const parameters: RelayTestParameters = {
    localDomains: ['example.com'],
    localUser: 'postmaster',
    remoteDomain: 'example.net',
    remoteUser: 'relay-test',
    serverAddress: '',
    heloName: 'client.example.org',
    addressForm: 'bracketed',
  };
  const poisoned: Array<[string, Partial<RelayTestParameters>, RegExp]> = [
    ['localDomains', { localDomains: [`example.com>\r\n${injected}`] }, /the local domain contains a line break/],
    ['localUser', { localUser: `postmaster\n${injected}` }, /the local user contains a line break/],
    ['remoteDomain', { remoteDomain: `example.net\r${injected}` }, /the remote domain contains a line break/],
    ['remoteUser', { remoteUser: `relay-test\r\n${injected}` }, /the remote user contains a line break/],
    ['heloName', { heloName: `client.example.org\r\n${injected}` }, /the EHLO name contains a line break/],
  ];
  for (const [name, override, reason] of poisoned) {
    test(`a relay run with a line break in ${name} is refused as a whole, before connecting`, async () => {
      const server = await startScriptedServer((peer) => peer.send('220 mail.example.com ESMTP\r\n'));
      servers.push(server);
      const report = await runRelaySuite({
        session: { host: server.host, port: server.port, tls: 'none' },
        parameters: { ...parameters, ...override },
        testIds: selectRelayTests('kb').map((definition) => definition.id),
      });
      assert.equal(server.peers.length, 0, 'no connection was made');
      assert.equal(report.verdict, 'inconclusive');
      for (const result of report.tests) {
        assert.equal(result.outcome, 'error');
        assert.match(result.reason, /^Not run: refused: /);
        assert.match(result.reason, reason);
      }
    });
  }

  const flags: Array<[string, string]> = [
    ['--local-domain', `example.com\r\n${injected}`],
    ['--local-user', `postmaster\n${injected}`],
    ['--remote-domain', `example.net\r\n${injected}`],
    ['--remote-user', `relay-test\r${injected}`],
    ['--helo', `client.example.org\r\n${injected}`],
  ];
  for (const [flag, value] of flags) {
    test(`the CLI refuses ${flag} with a line break: one clear line on stderr, nothing sent, no verdict`, async () => {
      const server = await startScriptedServer((peer) => peer.send('220 mail.example.com ESMTP\r\n'));
      servers.push(server);
      let out = '';
      let err = '';
      const context: CliContext = {
        out: (text) => {
          out += text;
        },
        err: (text) => {
          err += text;
        },
        errIsTerminal: false,
        signal: new AbortController().signal,
      };
      const code = await runCli(['relay', '--host', server.host, '--port', String(server.port), flag, value, '--tests', 'kb'], context);
      assert.notEqual(code, exitCodes.closed, 'a refused run is never "closed"');
      assert.equal(code, exitCodes.usage, 'a line break in a flag is a usage error');
      assert.match(err, /line break \(CR or LF\)/);
      assert.equal(err.trimEnd().split('\n').length, 1, `one line: ${err}`);
      assert.equal(out, '');
      assert.equal(server.peers.length, 0, 'no connection was made');
    });
  }
});

describe('the relay runner sends DATA only when asked to', () => {
  let lab: PracticeServer;
  const runAll = async (confirmByDelivery: boolean | undefined): Promise<RelayReport> => {
    lab = await startPracticeServer({ persona: 'exchange', localDomains: ['example.com'], localUsers: ['postmaster'] });
    servers.push(lab);
    return runRelaySuite({
      session: { host: lab.host, port: lab.port, tls: 'none' },
      parameters: { localDomains: ['example.com'], localUser: 'postmaster', remoteDomain: 'example.net', remoteUser: 'relay-test', serverAddress: '', heloName: 'client.example.org', addressForm: 'bracketed' },
      testIds: selectRelayTests('all').map((definition) => definition.id),
      ...(confirmByDelivery === undefined ? {} : { confirmByDelivery }),
    });
  };

  test('by default the whole catalogue runs and the practice server logs no DATA, and holds no message', async () => {
    const report = await runAll(undefined);
    assert.ok(report.tests.some((result) => result.outcome === 'needs-confirmation'), 'there were tests DATA could have confirmed');
    const commands = lab.log.commands();
    assert.ok(commands.some((line) => /^RCPT TO:/i.test(line)), 'the log does record the run');
    assert.deepEqual(commands.filter((line) => /^DATA\b/i.test(line)), []);
    assert.equal(lab.outbox.messages.length, 0);
  });

  test('confirmByDelivery: false is the same as not asking', async () => {
    await runAll(false);
    assert.deepEqual(lab.log.commands().filter((line) => /^DATA\b/i.test(line)), []);
  });

  test('only with confirmByDelivery: true does DATA appear in the log, once per NDR-pending test', async () => {
    const report = await runAll(true);
    const pending = report.tests.filter((result) => result.group !== 'control' && result.replies.some((record) => record.command === 'DATA'));
    assert.ok(pending.length > 0);
    assert.equal(lab.log.commands().filter((line) => /^DATA\b/i.test(line)).length, pending.length);
  });
});
