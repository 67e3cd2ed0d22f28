/**
 * AUTH in .smtp files: `AUTH PLAIN` / `AUTH LOGIN` alone logs in as `# @user` with a password that is never
 * in the file; an exchange written out by hand still works, is redacted in the transcript and in the results,
 * and is marked with an Information diagnostic. Against the practice server with an account.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError } from '../../src/core/protocol/errors';
import { writeTranscript } from '../../src/core/transcript/transcriptFormat';
import type { TranscriptEvent } from '../../src/core/transcript/transcriptEvent';
import { startPracticeServer, type PracticeServer } from '../../src/lab/practiceServer';
import { diagnosticCodes } from '../../src/extension/ids';
import type { AuthMechanism, AuthPrompts } from '../../src/core/protocol/authFlow';
import { SmtpFileConversation } from '../../src/core/smtpFile/smtpFileConversation';
import { parseSmtpDocument, problemsStoppingBlock, type SmtpDocument } from '../../src/core/smtpFile/smtpDocument';
import { targetOfFile } from '../../src/core/smtpFile/smtpFileTarget';
import { newTarget } from '../../src/core/relay/target';
import { everyTranscriptText } from '../support/transcriptBytes';

const username = 'alice';
const secret = 'Tr0ub4dor&3-correct-horse';
const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const plainBlob = base64(`\0${username}\0${secret}`);

/** Lines joined with LF, so a test reads like the file it parses. */
function file(...lines: string[]): string {
  return lines.join('\n');
}

function stepsOf(document: SmtpDocument, index = 0) {
  return document.blocks[index].steps.map((step) => ({
    kind: step.kind,
    text: step.text,
    ...(step.kind === 'auth' ? { mechanism: step.mechanism } : {}),
    ...(step.kind === 'command' && step.answersAuthChallenge ? { answersAuthChallenge: true } : {}),
  }));
}

function assertNoSecretIn(events: readonly TranscriptEvent[]): void {
  const saved = writeTranscript({ header: { tool: 'test', startedAt: 0 }, events: [...events] });
  for (const text of [...everyTranscriptText(events), saved]) {
    for (const form of [secret, base64(secret), plainBlob]) {
      assert.equal(text.includes(form), false, `${JSON.stringify(form)} is in ${JSON.stringify(text)}`);
    }
  }
}

