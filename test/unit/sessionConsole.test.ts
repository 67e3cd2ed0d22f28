import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyReply } from '../../src/core/relay/classifyReply';
import { testStartNote } from '../../src/core/relay/testOutcome';
import type { RelayReport, RelayTestDefinition, RelayTestResult } from '../../src/core/relay/relayTypes';
import type { Transcript } from '../../src/core/transcript/transcriptEvent';
import { newTarget, sessionOptionsFor, type Target } from '../../src/extension/target';
import {
  SessionConsole,
  sessionTerminalTool,
  type ConsoleConnection,
  type SessionConsoleHost,
  type SessionRelayTests,
} from '../../src/extension/terminal/sessionConsole';
import { startScriptedServer, type ScriptedPeer, type ScriptedServer } from '../support/scriptedServer';
import { startPracticeServer } from '../../src/lab/practiceServer';
import type { AuthPrompts } from '../../src/core/protocol/authFlow';
import { memoryOnlyRecordingHost, TranscriptRecording } from '../../src/extension/transcripts/transcriptRecording';
import { CatalogueRelayTests } from '../../src/extension/terminal/catalogueRelayTests';

/** The console's output without colours and cursor moves: what a person reads on screen. */
function plain(output: string): string {
  return output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

class RecordingHost implements SessionConsoleHost {
  output = '';
  connections: ConsoleConnection[] = [];
  secretRequests: string[] = [];
  saved: Transcript[] = [];
  reports: RelayReport[] = [];
  exitCode: number | undefined;
  sessionsStarted = 0;
  secret: string | undefined = 'correct horse battery staple';

  get screen(): string {
    return plain(this.output);
  }

  write(output: string): void {
    this.output += output;
  }
  connectionChanged(connection: ConsoleConnection): void {
    this.connections.push(connection);
    if (connection.kind === 'closed') {
      this.markClosed();
    }
  }
  private markClosed!: () => void;
  /** Resolves when the console reports its connection closed (the socket's close event, not the script's). */
  readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));
  sessionStarted(): void {
    this.sessionsStarted += 1;
  }
  /** The terminal's recording, as the transcript store would hand it out; undefined until asked for. */
  recording: TranscriptRecording | undefined;
  recordingsOpened = 0;
  /** host:port, as the extension's host names its recording. */
  recordingTarget = '';
  openRecording(): TranscriptRecording {
    this.recordingsOpened += 1;
    this.recording = new TranscriptRecording(
      { id: 'stored-1', label: 'Session terminal: test', target: this.recordingTarget, startedAt: Date.now(), tool: sessionTerminalTool },
      memoryOnlyRecordingHost,
    );
    return this.recording;
  }
  readonly authPrompts: AuthPrompts = {
    askForUsername: async () => 'alice',
    passwordFor: async (username) => {
      this.secretRequests.push(username);
      return this.secret;
    },
  };
  async saveTranscript(transcript: Transcript): Promise<string | undefined> {
    this.saved.push(transcript);
    return 'transcripts/session.smtp-transcript';
  }
  relayReportChanged(report: RelayReport): void {
    this.reports.push(report);
  }
  exit(code: number): void {
    this.exitCode = code;
  }
}

const noRelayTests: SessionRelayTests = {
  tests: [],
  groups: [],
  select: (selectors) => ({ tests: [], unknown: [...selectors] }),
  run: () => Promise.reject(new Error('no relay tests in this test')),
};

/** A Postfix-like closed server: relays nothing, answers NOOP never (to test Ctrl+C). */
async function postfixLike(peer: ScriptedPeer, bodies: string[][]): Promise<void> {
  await peer.send('220 mail.corp.example ESMTP Postfix\r\n');
  await peer.converse([
    [/^EHLO /i, '250-mail.corp.example\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 ENHANCEDSTATUSCODES\r\n'],
    [/^MAIL FROM:/i, '250 2.1.0 Ok\r\n'],
    [/^RCPT TO:<[^>]*@corp\.example>/i, '250 2.1.5 Ok\r\n'],
    [/^RCPT TO:/i, (line, p) => p.send(`554 5.7.1 ${line.slice(8)}: Relay access denied\r\n`)],
    [/^RSET/i, '250 2.0.0 Ok\r\n'],
    [/^AUTH PLAIN /i, '235 2.7.0 Authentication successful\r\n'],
    [
      /^DATA/i,
      async (_line, p) => {
        await p.send('354 End data with <CR><LF>.<CR><LF>\r\n');
        const body: string[] = [];
        for (let line = await p.readLine(); line !== '.'; line = await p.readLine()) {
          body.push(line);
        }
        bodies.push(body);
        await p.send('250 2.0.0 Ok: queued as 4ABC\r\n');
      },
    ],
    [/^NOOP/i, () => undefined],
  ]);
}

