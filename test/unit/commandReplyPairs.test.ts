import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandReplyPairer, type CommandReplyPair, type PairedEventRole } from '../../src/core/transcript/commandReplyPairs';
import type { TranscriptEvent } from '../../src/core/transcript/transcriptEvent';

function event(kind: TranscriptEvent['kind'], text: string, ending?: TranscriptEvent['ending']): TranscriptEvent {
  return { kind, at: 0, tls: false, text, ...(ending === undefined ? {} : { ending }) };
}

/** A pairer fed one event at a time, as a live session feeds the terminal; positions are event indexes. */
function streaming(): { pairs: CommandReplyPair<number>[]; read(...events: TranscriptEvent[]): PairedEventRole[]; pairer: CommandReplyPairer<number> } {
  const pairs: CommandReplyPair<number>[] = [];
  const pairer = new CommandReplyPairer<number>((pair) => pairs.push(pair));
  let index = 0;
  return { pairs, pairer, read: (...events) => events.map((one) => pairer.read(one, index++)) };
}

describe('pairing commands and replies one event at a time', () => {
  test('a multiline reply is handed over when its last line arrives, not before, with its lines as recorded', () => {
    const { pairs, read } = streaming();
    read(event('info', 'connected to 127.0.0.1:2525'), event('received', '220 mail.example.com ESMTP'));
    assert.deepEqual(pairs.map((pair) => pair.command), ['']);
    read(event('sent', 'EHLO client.example.org'), event('received', '250-mail.example.com'), event('received', '250-PIPELINING'));
    assert.equal(pairs.length, 1, 'the EHLO reply is still arriving');
    read(event('received', '250 SMTPUTF8'));
    assert.equal(pairs.length, 2);
    assert.equal(pairs[1]!.command, 'EHLO client.example.org');
    assert.deepEqual(pairs[1]!.lines, ['250-mail.example.com', '250-PIPELINING', '250 SMTPUTF8']);
    assert.equal(pairs[1]!.unfinished, false);
    assert.deepEqual([pairs[1]!.commandPosition, pairs[1]!.firstLine, pairs[1]!.lastLine], [2, 3, 5]);
  });

  test('says what each event was: commands, message body between 354 and ".", reply lines, remarks', () => {
    const { read } = streaming();
    const roles = read(
      event('received', '220 mail.example.com ESMTP'),
      event('sent', 'DATA'),
      event('received', '354 go ahead'),
      event('sent', 'Subject: test'),
      event('error', 'protocol: a remark between lines'),
      event('sent', '.'),
      event('received', '250 queued'),
    );
    assert.deepEqual(roles, ['reply-line', 'command', 'reply-line', 'message-body', 'remark', 'command', 'reply-line']);
  });

  test('a reply the connection ended in comes out at finish(), unfinished, with the lines that arrived', () => {
    const { pairs, pairer, read } = streaming();
    read(event('received', '220 mail.example.com ESMTP'), event('sent', 'EHLO client.example.org'), event('received', '250-mail.example.com'));
    assert.equal(pairs.length, 1);
    pairer.finish();
    assert.equal(pairs.length, 2);
    assert.equal(pairs[1]!.unfinished, true);
    assert.equal(pairs[1]!.command, 'EHLO client.example.org');
    assert.deepEqual(pairs[1]!.lines, ['250-mail.example.com']);
  });
});
