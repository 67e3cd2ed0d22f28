import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { SmtpSession } from '../../src/core/protocol/session';
import type { SessionOptions } from '../../src/core/protocol/sessionOptions';
import type { TranscriptEvent } from '../../src/core/transcript/transcriptEvent';
import { startPracticeServer, type PracticeServer } from '../../src/lab/practiceServer';
import { SmtpFileConversation, SmtpFileProblemError } from '../../src/core/smtpFile/smtpFileConversation';
import { parseSmtpDocument } from '../../src/core/smtpFile/smtpDocument';
import { runAndJudge } from '../../src/core/smtpFile/fileRun';
import { newTarget, type Target } from '../../src/core/relay/target';

/** Lines joined with LF, so a test reads like the file it sends. */
function file(...lines: string[]): string {
  return lines.join('\n');
}

function sentLines(events: readonly TranscriptEvent[]): string[] {
  return events.filter((event) => event.kind === 'sent').map((event) => event.text);
}

function connections(events: readonly TranscriptEvent[]): number {
  return events.filter((event) => event.kind === 'info' && event.text.startsWith('connected to ')).length;
}

describe('a .smtp file talking to the practice server', () => {
  let exchange: PracticeServer;
  let open: PracticeServer;
  const conversations: SmtpFileConversation[] = [];

  before(async () => {
    exchange = await startPracticeServer({ persona: 'exchange' });
    open = await startPracticeServer({ persona: 'open' });
  });

  after(async () => {
    conversations.forEach((conversation) => conversation.close());
    await exchange.close();
    await open.close();
  });

  function conversationWith(server: PracticeServer, change: Partial<Target> = {}, sessions: SmtpSession[] = []): SmtpFileConversation {
    const target = { ...newTarget(server.host, server.port, 'none'), localDomains: [...server.localDomains], ...change };
    const conversation = new SmtpFileConversation({
      target,
      fileName: 'relay.smtp',
      createSession: (options: SessionOptions) => {
        const session = new SmtpSession(options);
        sessions.push(session);
        return session;
      },
    });
    conversations.push(conversation);
    return conversation;
  }

  test('KB test 1 sent as a block on a new connection: greeting, EHLO first, then 550 5.7.1 at RCPT', async () => {
    const conversation = conversationWith(exchange);
    const document = parseSmtpDocument(
      file('### kb1', 'RSET', 'MAIL FROM:<postmaster@example.net>', 'RCPT TO:<relay-test@example.net>'),
    );
    const result = await conversation.runBlock(document, 0);
    assert.equal(result.error, undefined);
    assert.deepEqual(
      result.replies.map(({ command, line, reply }) => [command, line, reply.code]),
      [
        ['', undefined, 220],
        ['EHLO smtp-relay-lab.example.com', undefined, 250],
        ['RSET', 1, 250],
        ['MAIL FROM:<postmaster@example.net>', 2, 250],
        ['RCPT TO:<relay-test@example.net>', 3, 550],
      ],
    );
    assert.equal(result.replies.at(-1)!.reply.enhanced, '5.7.1');
    assert.match(conversation.events[0].text, /^block 1: kb1 \(line 1\)$/, 'the transcript names the block before what it sends');
  });

  test('the next block reuses the connection; after QUIT the one after reconnects', async () => {
    const sessions: SmtpSession[] = [];
    const conversation = conversationWith(exchange, {}, sessions);
    const document = parseSmtpDocument(file('### hello', 'EHLO client.example.org', '### bye', 'NOOP', 'QUIT', '### again', 'NOOP'));

    await conversation.runBlock(document, 0);
    await conversation.runBlock(document, 1);
    assert.equal(connections(conversation.events), 1);
    assert.equal(conversation.isConnected, false, 'QUIT closed the connection');

    const again = await conversation.runBlock(document, 2);
    assert.equal(connections(conversation.events), 2);
    assert.equal(sessions.length, 2);
    assert.deepEqual(again.replies.map(({ command }) => command), ['', 'EHLO smtp-relay-lab.example.com', 'NOOP']);
    assert.deepEqual(sentLines(conversation.events), [
      'EHLO client.example.org',
      'NOOP',
      'QUIT',
      'EHLO smtp-relay-lab.example.com',
      'NOOP',
    ]);
  });

  test('a block that says EHLO itself gets no extra EHLO, and its name comes from the line', async () => {
    const conversation = conversationWith(exchange);
    const result = await conversation.runBlock(parseSmtpDocument(file('NOOP', 'EHLO client.example.org')), 0);
    assert.deepEqual(result.replies.map(({ command }) => command), ['', 'NOOP', 'EHLO client.example.org']);
    assert.ok(conversation.connectionFacts.ehloReply, 'the EHLO reply is kept for {{$target.localDomain}} and friends');
  });

  test('variables and built-ins are replaced before sending: KB test 5 at the address actually connected to', async () => {
    const conversation = conversationWith(exchange);
    const document = parseSmtpDocument(
      file('@user = postmaster', '### kb5', 'MAIL FROM:<{{user}}@[{{$server.address}}]>', 'RCPT TO:<relay-test@{{$target.remoteDomain}}>'),
    );
    const result = await conversation.runBlock(document, 0);
    assert.deepEqual(result.replies.slice(2).map(({ command }) => command), [
      'MAIL FROM:<postmaster@[127.0.0.1]>',
      'RCPT TO:<relay-test@example.net>',
    ]);
  });

  test('an undefined variable refuses the block before anything connects', async () => {
    const sessions: SmtpSession[] = [];
    const conversation = conversationWith(exchange, {}, sessions);
    await assert.rejects(
      conversation.runBlock(parseSmtpDocument(file('### one', 'NOOP', 'RCPT TO:<{{nobody}}>')), 0),
      (error: unknown) => error instanceof SmtpFileProblemError && error.line === 2 && /line 3: \{\{nobody\}\} is not defined/.test(error.message),
    );
    assert.equal(sessions.length, 0);
    assert.deepEqual(conversation.events, []);
  });

  test('a setting with CR/LF cannot inject a command: the block is refused and none of its lines is sent', async () => {
    const conversation = conversationWith(exchange, { localUser: 'postmaster>\r\nRCPT TO:<victim@example.net' });
    const document = parseSmtpDocument(file('### kb2', 'RSET', 'MAIL FROM:<{{$target.localUser}}>', 'RCPT TO:<relay-test@example.net>'));
    await assert.rejects(conversation.runBlock(document, 0), (error: unknown) => error instanceof SmtpFileProblemError);
    assert.deepEqual(sentLines(conversation.events), ['EHLO smtp-relay-lab.example.com'], 'not even the RSET before it');
    assert.ok(conversation.events.some((event) => event.kind === 'error' && /holds a line break \(CR or LF\)/.test(event.text)));
  });

  test('Run file checks every block first: a problem in the last block sends nothing at all', async () => {
    const sessions: SmtpSession[] = [];
    const conversation = conversationWith(exchange, {}, sessions);
    const document = parseSmtpDocument(file('### one', 'NOOP', '### two', 'DATA', 'Subject: unfinished'));
    await assert.rejects(conversation.runBlocks(document), /line 4: DATA has no lone "\." line/);
    assert.equal(sessions.length, 0);
  });

  test('Run file sends every block in order on one connection', async () => {
    const conversation = conversationWith(exchange);
    const document = parseSmtpDocument(
      file('### greet', 'EHLO client.example.org', '### kb6', 'RSET', 'MAIL FROM:<postmaster>', 'RCPT TO:<relay-test%example.net>', '### end', 'QUIT'),
    );
    const results = await conversation.runBlocks(document);
    assert.equal(results.length, 3);
    assert.equal(connections(conversation.events), 1);
    assert.equal(results[1].replies.at(-1)!.reply.code, 250, 'Exchange accepts test 6 for local delivery');
  });

  test('each block is judged as it finishes: its @expect marks follow its replies in the transcript, before the next block is sent', async () => {
    const conversation = conversationWith(exchange);
    const document = parseSmtpDocument(
      file('### one', '# @expect 250', 'NOOP', '### two', 'RSET', '# @expect 2xx', 'MAIL FROM:<postmaster@example.net>', '# @expect 250', 'RCPT TO:<relay-test@example.net>'),
    );
    const texts = (): string[] => conversation.events.map((event) => event.text);
    const seen: { index: number; transcript: string[] }[] = [];
    const run = await runAndJudge(conversation, document, [0, 1], {}, [], (block) => seen.push({ index: block.index, transcript: texts() }));

    assert.deepEqual(seen.map((judged) => judged.index), [0, 1], 'one call per block, in order');
    const [afterOne] = seen;
    assert.ok(afterOne.transcript.some((text) => text.startsWith('@expect on line 2 held: 250')), afterOne.transcript.join('\n'));
    assert.ok(!afterOne.transcript.some((text) => text.startsWith('block 2')), 'block 2 was not sent yet when block 1 was judged');
    const all = texts();
    const heldOne = all.findIndex((text) => text.startsWith('@expect on line 2 held'));
    const startTwo = all.findIndex((text) => text.startsWith('block 2'));
    const failedTwo = all.findIndex((text) => text.startsWith('@expect on line 8 FAILED: expected 250, got 550'));
    assert.ok(heldOne >= 0 && heldOne < startTwo && startTwo < failedTwo, all.join('\n'));
    assert.equal(conversation.events[failedTwo].kind, 'error');
    assert.deepEqual(
      run.blocks.map((block) => block.expectations.map((verdict) => verdict.passed)),
      [[true], [true, false]],
    );
  });

  test('DATA sends the message written as on the wire: ".." in the file arrives as "." and is stuffed again', async () => {
    const conversation = conversationWith(open);
    const document = parseSmtpDocument(
      file(
        '### message',
        'MAIL FROM:<admin@corp.example>',
        'RCPT TO:<postmaster@corp.example>',
        'DATA',
        'Subject: {{subject}}',
        '',
        '..starts with a dot',
        '.',
        '@subject = practice',
      ),
    );
    const result = await conversation.runBlock(document, 0);
    assert.deepEqual(result.replies.slice(-2).map(({ command, reply }) => [command, reply.code]), [
      ['DATA', 354],
      ['.', 250],
    ]);
    assert.deepEqual(sentLines(conversation.events).slice(-5), ['DATA', 'Subject: practice', '', '..starts with a dot', '.']);
  });

  test('DATA refused by the server sends no message', async () => {
    const conversation = conversationWith(exchange);
    const result = await conversation.runBlock(parseSmtpDocument(file('DATA', 'Subject: x', '.')), 0);
    assert.equal(result.replies.at(-1)!.reply.code, 503);
    assert.deepEqual(sentLines(conversation.events), ['EHLO smtp-relay-lab.example.com', 'DATA']);
    assert.ok(conversation.events.some((event) => /DATA answered 503, not 354: the message was not sent/.test(event.text)));
  });

  test('closing the conversation stops a block that waits for a reply, with the reason in the transcript', async () => {
    // A server that greets and then never answers: the block is surely still waiting when we close.
    const silent = net.createServer((socket) => socket.write('220 silent.example.com ESMTP\r\n'));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const conversation = new SmtpFileConversation({ target: newTarget('127.0.0.1', port, 'none'), fileName: 'relay.smtp' });
      const document = parseSmtpDocument(file('EHLO client.example.org', 'NOOP'));
      const ehloSent = new Promise<void>((resolve) =>
        conversation.onEvent((event) => (event.kind === 'sent' && event.text.startsWith('EHLO') ? resolve() : undefined)),
      );
      const pending = conversation.runBlock(document, 0);
      await ehloSent;
      conversation.close('the .smtp file was closed');
      const result = await pending;
      assert.equal(result.error?.code, 'connection-closed');
      assert.deepEqual(sentLines(conversation.events), ['EHLO client.example.org'], 'NOOP was never sent');
      assert.ok(conversation.events.some((event) => event.kind === 'info' && event.text === 'the .smtp file was closed'));
      await assert.rejects(conversation.runBlock(document, 0), /conversation of relay\.smtp is closed/);
    } finally {
      silent.close();
    }
  });
});