interface Harness {
  server?: ScriptedServer;
  host: RecordingHost;
  console: SessionConsole;
  bodies: string[][];
  type(...inputs: string[]): Promise<void>;
}

const running: Array<{ console: SessionConsole; close(): Promise<void> }> = [];

afterEach(async () => {
  for (const resource of running.splice(0)) {
    resource.console.dispose();
    await resource.close();
  }
});

interface ConsoleOptions {
  relayTests?: SessionRelayTests;
  target?: Partial<Target>;
}

/** A console connected to a scripted server (the Postfix-like one unless a script is given). */
async function startConsole(
  script?: (peer: ScriptedPeer, bodies: string[][]) => Promise<void>,
  options: ConsoleOptions = {},
): Promise<Harness & { server: ScriptedServer }> {
  const bodies: string[][] = [];
  const server = await startScriptedServer((peer) => (script ?? postfixLike)(peer, bodies));
  const harness = await startConsoleAt(server.host, server.port, { localDomains: ['corp.example'], ...options.target }, options, () =>
    server.close(),
  );
  return { ...harness, server, bodies };
}

async function startConsoleAt(
  address: string,
  port: number,
  targetFields: Partial<Target>,
  options: ConsoleOptions,
  close: () => Promise<void>,
): Promise<Harness> {
  const target = { ...newTarget(address, port, 'none'), ...targetFields };
  const host = new RecordingHost();
  host.recordingTarget = `${target.host}:${target.port}`;
  const console = new SessionConsole(
    {
      target,
      sessionOptions: sessionOptionsFor(target),
      classify: classifyReply,
      relayTests: options.relayTests ?? noRelayTests,
      addressForm: 'bracketed',
      remoteUser: 'relay-test',
    },
    host,
  );
  running.push({ console, close });
  console.start();
  await console.whenIdle();
  return {
    host,
    console,
    bodies: [],
    async type(...inputs) {
      for (const input of inputs) {
        console.handleInput(input);
      }
      await console.whenIdle();
    },
  };
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe('session console: telnet-like conversation', () => {
  test('the greeting is shown and tagged, and the state goes from connecting to connected', async () => {
    const { host } = await startConsole();
    assert.match(host.screen, /220 mail\.corp\.example ESMTP Postfix\r\n\s+\[ok\]/);
    assert.deepEqual(host.connections, [{ kind: 'connecting' }, { kind: 'connected', tls: false }]);
  });

  test('a target offering STARTTLS, on a server that does not advertise it: the session goes on in clear text and says so', async () => {
    const { host, server, type } = await startConsole(undefined, { target: { tls: 'starttls' } });
    await type('EHLO client.example.com\r', 'MAIL FROM:<a@corp.example>\r');
    assert.match(host.screen, /did not advertise STARTTLS: this session continues in clear text/);
    assert.deepEqual(server.peers[0].received, ['EHLO client.example.com', 'MAIL FROM:<a@corp.example>'], 'nothing failed, nothing extra was sent');
  });

  test('a target without TLS says nothing about STARTTLS after EHLO', async () => {
    const { host, type } = await startConsole();
    await type('EHLO client.example.com\r');
    assert.doesNotMatch(host.screen, /did not advertise STARTTLS/);
  });

  test('a typed command appears once (as typed), then its reply with the classification tag and reason', async () => {
    const { host, type } = await startConsole();
    await type('EHLO client.example.com\r', 'MAIL FROM:<a@corp.example>\r', 'RCPT TO:<b@example.net>\r');
    const screen = host.screen;
    assert.equal(occurrences(screen, 'RCPT TO:<b@example.net>\r\n'), 1);
    assert.match(
      screen,
      /RCPT TO:<b@example\.net>\r\n554 5\.7\.1 <b@example\.net>: Relay access denied\r\n\s+\[rejection 5\.7\.1: relay denied\] .*forward/,
    );
  });

  test('a paste of several lines sends each as its own command, each followed by its own reply', async () => {
    const { host, server, type } = await startConsole();
    await type('EHLO client.example.com\rRSET\rMAIL FROM:<a@corp.example>\rRCPT TO:<postmaster@corp.example>\r');
    assert.deepEqual(server.peers[0].received, [
      'EHLO client.example.com',
      'RSET',
      'MAIL FROM:<a@corp.example>',
      'RCPT TO:<postmaster@corp.example>',
    ]);
    const screen = host.screen;
    const order = ['RSET\r\n250 2.0.0 Ok', 'MAIL FROM:<a@corp.example>\r\n250 2.1.0 Ok', 'RCPT TO:<postmaster@corp.example>\r\n250 2.1.5 Ok'];
    const positions = order.map((part) => screen.indexOf(part));
    assert.ok(positions.every((position) => position >= 0), `each command is directly followed by its reply:\n${screen}`);
    assert.deepEqual([...positions].sort((a, b) => a - b), positions);
    // A plain local recipient is ordinary inbound mail (evidence rules): no NDR-pending, no relay.
    assert.match(screen, /250 2\.1\.5 Ok\r\n\s+\[(acceptance|ok) 2\.1\.5\]/);
  });

  test('after 354 the typed lines are the message, ended by a lone "."; the engine dot-stuffs them', async () => {
    const { host, bodies, type } = await startConsole();
    await type('EHLO c.example.com\r', 'MAIL FROM:<a@corp.example>\r', 'RCPT TO:<postmaster@corp.example>\r', 'DATA\r');
    assert.match(host.screen, /end it with a line holding only "\."/);
    await type('Subject: test\r', '\r', '.leading dot\r', '/help is body text here\r', '.\r');
    assert.deepEqual(bodies, [['Subject: test', '', '..leading dot', '/help is body text here']]);
    const screen = host.screen;
    assert.equal(occurrences(screen, 'Subject: test'), 1, 'body lines are not shown a second time when sent');
    assert.equal(screen.includes('..leading dot'), false);
    assert.match(screen, /250 2\.0\.0 Ok: queued as 4ABC\r\n\s+\[ndr-pending/);
  });

  test('message lines are not remembered by history, commands are', async () => {
    const { host, type } = await startConsole();
    await type('EHLO c.example.com\r', 'MAIL FROM:<a@corp.example>\r', 'RCPT TO:<postmaster@corp.example>\r', 'DATA\r', 'secret line\r', '.\r');
    const before = host.output.length;
    await type('\x1b[A');
    assert.equal(plain(host.output.slice(before)), 'DATA', 'Up recalls DATA, not a line of the message');
  });

  test('Ctrl+C while a reply is awaited closes the connection, says so, and keeps the transcript', async () => {
    let noopArrived!: () => void;
    const noopSeen = new Promise<void>((resolve) => (noopArrived = resolve));
    const { host, console, type } = await startConsole(async (peer) => {
      await peer.send('220 mail.corp.example ESMTP\r\n');
      await peer.expect('NOOP');
      noopArrived();
      await peer.hang();
    });
    console.handleInput('NOOP\r');
    await noopSeen;
    await type('\x03');
    assert.match(host.screen, /\^C\r\n.*cancelled while waiting for the reply to "NOOP"/s);
    assert.match(host.screen, /Not connected\. \/reconnect/);
    assert.equal(host.connections.at(-1)?.kind, 'closed');
    assert.ok(console.transcript.events.some((event) => event.kind === 'sent' && event.text === 'NOOP'));
  });

  test('a connection the server drops is reported, and /reconnect starts a new one in the same terminal', async () => {
    let connections = 0;
    const { host, server, console, type } = await startConsole(async (peer, bodies) => {
      connections += 1;
      if (connections === 1) {
        await peer.send('220 mail.corp.example ESMTP\r\n');
        await peer.expect('NOOP');
        await peer.send('421 4.3.2 Shutting down\r\n');
        await peer.end();
        return;
      }
      await postfixLike(peer, bodies);
    });
    await type('NOOP\r');
    await host.closed;
    await console.whenIdle();
    assert.match(host.screen, /421 4\.3\.2 Shutting down\r\n\s+\[rejection 4\.3\.2 temporary: the server is closing the connection\]/);
    assert.match(host.screen, /connection closed by server/);
    await type('RSET\r');
    assert.match(host.screen, /not connected: \/reconnect connects again/);
    await type('/reconnect\r', 'RSET\r');
    assert.equal(server.peers.length, 2);
    assert.equal(host.sessionsStarted, 2, 'the host hears of the new session, to record it too');
    assert.deepEqual(server.peers[1].received, ['RSET']);
    const sent = console.transcript.events.filter((event) => event.kind === 'sent').map((event) => event.text);
    assert.deepEqual(sent, ['NOOP', 'RSET'], 'the transcript spans both connections');
  });

  test('typed SMTP lines that fail locally are explained, and nothing is sent', async () => {
    const { host, server, type } = await startConsole();
    await type('AUTH PLAIN AGFsaWNlAHNlY3JldA==\r');
    assert.match(host.screen, /type \/auth plain or \/auth login instead/);
    assert.equal(host.screen.includes('AGFsaWNlAHNlY3JldA=='), true, 'what the user typed stays on screen, as typed');
    assert.deepEqual(server.peers[0].received, []);
  });
});

describe('session console: meta-commands', () => {
  test('/auth plain asks for the secret and neither shows nor records it', async () => {
    const { host, server, console, type } = await startConsole();
    await type('EHLO c.example.com\r', '/auth plain alice\r');
    assert.deepEqual(host.secretRequests, ['alice']);
    const sentWire = server.peers[0].received.find((line) => line.startsWith('AUTH PLAIN '));
    assert.equal(sentWire, `AUTH PLAIN ${Buffer.from('\0alice\0correct horse battery staple').toString('base64')}`);
    const base64 = sentWire!.slice('AUTH PLAIN '.length);
    const recorded = JSON.stringify(console.transcript);
    for (const secretForm of ['correct horse battery staple', base64]) {
      assert.equal(host.output.includes(secretForm), false, 'not on screen');
      assert.equal(recorded.includes(secretForm), false, 'not in the transcript');
    }
    assert.match(host.screen, /235 2\.7\.0 Authentication successful/);
    assert.match(host.screen, /No TLS: this password crosses the network in clear text/);
  });

  test('/auth cancelled at the password prompt sends nothing', async () => {
    const { host, server, type } = await startConsole();
    host.secret = undefined;
    await type('/auth plain alice\r');
    assert.match(host.screen, /AUTH cancelled: no password/);
    assert.deepEqual(server.peers[0].received, []);
  });

  test('one recording: the screen is drawn from the recording the host handed out, /save saves that same record, /reconnect goes on in it', async () => {
    const { host, console, type } = await startConsole();
    await type('EHLO c.example.com\r', '/auth plain alice\r');
    const recording = host.recording!;
    assert.ok(recording, 'the console asked the host for its recording');
    assert.ok(recording.events.some((event) => event.kind === 'sent' && event.text === 'AUTH PLAIN <redacted>'), 'the AUTH line is in the recording');
    // Whatever reaches the recording reaches the screen: there is no second copy to drift apart from it.
    recording.record({ kind: 'info', at: Date.now(), tls: false, text: 'a line recorded by someone else' });
    assert.match(host.screen, /a line recorded by someone else/);
    await type('/reconnect\r', '/save\r');
    assert.equal(host.recordingsOpened, 1, 'one recording per terminal, across reconnects');
    assert.equal(host.saved.length, 1);
    assert.deepEqual(host.saved[0].events, recording.events, '/save saves the recording itself');
    assert.deepEqual(console.transcript.events, recording.events);
    assert.equal(recording.events.filter((event) => event.kind === 'received' && event.text.startsWith('220 ')).length, 2, 'both connections are in it');
  });

  test('/save hands the whole transcript to the host and says where it went', async () => {
    const { host, type } = await startConsole();
    await type('EHLO c.example.com\r', '/save\r');
    assert.equal(host.saved.length, 1);
    const transcript = host.saved[0];
    assert.match(transcript.header.target ?? '', /^127\.0\.0\.1:\d+$/);
    assert.ok(transcript.events.some((event) => event.kind === 'received' && event.text.startsWith('250-mail.corp.example')));
    assert.match(host.screen, /Transcript saved: transcripts\/session\.smtp-transcript/);
  });

  test('/status reports the connection, the local domains and what EHLO advertised', async () => {
    const { host, type } = await startConsole();
    await type('EHLO c.example.com\r', '/status\r');
    assert.match(host.screen, /connection:\s+connected, no TLS/);
    assert.match(host.screen, /local domains: corp\.example\r\n/);
    assert.match(host.screen, /advertised:\s+PIPELINING, AUTH PLAIN LOGIN, ENHANCEDSTATUSCODES/);
  });

  test('local domains are inferred from the greeting and EHLO when the target names none', async () => {
    const { host, type } = await startConsole(undefined, { target: { localDomains: [] } });
    await type('EHLO c.example.com\r', 'MAIL FROM:<>\r', 'RCPT TO:<postmaster@corp.example>\r', '/status\r');
    assert.match(host.screen, /250 2\.1\.5 Ok\r\n\s+\[(acceptance|ok) 2\.1\.5\]/, 'corp.example, the parent of mail.corp.example, is local: no relay');
    assert.match(host.screen, /local domains: mail\.corp\.example, corp\.example \(inferred/);
  });

  test('/rset sends RSET visibly, as if it had been typed', async () => {
    const { host, server, type } = await startConsole();
    await type('/rset\r');
    assert.deepEqual(server.peers[0].received, ['RSET']);
    assert.match(host.screen, /\/rset\r\nRSET\r\n250 2\.0\.0 Ok/);
  });

  test('an unknown meta-command is explained and nothing is sent', async () => {
    const { host, server, type } = await startConsole();
    await type('/frobnicate\r');
    assert.match(host.screen, /unknown command \/frobnicate: \/help lists the commands/);
    assert.deepEqual(server.peers[0].received, []);
  });

  test('/quit sends QUIT and asks the host to close the terminal with exit code 0', async () => {
    const { host, server, type } = await startConsole();
    await type('/quit\r');
    assert.deepEqual(server.peers[0].received, ['QUIT']);
    assert.equal(host.exitCode, 0);
  });

  test('/test runs the selected relay tests in this session and shows every command, reply and outcome', async () => {
    const definition: RelayTestDefinition = {
      id: 'kb1',
      group: 'kb',
      title: 'Relay test 1: remote sender to remote recipient',
      probes: 'the standard relay',
      closedServerAnswers: 'rejects at RCPT',
      closedServerAccepts: false,
      build: () => ({ mailFrom: '<user@example.org>', rcptTo: '<relay-test@example.net>' }),
    };
    const relayTests: SessionRelayTests = {
      tests: [definition],
      groups: ['kb'],
      select: (selectors) => ({
        tests: selectors.includes('kb1') || selectors.includes('kb') ? [definition] : [],
        unknown: selectors.filter((selector) => selector !== 'kb1' && selector !== 'kb'),
      }),
      async run(session, test, parameters): Promise<RelayTestResult> {
        const addresses = test.build(parameters);
        // As the runner does: the test's start is an info event of the session, shown and recorded.
        session.note(testStartNote(test));
        await session.command('RSET');
        await session.command(`MAIL FROM:${addresses.mailFrom}`);
        const reply = await session.command(`RCPT TO:${addresses.rcptTo}`);
        return {
          id: test.id,
          title: test.title,
          group: test.group,
          mailFrom: addresses.mailFrom,
          rcptTo: addresses.rcptTo,
          outcome: reply.code >= 500 ? 'passed' : 'failed',
          reason: `RCPT answered ${reply.code}`,
          replies: [],
          durationMs: 0,
        };
      },
    };
    const { host, server, type } = await startConsole(undefined, { relayTests });
    await type('/test kb7\r');
    assert.match(host.screen, /no relay test called kb7/);
    await type('/test kb1\r');
    assert.deepEqual(server.peers[0].received, [
      'EHLO smtp-relay-lab.example.com',
      'RSET',
      'MAIL FROM:<user@example.org>',
      'RCPT TO:<relay-test@example.net>',
    ]);
    assert.match(
      host.screen,
      /=== test kb1: Relay test 1[^\n]*\r\nRSET\r\n250 2\.0\.0 Ok[\s\S]*RCPT TO:<relay-test@example\.net>\r\n554 5\.7\.1[^\n]*\r\n\s+\[rejection 5\.7\.1: relay denied\][^\n]*\r\nkb1 PASSED: RCPT answered 554/,
    );
  });

  test('/test kb against an Exchange-like practice server: tests 6 and 7 are NDR-pending, not relayed, and the verdict is closed', async () => {
    const practice = await startPracticeServer({ persona: 'exchange' });
    const { host, type } = await startConsoleAt(
      practice.host,
      practice.port,
      { localDomains: practice.localDomains, localUser: practice.localUsers[0] },
      { relayTests: new CatalogueRelayTests({ confirmByDelivery: () => false }) },
      () => practice.close(),
    );
    await type('/test kb\r');
    const screen = host.screen;
    for (const id of ['control', 'kb1', 'kb2', 'kb3', 'kb4', 'kb5']) {
      assert.match(screen, new RegExp(`\\r\\n${id} PASSED: `), `${id} passed`);
    }
    assert.match(screen, /\r\nkb6 NEEDS CONFIRMATION: NDR-pending/);
    assert.match(screen, /\r\nkb7 NEEDS CONFIRMATION: NDR-pending/);
    assert.match(screen, /RCPT TO:<relay-test%example\.net@corp\.example>|RCPT TO:<relay-test%example\.net>/);
    assert.match(screen, /verdict: CLOSED/);
    assert.equal(practice.outbox.messages.length, 0, 'no DATA was sent, so nothing was queued');
  });
});

describe('session console: /test sends DATA only after the modal said yes', () => {
  async function exchangeConsole(consentToData: () => Promise<boolean>) {
    const practice = await startPracticeServer({ persona: 'exchange' });
    const started = await startConsoleAt(
      practice.host,
      practice.port,
      { localDomains: practice.localDomains, localUser: practice.localUsers[0] },
      { relayTests: new CatalogueRelayTests({ confirmByDelivery: () => true, consentToData }) },
      () => practice.close(),
    );
    return { practice, ...started };
  }

  test('relay.confirmByDelivery on, the modal declined: the run says so and sends no DATA', async () => {
    let asked = 0;
    const { practice, host, type } = await exchangeConsole(async () => {
      asked += 1;
      return false;
    });
    await type('/test kb6 kb7\r');
    assert.equal(asked, 1, 'asked once for the whole /test run');
    assert.match(host.screen, /sending DATA was not confirmed: this run sends no DATA/);
    assert.doesNotMatch(host.screen, /\r\nDATA\r\n/);
    assert.match(host.screen, /kb6 NEEDS CONFIRMATION: NDR-pending/);
    assert.equal(practice.outbox.messages.length, 0, 'nothing was queued, so no DATA was sent');
  });

  test('relay.confirmByDelivery on, the modal accepted: kb6 sends DATA and the server queues its NDR', async () => {
    let asked = 0;
    const { practice, host, type } = await exchangeConsole(async () => {
      asked += 1;
      return true;
    });
    await type('/test kb6\r');
    assert.equal(asked, 1);
    assert.doesNotMatch(host.screen, /was not confirmed/);
    assert.match(host.screen, /\r\nDATA\r\n354 /);
    assert.ok(practice.outbox.messages.length > 0, 'the message sent with DATA reached the server (its NDR is in the outbox)');
  });
});

describe("session console: the terminal's relay verdict", () => {
  test('kb1..kb7 run one at a time (the walkthrough buttons) add up to one closed verdict over all seven, handed to the host', async () => {
    const practice = await startPracticeServer({ persona: 'exchange' });
    const { host, console } = await startConsoleAt(
      practice.host,
      practice.port,
      { localDomains: practice.localDomains, localUser: practice.localUsers[0] },
      { relayTests: new CatalogueRelayTests({ confirmByDelivery: () => false }) },
      () => practice.close(),
    );
    const kbIds = ['kb1', 'kb2', 'kb3', 'kb4', 'kb5', 'kb6', 'kb7'];
    for (const id of kbIds) {
      await console.runTests([id]);
    }
    assert.equal(host.reports.length, 7, 'one report per /test run');
    assert.deepEqual(host.reports[0]!.tests.map((test) => test.id), ['kb1']);
    const report = host.reports.at(-1)!;
    assert.deepEqual(report.tests.map((test) => test.id), kbIds);
    assert.equal(report.verdict, 'closed');
    assert.deepEqual(report.target, { host: practice.host, port: practice.port });
    assert.ok(report.transcript.some((event) => event.kind === 'sent' && event.text === 'RCPT TO:<relay-test%example.net>'));
    assert.match(host.screen, /verdict of the 7 tests run in this terminal so far: CLOSED/);

    await console.runTests(['control']);
    const withControl = host.reports.at(-1)!;
    assert.deepEqual(withControl.tests.map((test) => test.id), ['control', ...kbIds], 'the control joins them, listed first');
    assert.equal(withControl.verdict, 'closed');
  });

  test('a test stopped with Ctrl+C is not counted: the host gets no report for it', async () => {
    let noopArrived!: () => void;
    const noopSeen = new Promise<void>((resolve) => (noopArrived = resolve));
    const refused: RelayTestDefinition = {
      id: 'kb1',
      group: 'kb',
      title: 'refused at RCPT',
      probes: 'relay',
      closedServerAnswers: 'rejects at RCPT',
      closedServerAccepts: false,
      build: () => ({ mailFrom: '<user@example.org>', rcptTo: '<relay-test@example.net>' }),
    };
    const hanging: RelayTestDefinition = { ...refused, id: 'kb2', title: 'never answered' };
    const relayTests: SessionRelayTests = {
      tests: [refused, hanging],
      groups: [],
      select: (selectors) => ({ tests: [refused, hanging].filter((test) => selectors.includes(test.id)), unknown: [] }),
      async run(session, test): Promise<RelayTestResult> {
        const outcome = { id: test.id, title: test.title, group: test.group, mailFrom: '', rcptTo: '', replies: [], durationMs: 1 };
        try {
          const reply = await session.command(test === hanging ? 'NOOP' : 'RCPT TO:<relay-test@example.net>');
          return { ...outcome, outcome: reply.code >= 500 ? 'passed' : 'failed', reason: `${reply.code}` };
        } catch {
          // As the real runner does: an interrupted test is an error result, not a rejection.
          return { ...outcome, outcome: 'error', reason: 'Interrupted' };
        }
      },
    };
    const { host, console, type } = await startConsole(
      async (peer) => {
        await peer.send('220 mail.corp.example ESMTP\r\n');
        await peer.converse([
          [/^EHLO /i, '250 mail.corp.example\r\n'],
          [/^RCPT TO:/i, '554 5.7.1 Relay access denied\r\n'],
          [/^NOOP/i, () => noopArrived()],
        ]);
      },
      { relayTests },
    );
    await type('/test kb1\r');
    assert.equal(host.reports.length, 1);
    console.handleInput('/test kb2\r');
    await noopSeen;
    await type('\x03');
    assert.match(host.screen, /kb2 ERROR: Interrupted/);
    assert.equal(host.reports.length, 1, 'no report for the interrupted run');
    assert.deepEqual(host.reports[0]!.tests.map((test) => test.id), ['kb1']);
  });
});

/** A console on a practice server of the given persona, with the catalogue's relay tests. */
async function startPracticeConsole(persona: 'trusted-network' | 'postfix', target: Partial<Target> = {}) {
  const practice = await startPracticeServer({ persona });
  const harness = await startConsoleAt(
    practice.host,
    practice.port,
    { localDomains: practice.localDomains, localUser: practice.localUsers[0], ...target },
    { relayTests: new CatalogueRelayTests({ confirmByDelivery: () => false }) },
    () => practice.close(),
  );
  return { ...harness, practice };
}

describe('session console: /xclient and the target\'s asClient (XCLIENT, issue 10 §2)', () => {
  test('/xclient 203.0.113.9 on the trusted-network persona: XCLIENT, the new 220, EHLO again; /test then runs as that client and reads closed', async () => {
    const { host, type, practice } = await startPracticeConsole('trusted-network');
    await type('/test kb1\r');
    assert.match(host.screen, /\r\nkb1 FAILED: /, 'from loopback the trusted network relays');
    assert.equal(host.reports.at(-1)!.verdict, 'open');

    await type('/xclient 203.0.113.9\r');
    const afterXclient = host.screen;
    assert.match(afterXclient, /XCLIENT ADDR=203\.0\.113\.9 NAME=\[UNAVAILABLE\]\r\n220 mail\.corp\.example ESMTP Postfix/);
    assert.match(afterXclient, /=== The server now judges this session as client 203\.0\.113\.9 \(XCLIENT\): \/test runs as that client\./);
    const sent = practice.log.commands();
    assert.deepEqual(sent.slice(sent.indexOf('XCLIENT ADDR=203.0.113.9 NAME=[UNAVAILABLE]')).slice(0, 2), [
      'XCLIENT ADDR=203.0.113.9 NAME=[UNAVAILABLE]',
      'EHLO smtp-relay-lab.example.com',
    ]);

    await type('/test kb1\r');
    const screen = host.screen.slice(afterXclient.length);
    assert.match(screen, /The results so far were for this connection's own address; counting afresh for client 203\.0\.113\.9 \(XCLIENT\)\./);
    assert.match(screen, /554 5\.7\.1 <relay-test@example\.net>: Relay access denied/);
    assert.match(screen, /\r\nkb1 PASSED: /);
    const report = host.reports.at(-1)!;
    assert.equal(report.verdict, 'closed');
    assert.deepEqual(report.tests.map((test) => test.id), ['kb1'], 'the loopback result is not mixed into the outside client\'s verdict');
    assert.deepEqual(report.target, { host: practice.host, port: practice.port, asClient: '203.0.113.9' });

    await type('/status\r');
    assert.match(host.screen, /client: +judged as 203\.0\.113\.9 \(XCLIENT\)/);
  });

  test('a server that does not offer XCLIENT: the error names XCLIENT and smtpd_authorized_xclient_hosts, nothing is sent, the session goes on', async () => {
    const { host, type, practice } = await startPracticeConsole('postfix');
    await type('EHLO client.example.org\r', '/xclient 203.0.113.9\r');
    assert.match(host.screen, /\*\*\* the server does not offer XCLIENT, so it cannot be tested as client 203\.0\.113\.9 \(Postfix offers XCLIENT only to clients listed in smtpd_authorized_xclient_hosts\)/);
    assert.match(host.screen, /=== This session goes on as this machine's own address\./);
    assert.ok(!practice.log.commands().some((line) => line.startsWith('XCLIENT')));
    await type('/rset\r', '/test kb1\r');
    assert.match(host.screen, /RSET\r\n250 2\.0\.0 Ok/);
    assert.match(host.screen, /\r\nkb1 PASSED: /, 'the session is still usable, as its own address');
    assert.equal(host.reports.at(-1)!.target.asClient, undefined);
  });

  test('XCLIENT refused (550 5.7.0): the refusal is quoted with the hint, and the session goes on', async () => {
    const { host, type, server } = await startConsole(async (peer) => {
      await peer.send('220 mail.corp.example ESMTP Postfix\r\n');
      await peer.converse([
        [/^EHLO /i, '250-mail.corp.example\r\n250-XCLIENT NAME ADDR PROTO HELO\r\n250 ENHANCEDSTATUSCODES\r\n'],
        [/^XCLIENT /i, '550 5.7.0 Error: insufficient authorization\r\n'],
        [/^RSET/i, '250 2.0.0 Ok\r\n'],
      ]);
    });
    await type('/xclient 2001:db8::9\r');
    assert.match(host.screen, /XCLIENT ADDR=IPV6:2001:db8::9 NAME=\[UNAVAILABLE\]\r\n550 5\.7\.0 Error: insufficient authorization/);
    assert.match(host.screen, /\*\*\* the server refused XCLIENT ADDR=IPV6:2001:db8::9: 550 5\.7\.0 Error: insufficient authorization \(Postfix offers XCLIENT only to clients listed in smtpd_authorized_xclient_hosts/);
    await type('/rset\r');
    assert.match(host.screen, /RSET\r\n250 2\.0\.0 Ok/);
    assert.deepEqual(server.peers.at(-1)!.received.slice(0, 3), ['EHLO smtp-relay-lab.example.com', 'XCLIENT ADDR=IPV6:2001:db8::9 NAME=[UNAVAILABLE]', 'RSET']);
  });

  test('a target with asClient: each connection sends EHLO and XCLIENT at once, and /reconnect does it again', async () => {
    const { host, type, practice } = await startPracticeConsole('trusted-network', { asClient: '203.0.113.9' });
    assert.match(host.screen, /=== This terminal acts as client 203\.0\.113\.9: EHLO, then XCLIENT ADDR=203\.0\.113\.9\./);
    assert.match(host.screen, /=== The server now judges this session as client 203\.0\.113\.9 \(XCLIENT\)/);
    await type('/test kb1\r');
    assert.match(host.screen, /\r\nkb1 PASSED: /);
    await type('/reconnect\r', '/test kb6\r');
    assert.match(host.screen, /\r\nkb6 PASSED: /);
    assert.equal(practice.log.commands().filter((line) => line === 'XCLIENT ADDR=203.0.113.9 NAME=[UNAVAILABLE]').length, 2);
    const report = host.reports.at(-1)!;
    assert.deepEqual(report.tests.map((test) => test.id), ['kb1', 'kb6']);
    assert.equal(report.verdict, 'closed');
  });

  test('a target with asClient on a server without XCLIENT: /test refuses to run as this machine, naming XCLIENT', async () => {
    const { host, type, practice } = await startPracticeConsole('postfix', { asClient: '203.0.113.9' });
    assert.match(host.screen, /\*\*\* the server does not offer XCLIENT/);
    await type('/test kb1\r');
    assert.match(host.screen, /\*\*\* this terminal should act as client 203\.0\.113\.9, but the server did not accept XCLIENT on this connection[^\n]*smtpd_authorized_xclient_hosts/);
    assert.ok(!practice.log.commands().some((line) => line.startsWith('MAIL')), 'no test was sent');
    assert.equal(host.reports.length, 0);
  });

  test('a target whose asClient is not an IP: a clear error, and nothing connects', async () => {
    const { host, practice } = await startPracticeConsole('trusted-network', { asClient: 'mail.example.com\u001b[2J' });
    assert.match(host.screen, /\*\*\* the target's asClient "mail\.example\.com\?\[2J" is not an IP address: XCLIENT tests as an IPv4 or IPv6 address/);
    assert.deepEqual(practice.log.connectionIds(), [], 'the server saw no connection');
    assert.deepEqual(host.connections.at(-1), { kind: 'closed', reason: 'asClient is not an IP address' });
  });
});