describe('AUTH written in a .smtp file', () => {
  test('AUTH PLAIN or AUTH LOGIN alone on its line is the safe form, and no diagnostic', () => {
    const document = parseSmtpDocument(file('# @user alice', '### login', 'EHLO client.example.org', 'AUTH PLAIN', '### again', 'auth login'));
    assert.equal(document.directives.user, 'alice');
    assert.deepEqual(stepsOf(document, 0), [
      { kind: 'command', text: 'EHLO client.example.org' },
      { kind: 'auth', text: 'AUTH PLAIN', mechanism: 'PLAIN' },
    ]);
    assert.deepEqual(stepsOf(document, 1), [{ kind: 'auth', text: 'auth login', mechanism: 'LOGIN' }]);
    assert.deepEqual(document.problems, []);
  });

  test('AUTH PLAIN with an initial response is sent as written, with an Information on the credential', () => {
    const document = parseSmtpDocument(file('### login', `AUTH PLAIN  ${plainBlob}`));
    assert.deepEqual(stepsOf(document), [{ kind: 'command', text: `AUTH PLAIN  ${plainBlob}` }]);
    const [problem] = document.problems;
    assert.equal(problem.code, diagnosticCodes.credentialInFile);
    assert.equal(problem.severity, 'information');
    assert.equal(file(...[`AUTH PLAIN  ${plainBlob}`]).slice(problem.startColumn, problem.endColumn), plainBlob);
    assert.match(problem.message, /Write "AUTH PLAIN" or "AUTH LOGIN" alone on its line, with "# @user name"/);
    assert.deepEqual(problemsStoppingBlock(document, document.blocks[0]), [], 'an Information does not stop the block');
  });

  test('the lines answering a written-out exchange are marked, and each credential among them noted', () => {
    const document = parseSmtpDocument(
      file('### login', 'AUTH LOGIN', `  ${base64(username)}`, base64(secret), 'MAIL FROM:<alice@corp.example>', '### cancel', 'AUTH CRAM-MD5', '*'),
    );
    assert.deepEqual(stepsOf(document, 0), [
      { kind: 'command', text: 'AUTH LOGIN' },
      { kind: 'command', text: base64(username), answersAuthChallenge: true },
      { kind: 'command', text: base64(secret), answersAuthChallenge: true },
      { kind: 'command', text: 'MAIL FROM:<alice@corp.example>' },
    ]);
    assert.deepEqual(stepsOf(document, 1), [
      { kind: 'command', text: 'AUTH CRAM-MD5' },
      { kind: 'command', text: '*', answersAuthChallenge: true },
    ]);
    assert.deepEqual(
      document.problems.map((problem) => [problem.line, problem.startColumn, problem.endColumn, problem.code]),
      [
        [2, 2, 2 + base64(username).length, 'credential-in-file'],
        [3, 0, base64(secret).length, 'credential-in-file'],
      ],
      'the "*" that cancels is no credential',
    );
  });

  test('a command after the safe form is a command, even one that looks like base64', () => {
    const document = parseSmtpDocument(file('### login', 'AUTH PLAIN', 'NOOP', 'RSET', 'QUIT'));
    assert.deepEqual(stepsOf(document), [
      { kind: 'auth', text: 'AUTH PLAIN', mechanism: 'PLAIN' },
      { kind: 'command', text: 'NOOP' },
      { kind: 'command', text: 'RSET' },
      { kind: 'command', text: 'QUIT' },
    ]);
  });

  test('# @user needs a value', () => {
    const document = parseSmtpDocument(file('# @user', '### one', 'NOOP'));
    assert.equal(document.directives.user, undefined);
    assert.deepEqual(document.problems.map((problem) => [problem.code, problem.message]), [['invalid-directive', '@user needs a value']]);
  });
});

