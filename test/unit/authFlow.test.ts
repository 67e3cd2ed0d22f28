/**
 * One AUTH flow for every face (core/authFlow.ts): the session terminal's /auth and a .smtp file's
 * `AUTH PLAIN` / `AUTH LOGIN` alone both run these steps, so what is checked here holds for both.
 * Against the practice server, with and without an account.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticateWithPrompts, type AuthMechanism, type AuthPrompts } from '../../src/core/protocol/authFlow';
import { SmtpSession } from '../../src/core/protocol/session';
import { startPracticeServer, type PracticeServer } from '../../src/lab/practiceServer';

const username = 'alice';
const secret = 'Tr0ub4dor&3-correct-horse';

describe('the AUTH flow shared by the terminal and .smtp files', () => {
  const servers: PracticeServer[] = [];
  const sessions: SmtpSession[] = [];
  after(async () => {
    sessions.forEach((session) => session.close());
    await Promise.all(servers.map((server) => server.close()));
  });

  async function greetedSession(auth: boolean): Promise<SmtpSession> {
    const server = await startPracticeServer({ persona: 'exchange', ...(auth ? { auth: { username, password: secret } } : {}) });
    servers.push(server);
    const session = new SmtpSession({ host: server.host, port: server.port, tls: 'none', timeouts: { replyMs: 5000, greetingMs: 5000 } });
    sessions.push(session);
    await session.connect();
    await session.ehlo('client.example.com');
    return session;
  }

  function prompts(answers: { user?: string; password?: string }): { prompts: AuthPrompts; asked: string[] } {
    const asked: string[] = [];
    return {
      asked,
      prompts: {
        askForUsername: async (mechanism: AuthMechanism) => {
          asked.push(`user for ${mechanism}`);
          return answers.user;
        },
        passwordFor: async (who: string, mechanism: AuthMechanism) => {
          asked.push(`password of ${who} for ${mechanism}`);
          return answers.password;
        },
      },
    };
  }

  for (const mechanism of ['PLAIN', 'LOGIN'] as const) {
    test(`AUTH ${mechanism}: asks for the user when none is known, then the password, warns of clear text, and logs in`, async () => {
      const session = await greetedSession(true);
      const { prompts: asking, asked } = prompts({ user: username, password: secret });
      const notices: string[] = [];
      const result = await authenticateWithPrompts(session, { mechanism, prompts: asking, notice: (text) => notices.push(text), startTlsHint: '/starttls' });
      assert.equal(result.kind, 'replied');
      assert.equal(result.kind === 'replied' && result.reply.code, 235);
      assert.deepEqual(asked, [`user for ${mechanism}`, `password of ${username} for ${mechanism}`]);
      assert.deepEqual(notices, ['no TLS: this password crosses the network in clear text (base64 is not encryption)']);
    });
  }

  test('a user name the face already knows is not asked for', async () => {
    const session = await greetedSession(true);
    const { prompts: asking, asked } = prompts({ password: secret });
    const result = await authenticateWithPrompts(session, { mechanism: 'LOGIN', username, prompts: asking, notice: () => undefined, startTlsHint: '/starttls' });
    assert.equal(result.kind === 'replied' && result.reply.code, 235);
    assert.deepEqual(asked, [`password of ${username} for LOGIN`]);
  });

  test('no user name, or no password: cancelled, and nothing is sent', async () => {
    const session = await greetedSession(true);
    const sentBefore = session.transcript.filter((event) => event.kind === 'sent').length;
    const noUser = await authenticateWithPrompts(session, { mechanism: 'PLAIN', prompts: prompts({}).prompts, notice: () => undefined, startTlsHint: '/starttls' });
    assert.deepEqual(noUser, { kind: 'cancelled', missing: 'user name' });
    const noPassword = await authenticateWithPrompts(session, { mechanism: 'PLAIN', username, prompts: prompts({}).prompts, notice: () => undefined, startTlsHint: '/starttls' });
    assert.deepEqual(noPassword, { kind: 'cancelled', missing: 'password' });
    assert.equal(session.transcript.filter((event) => event.kind === 'sent').length, sentBefore);
  });

  test('the connection closed while the password was asked for: nothing is sent', async () => {
    const session = await greetedSession(true);
    const closing: AuthPrompts = {
      askForUsername: async () => username,
      passwordFor: async () => {
        session.close();
        return secret;
      },
    };
    const result = await authenticateWithPrompts(session, { mechanism: 'PLAIN', prompts: closing, notice: () => undefined, startTlsHint: '/starttls' });
    assert.deepEqual(result, { kind: 'closed' });
    assert.equal(session.transcript.some((event) => event.kind === 'sent' && event.text.startsWith('AUTH')), false);
  });

  test('a server that advertised no AUTH: says so, names how this face starts TLS, and tries anyway', async () => {
    const session = await greetedSession(false);
    const notices: string[] = [];
    await authenticateWithPrompts(session, {
      mechanism: 'PLAIN',
      username,
      prompts: prompts({ password: secret }).prompts,
      notice: (text) => notices.push(text),
      startTlsHint: '# @tls starttls',
    });
    assert.equal(notices[0], 'the server advertised no AUTH (many offer it only inside TLS: # @tls starttls); trying anyway');
    assert.ok(session.transcript.some((event) => event.kind === 'sent' && event.text === 'AUTH PLAIN <redacted>'));
  });
});
