// Issue 10 §2, the editor's session terminal against a REAL Postfix: /xclient ADDR and a target's asClient
// go through core's becomeClient (the CLI's --as-client code). The terminal's logic is SessionConsole,
// free of vscode, so it runs here in node. Postfix trusts loopback (mynetworks) and authorises it for
// XCLIENT: from loopback kb1 relays; as 203.0.113.9 the same session is refused. A Postfix that does not
// authorise XCLIENT gets a clear error and the session goes on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyReply } from '../../src/core/relay/classifyReply';
import type { RelayReport } from '../../src/core/relay/relayTypes';
import type { Transcript } from '../../src/core/transcript/transcriptEvent';
import { newTarget, sessionOptionsFor, type Target } from '../../src/extension/target';
import { CatalogueRelayTests } from '../../src/extension/terminal/catalogueRelayTests';
import { SessionConsole, type ConsoleConnection, type SessionConsoleHost } from '../../src/extension/terminal/sessionConsole';
import { startPostfix, type PostfixInstance } from '../support/postfix';

/** What the terminal shows, without colours; the reports it hands to the window. */
class ScreenHost implements SessionConsoleHost {
  output = '';
  reports: RelayReport[] = [];
  connections: ConsoleConnection[] = [];
  get screen(): string {
    return this.output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  }
  write(output: string): void {
    this.output += output;
  }
  connectionChanged(connection: ConsoleConnection): void {
    this.connections.push(connection);
  }
  readonly authPrompts = { askForUsername: async () => undefined, passwordFor: async () => undefined };
  async saveTranscript(_transcript: Transcript): Promise<string | undefined> {
    return undefined;
  }
  relayReportChanged(report: RelayReport): void {
    this.reports.push(report);
  }
  exit(): void {}
}

const consoles: SessionConsole[] = [];

async function openConsole(postfix: PostfixInstance, fields: Partial<Target> = {}) {
  const target: Target = { ...newTarget(postfix.host, postfix.port, 'none'), localDomains: [postfix.localDomain], localUser: 'postmaster', ...fields };
  const host = new ScreenHost();
  const console = new SessionConsole(
    {
      target,
      sessionOptions: sessionOptionsFor(target),
      classify: classifyReply,
      relayTests: new CatalogueRelayTests({ confirmByDelivery: () => false }),
      addressForm: 'bracketed',
      remoteUser: 'relay-test',
    },
    host,
  );
  consoles.push(console);
  console.start();
  await console.whenIdle();
  const type = async (line: string) => {
    console.handleInput(`${line}\r`);
    await console.whenIdle();
  };
  return { host, console, type };
}

after(() => consoles.forEach((console) => console.dispose()));

describe('session terminal: /xclient against a Postfix that trusts loopback and authorises it for XCLIENT', () => {
  let postfix: PostfixInstance;
  before(async () => {
    postfix = await startPostfix({ mode: 'open', extraMainCf: { smtpd_authorized_xclient_hosts: '127.0.0.0/8' } });
  });
  after(() => postfix?.stop());

  test('kb1 relays from loopback; after /xclient 203.0.113.9 the same session is refused Relay access denied, and the verdict is closed', async () => {
    const { host, type } = await openConsole(postfix);
    await type('/test kb1');
    assert.match(host.screen, /\r\nkb1 FAILED: /, 'loopback is in mynetworks');

    await type('/xclient 203.0.113.9');
    const afterXclient = host.screen;
    assert.match(afterXclient, /XCLIENT ADDR=203\.0\.113\.9 NAME=\[UNAVAILABLE\]\r\n220 /);
    assert.match(afterXclient, /=== The server now judges this session as client 203\.0\.113\.9 \(XCLIENT\): \/test runs as that client\./);

    await type('/test kb1 kb6');
    const tested = host.screen.slice(afterXclient.length);
    assert.match(tested, /RCPT TO:<relay-test@example\.net>\r\n(454|554) [^\r]*Relay access denied/);
    assert.match(tested, /\r\nkb1 PASSED: /);
    assert.match(tested, /\r\nkb6 PASSED: /);
    const report = host.reports.at(-1)!;
    assert.deepEqual(report.target, { host: postfix.host, port: postfix.port, asClient: '203.0.113.9' });
    assert.deepEqual(report.tests.map((result) => result.id), ['kb1', 'kb6']);
    assert.equal(report.verdict, 'closed');
    const log = await postfix.maillog();
    assert.match(log, /203\.0\.113\.9/, 'Postfix logged the simulated client');
  });

  test('a target with asClient: the terminal sends XCLIENT on connecting, and /test kb reads closed', async () => {
    const { host, type } = await openConsole(postfix, { asClient: '203.0.113.9' });
    assert.match(host.screen, /=== The server now judges this session as client 203\.0\.113\.9 \(XCLIENT\)/);
    await type('/test kb');
    assert.match(host.screen, /verdict: CLOSED/);
    assert.equal(host.reports.at(-1)!.verdict, 'closed');
  });
});

describe('session terminal: /xclient against a Postfix that does not authorise XCLIENT', () => {
  let postfix: PostfixInstance;
  before(async () => {
    postfix = await startPostfix({ mode: 'closed' });
  });
  after(() => postfix?.stop());

  test('the error names XCLIENT and smtpd_authorized_xclient_hosts, no XCLIENT is sent, and the session goes on', async () => {
    const { host, type } = await openConsole(postfix);
    await type('EHLO client.example.org');
    await type('/xclient 203.0.113.9');
    assert.match(host.screen, /\*\*\* the server does not offer XCLIENT, so it cannot be tested as client 203\.0\.113\.9 \(Postfix offers XCLIENT only to clients listed in smtpd_authorized_xclient_hosts\)/);
    assert.doesNotMatch(host.screen, /\r\nXCLIENT /);
    await type('/rset');
    assert.match(host.screen.slice(host.screen.lastIndexOf('/rset')), /RSET\r\n250 2\.0\.0 Ok/);
  });

  test('typed by hand anyway, XCLIENT is refused by Postfix; on a target with asClient, /test refuses to run as this machine', async () => {
    const { host, type } = await openConsole(postfix, { asClient: '203.0.113.9' });
    assert.match(host.screen, /\*\*\* the server does not offer XCLIENT/);
    await type('XCLIENT ADDR=203.0.113.9');
    assert.match(host.screen, /XCLIENT ADDR=203\.0\.113\.9\r\n5\d\d /);
    await type('/test kb1');
    assert.match(host.screen, /\*\*\* this terminal should act as client 203\.0\.113\.9, but the server did not accept XCLIENT/);
    assert.equal(host.reports.length, 0);
    assert.doesNotMatch(await postfix.maillog(), /RCPT/);
  });
});
