import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { annotateImportedTranscript, annotateTranscript, type AnnotatedReply } from '../../src/core/transcript/annotateTranscript';
import { parseAnyTranscript } from '../../src/core/transcript/transcriptImport';
import { writeTranscript } from '../../src/core/transcript/transcriptFormat';
import type { TranscriptEvent } from '../../src/core/transcript/transcriptEvent';

const fixtures = path.resolve(__dirname, '../../../test/fixtures/transcripts');

function fixture(name: string): string {
  return readFileSync(path.join(fixtures, name), 'utf8');
}

function replyTo(replies: AnnotatedReply[], command: string, occurrence = 0): AnnotatedReply {
  const found = replies.filter((reply) => reply.command === command)[occurrence];
  assert.ok(found, `no reply to ${JSON.stringify(command)} (#${occurrence})`);
  return found;
}

const startedAt = Date.parse('2026-11-28T22:30:00.000Z');

/** A telnet paste, one line per argument. */
function paste(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

function ours(events: [TranscriptEvent['kind'], string, TranscriptEvent['ending']?][]): string {
  return writeTranscript({
    header: { tool: 'smtp-relay-lab 0.1.0', startedAt },
    events: events.map(([kind, text, ending], index) => ({
      kind,
      at: startedAt + index,
      tls: false,
      text,
      ...(ending === undefined ? {} : { ending }),
    })),
  });
}

describe('annotating the KB 304897 telnet paste against Exchange', () => {
  const replies = annotateTranscript(fixture('kb304897-exchange-tests-1-7.lf.telnet.txt'));
  const rcptReplies = replies.filter((reply) => reply.command?.startsWith('RCPT TO:'));

  test('tests 1 to 5 are relay-denied rejections at RCPT', () => {
    assert.equal(rcptReplies.length, 7);
    for (const reply of rcptReplies.slice(0, 5)) {
      assert.equal(reply.class, 'rejection');
      assert.equal(reply.code, 550);
      assert.equal(reply.enhanced, '5.7.1');
      assert.equal(reply.enhancedInferred, false);
      assert.equal(reply.temporary, false);
      assert.deepEqual(reply.signals, ['relay-denied']);
    }
  });

  test('tests 6 and 7 are NDR-pending, not relayed: Exchange appended its local domain', () => {
    const [percentHack, quotedLocalPart] = rcptReplies.slice(5);
    assert.equal(percentHack.command, 'RCPT TO:someone%example.net');
    assert.equal(percentHack.class, 'ndr-pending');
    assert.deepEqual(percentHack.signals, ['local-domain-appended']);
    assert.equal(quotedLocalPart.command, 'RCPT TO:"someone@example.net"');
    assert.equal(quotedLocalPart.class, 'ndr-pending');
    assert.match(quotedLocalPart.reason, /"someone@example\.net"@example\.com/);
  });

  test('the greeting answers the connection (command ""), the multiline EHLO reply spans its lines', () => {
    const greeting = replies[0];
    assert.equal(greeting.command, '');
    assert.equal(greeting.commandLine, undefined);
    assert.equal(greeting.line, 5);
    const ehlo = replyTo(replies, 'EHLO client.example.org');
    assert.deepEqual([ehlo.line, ehlo.endLine, ehlo.commandLine], [7, 24, 6]);
  });

  test('each reply carries the range of its first line for editor diagnostics', () => {
    const test1 = rcptReplies[0];
    assert.deepEqual(
      [test1.line, test1.endLine, test1.startColumn, test1.endColumn],
      [30, 30, 0, '550 5.7.1 Unable to relay for someone@example.net'.length],
    );
    assert.equal(test1.commandLine, 29);
  });

  test('local domains come from the banner and EHLO when none are given', () => {
    const annotation = annotateImportedTranscript(parseAnyTranscript(fixture('kb304897-exchange-tests-1-7.lf.telnet.txt')));
    assert.equal(annotation.localDomainsInferred, true);
    assert.ok(annotation.localDomains.includes('example.com'));
  });

  test('the CRLF paste gets the same annotations as the LF one', () => {
    assert.deepEqual(annotateTranscript(fixture('kb304897-exchange-tests-1-7.crlf.telnet.txt')), replies);
  });
});

describe('annotating real swaks output', () => {
  test('the "<**" relay refusal is a rejection that answers the RCPT before it', () => {
    const replies = annotateTranscript(fixture('relay-denied-550.swaks.txt'));
    const refusal = replyTo(replies, 'RCPT TO:<someone@example.org>');
    assert.equal(refusal.class, 'rejection');
    assert.deepEqual(refusal.signals, ['relay-denied']);
    assert.deepEqual([refusal.line, refusal.startColumn], [12, 4]);
  });

  test('a 454 relay refusal is temporary', () => {
    const refusal = replyTo(annotateTranscript(fixture('relay-deferred-454.swaks.txt')), 'RCPT TO:<someone@example.org>');
    assert.equal(refusal.temporary, true);
    assert.deepEqual(refusal.signals, ['relay-denied']);
  });

  test('pipelined commands get their replies in the order they were sent', () => {
    const replies = annotateTranscript(fixture('pipelined-mixed-replies.swaks.txt'));
    assert.deepEqual(
      replies.map((reply) => `${reply.command} => ${reply.code}`),
      [
        ' => 220',
        'EHLO client.example.org => 250',
        'MAIL FROM:<a@example.net> => 250',
        'RCPT TO:<user@example.com> => 250',
        'RCPT TO:<someone@example.org> => 550',
        'DATA => 354',
        '. => 250',
        'QUIT => 221',
      ],
    );
  });

  test('the reply to "." is judged on the recipients accepted in that transaction only', () => {
    const replies = annotateTranscript(fixture('pipelined-mixed-replies.swaks.txt'));
    // someone@example.org was refused, so only the local recipient was taken: no relay.
    assert.equal(replyTo(replies, '.').class, 'ndr-pending');
  });

  test('an enhanced code the server did not send is marked as inferred', () => {
    const replies = annotateTranscript(fixture('accepted-local-recipient.swaks.txt'));
    const mail = replyTo(replies, 'MAIL FROM:<a@example.net>');
    assert.deepEqual([mail.enhanced, mail.enhancedInferred], ['2.1.0', true]);
  });

  test('a connection that never opened has no replies', () => {
    assert.deepEqual(annotateTranscript(fixture('connection-refused.swaks.txt')), []);
  });
});

describe('annotating an open relay', () => {
  test('a remote recipient accepted at RCPT and at "." is a relay; body lines are not commands', () => {
    const replies = annotateTranscript(fixture('open-relay-with-message.telnet.txt'));
    assert.deepEqual(replyTo(replies, 'RCPT TO:<victim@example.com>').signals, ['relay']);
    assert.deepEqual(replyTo(replies, '.').signals, ['relay']);
    assert.ok(!replies.some((reply) => reply.line === 13), 'a body line starting with 250 was taken for a reply');
    assert.equal(replyTo(replies, 'QUIT').code, 221);
  });

  test('a paste that starts at EHLO, without the greeting, pairs the first reply with EHLO', () => {
    const replies = annotateTranscript('EHLO client.example.net\n250 relay.example.org\nRCPT TO:<victim@example.com>\n250 2.1.5 Ok\n');
    assert.deepEqual(
      replies.map((reply) => reply.command),
      ['EHLO client.example.net', 'RCPT TO:<victim@example.com>'],
    );
  });

  test('a greeting that arrives after a command typed too early is still the greeting', () => {
    const replies = annotateTranscript('EHLO client.example.net\n220 relay.example.org ESMTP\n250 relay.example.org\n');
    assert.deepEqual(
      replies.map((reply) => reply.command),
      ['', 'EHLO client.example.net'],
    );
  });

  test('configured local domains override the inferred ones', () => {
    const replies = annotateTranscript(fixture('open-relay-with-message.telnet.txt'), { localDomains: ['example.com'] });
    // A plain recipient at a configured local domain is ordinary inbound mail (evidence rules: no NDR promise).
    assert.deepEqual(replyTo(replies, 'RCPT TO:<victim@example.com>').signals, ['local-recipient']);
  });
});

describe('annotating our own transcripts', () => {
  test('columns point past the timestamp and marker at the reply text', () => {
    const text = ours([
      ['received', '220 mail.example.com ESMTP'],
      ['sent', 'RCPT TO:<a@example.net>'],
      ['received', '554 5.7.1 <a@example.net>: Relay access denied'],
    ]);
    const [, refusal] = annotateTranscript(text);
    const sourceLine = text.split('\n')[refusal.line - 1];
    assert.equal(sourceLine.slice(refusal.startColumn, refusal.endColumn), '554 5.7.1 <a@example.net>: Relay access denied');
    assert.deepEqual(refusal.signals, ['relay-denied']);
  });

  test('a protocol remark recorded between the lines of a reply does not split it; a bare LF is named', () => {
    const replies = annotateTranscript(
      ours([
        ['received', '220 mail.example.com ESMTP'],
        ['sent', 'EHLO client.example.org'],
        ['received', '250-mail.example.com', 'lf'],
        ['error', 'protocol: line ended with a bare LF instead of CRLF'],
        ['received', '250 PIPELINING'],
      ]),
    );
    assert.equal(replies.length, 2);
    assert.deepEqual([replies[1].line, replies[1].endLine], [6, 8]);
    assert.deepEqual(replies[1].problems, ['line ended with a bare LF instead of CRLF']);
  });

  test('a reply cut off before its last line is still annotated, with the problem named', () => {
    const replies = annotateTranscript(
      ours([
        ['received', '220 mail.example.com ESMTP'],
        ['sent', 'EHLO client.example.org'],
        ['received', '250-mail.example.com'],
        ['received', '250-PIPEL', 'none'],
      ]),
    );
    assert.equal(replies[1].command, 'EHLO client.example.org');
    assert.ok(replies[1].problems?.some((problem) => problem.includes('no last line')));
    assert.ok(replies[1].problems?.some((problem) => problem.includes('cut off')));
  });

  test('an unsolicited 421 answers no command, and a reconnection starts with a new greeting', () => {
    const replies = annotateTranscript(
      ours([
        ['received', '220 mail.example.com ESMTP'],
        ['received', '421 4.4.2 idle too long'],
        ['info', 'connected to 127.0.0.1:2525'],
        ['received', '220 mail.example.com ESMTP'],
        ['sent', 'NOOP'],
        ['received', '250 2.0.0 Ok'],
      ]),
    );
    assert.equal(replies[1].command, undefined);
    assert.deepEqual(replies[1].signals, ['service-closing']);
    assert.equal(replies[2].command, '');
    assert.equal(replies[3].command, 'NOOP');
  });

  test('a command with escaped bytes is shown as the transcript writes it, and still classified', () => {
    const replies = annotateTranscript(
      ours([
        ['received', '220 mail.example.com ESMTP'],
        ['sent', 'RCPT TO:<"a\\\\b"@example.net>'],
        ['received', '250 2.1.5 <"a\\\\b"@example.net> ok'],
      ]),
    );
    assert.deepEqual(replies[1].signals, ['relay']);
    assert.equal(replies[1].command, 'RCPT TO:<"a\\\\b"@example.net>');
  });

  test('an empty text has nothing to annotate', () => {
    assert.deepEqual(annotateTranscript(''), []);
  });
});

describe('a telnet paste with note lines is paired exactly as the same paste without them (issue 7)', () => {
  /** What pairing decides for a reply, without where it is in the file. */
  function pairing(replies: readonly AnnotatedReply[]): unknown[] {
    return replies.map((reply) => ({
      command: reply.command,
      code: reply.code,
      class: reply.class,
      reason: reply.reason,
      signals: reply.signals,
      neutral: reply.neutral,
      unsolicited: reply.unsolicited,
    }));
  }

  /** The paste with a note before every RSET, between the lines of the EHLO reply, and at the end. */
  function withNotes(text: string): string {
    const notes = ['-- test 1', '=== session B', '# comment', '// checked by the admin', 'session B, again:', 'now the relay tests'];
    let next = 0;
    const note = (): string => notes[next++ % notes.length];
    return text
      .split('\n')
      .flatMap((line) => {
        if (/^(HELO|EHLO|RSET|MAIL FROM|RCPT TO|QUIT)/.test(line) || line === '250-PIPELINING') {
          return [note(), line];
        }
        return [line];
      })
      .concat([note()])
      .join('\n');
  }

  for (const name of ['kb304897-exchange-tests-1-7.lf.telnet.txt', 'open-relay-with-message.telnet.txt']) {
    test(name, () => {
      const plain = fixture(name);
      const noted = withNotes(plain);
      assert.ok(noted.includes('=== session B') && noted.includes('-- test 1') && noted.includes('# comment'));
      const without = annotateTranscript(plain);
      const withThem = annotateTranscript(noted);
      assert.ok(without.length > 5);
      assert.deepEqual(pairing(withThem), pairing(without));
      assert.deepEqual(
        withThem.filter((reply) => reply.unsolicited === true),
        [],
        'no reply is left without its command',
      );
    });
  }

  test('the notes are kept as notes (info events), never sent lines', () => {
    const imported = parseAnyTranscript(paste('220 mx.example.com ESMTP', '-- test 1', 'EHLO client.example.org', '# comment', '250 mx.example.com'));
    assert.deepEqual(
      imported.events.map((event) => [event.kind, event.text]),
      [
        ['received', '220 mx.example.com ESMTP'],
        ['info', '-- test 1'],
        ['sent', 'EHLO client.example.org'],
        ['info', '# comment'],
        ['received', '250 mx.example.com'],
      ],
    );
  });

  test('typed commands stay commands: lower-case verbs, an unknown verb in capitals, an AUTH answer after 334', () => {
    const imported = parseAnyTranscript(
      paste('220 mx.example.com ESMTP', 'ehlo client.example.org', '250 mx.example.com', 'FOO', '500 5.5.2 unrecognized', 'AUTH LOGIN', '334 VXNlcm5hbWU6', 'dXNlcg==', '334 UGFzc3dvcmQ6'),
    );
    assert.deepEqual(
      imported.events.filter((event) => event.kind === 'sent').map((event) => event.text),
      ['ehlo client.example.org', 'FOO', 'AUTH LOGIN', 'dXNlcg=='],
    );
  });
});