describe('a .smtp file authenticating with the practice server', () => {
  let lab: PracticeServer;
  let closed: PracticeServer;
  const conversations: SmtpFileConversation[] = [];

  before(async () => {
    lab = await startPracticeServer({ persona: 'exchange', auth: { username, password: secret } });
    closed = await startPracticeServer({ persona: 'exchange' });
  });

  after(async () => {
    conversations.forEach((conversation) => conversation.close());
    await lab.close();
    await closed.close();
  });

  /** A face that answers from memory and remembers what it was asked. */
  function credentials(answers: { password?: string; user?: string } = { password: secret, user: username }) {
    const { password, user } = answers;
    const asked: string[] = [];
    const source: AuthPrompts = {
      askForUsername: async (mechanism: AuthMechanism) => {
        asked.push(`user for ${mechanism}`);
        return user;
      },
      passwordFor: async (who: string, mechanism: AuthMechanism) => {
        asked.push(`password of ${who} for ${mechanism}`);
        return password;
      },
    };
    return { source, asked };
  }

  function conversationFor(server: PracticeServer, document: SmtpDocument, source?: AuthPrompts): SmtpFileConversation {
    const target = targetOfFile(document.directives, [], newTarget(server.host, server.port, 'none'))!;
    const conversation = new SmtpFileConversation({ target, fileName: 'login.smtp', ...(source ? { credentials: source } : {}) });
    conversations.push(conversation);
    return conversation;
  }

  for (const mechanism of ['PLAIN', 'LOGIN'] as const) {
    test(`AUTH ${mechanism} alone logs in as # @user with the password from the face; the file and the transcript hold no secret`, async () => {
      const document = parseSmtpDocument(file('# @user alice', '### login', `AUTH ${mechanism}`, 'NOOP'));
      const { source, asked } = credentials();
      const conversation = conversationFor(lab, document, source);
      const result = await conversation.runBlock(document, 0);
      assert.equal(result.error, undefined);
      assert.deepEqual(result.replies.slice(2).map(({ command, reply }) => [command, reply.code]), [
        [`AUTH ${mechanism}`, 235],
        ['NOOP', 250],
      ]);
      assert.deepEqual(asked, [`password of alice for ${mechanism}`], 'the user came from # @user');
      assert.ok(lab.log.entries.some((entry) => entry.text === `AUTH ${mechanism} as alice: accepted`));
      assert.ok(conversation.events.some((event) => event.text.startsWith('no TLS: this password crosses the network in clear text')));
      assertNoSecretIn(conversation.events);
    });
  }

  test('without # @user or a target user, the face is asked for one', async () => {
    const document = parseSmtpDocument(file('### login', 'AUTH PLAIN'));
    const { source, asked } = credentials();
    const result = await conversationFor(lab, document, source).runBlock(document, 0);
    assert.equal(result.replies.at(-1)?.reply.code, 235);
    assert.deepEqual(asked, ['user for PLAIN', 'password of alice for PLAIN']);
  });

  test('cancelling the password stops the block before AUTH is sent; the connection stays for the next block', async () => {
    const document = parseSmtpDocument(file('# @user alice', '### login', 'AUTH LOGIN', 'NOOP', '### next', 'NOOP'));
    const conversation = conversationFor(lab, document, credentials({ user: username }).source);
    const stopped = await conversation.runBlock(document, 0);
    assert.ok(stopped.error instanceof CancelledError);
    assert.equal(stopped.error.message, 'AUTH LOGIN on line 3: no password');
    assert.equal(conversation.events.some((event) => event.kind === 'sent' && /^AUTH/.test(event.text)), false, 'nothing of AUTH went out');
    const next = await conversation.runBlock(document, 1);
    assert.deepEqual(next.replies.map(({ command, reply }) => [command, reply.code]), [['NOOP', 250]]);
  });

  test('a face that cannot ask (no credential source) stops the block and says why', async () => {
    const document = parseSmtpDocument(file('# @user alice', 'AUTH PLAIN'));
    const result = await conversationFor(lab, document).runBlock(document, 0);
    assert.match(result.error?.message ?? '', /^AUTH PLAIN on line 2: there is no way to ask for the password here$/);
  });

  test('an exchange written out by hand works; the results and the transcript show its credentials redacted', async () => {
    const document = parseSmtpDocument(file('### login', 'AUTH LOGIN', base64(username), base64(secret)));
    const conversation = conversationFor(lab, document, credentials().source);
    const result = await conversation.runBlock(document, 0);
    assert.deepEqual(result.replies.slice(2).map(({ command, line, reply }) => [command, line, reply.code]), [
      ['AUTH LOGIN', 1, 334],
      ['<redacted>', 2, 334],
      ['<redacted>', 3, 235],
    ]);
    assertNoSecretIn(conversation.events);
    assert.equal(JSON.stringify(result.replies).includes(base64(secret)), false, 'the replies hold no credential either');
  });

  test('the written-out initial response: the blob reaches the server, the transcript and the results say <redacted>', async () => {
    const document = parseSmtpDocument(file('### login', `AUTH PLAIN ${plainBlob}`));
    const conversation = conversationFor(lab, document);
    const result = await conversation.runBlock(document, 0);
    assert.deepEqual(result.replies.at(-1) && [result.replies.at(-1)!.command, result.replies.at(-1)!.reply.code], ['AUTH PLAIN <redacted>', 235]);
    assertNoSecretIn(conversation.events);
  });

  test('when the server refuses AUTH, the written answers are not sent as commands', async () => {
    const document = parseSmtpDocument(file('### login', 'AUTH LOGIN', base64(username), base64(secret), 'NOOP'));
    const conversation = conversationFor(closed, document);
    const result = await conversation.runBlock(document, 0);
    assert.deepEqual(result.replies.slice(2).map(({ command, reply }) => [command, reply.code >= 500]), [
      ['AUTH LOGIN', true],
      ['NOOP', false],
    ]);
    const notes = conversation.events.filter((event) => /not sent: it answers an AUTH challenge/.test(event.text));
    assert.equal(notes.length, 2);
    assert.equal(closed.log.commands().some((command) => command.includes(base64(secret))), false, 'the server never got it');
    assertNoSecretIn(conversation.events);
  });
});
