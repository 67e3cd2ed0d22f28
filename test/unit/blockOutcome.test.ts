import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionClosedError } from '../../src/core/protocol/errors';
import type { SmtpReply } from '../../src/core/protocol/reply';
import { outcomeOfBlock } from '../../src/core/smtpFile/blockOutcome';
import type { BlockReply, BlockRunResult } from '../../src/core/smtpFile/smtpFileConversation';
import { parseSmtpDocument } from '../../src/core/smtpFile/smtpDocument';

function reply(code: number, text: string): SmtpReply {
  const enhanced = /^(\d\.\d{1,3}\.\d{1,3})\s/.exec(text)?.[1];
  return { code, lines: [text], text: enhanced ? text.slice(enhanced.length + 1) : text, ...(enhanced ? { enhanced } : {}) };
}

const block = parseSmtpDocument('### t\nNOOP').blocks[0];
const greeting: BlockReply = { command: '', reply: reply(220, 'mail.corp.example ESMTP') };

function run(...replies: [command: string, code: number, text: string][]): BlockRunResult {
  return { block, replies: [greeting, ...replies.map(([command, code, text], line) => ({ command, line, reply: reply(code, text) }))] };
}

const facts = { greeting: greeting.reply };

describe('the outcome a block shows above it', () => {
  test('a remote recipient accepted is RELAYED, whatever else the block got', () => {
    const outcome = outcomeOfBlock(
      run(['MAIL FROM:<a@example.net>', 250, '2.1.0 Ok'], ['RCPT TO:<relay-test@example.net>', 250, '2.1.5 Ok'], ['NOOP', 500, 'no']),
      facts,
      ['corp.example'],
    );
    assert.equal(outcome?.kind, 'relayed');
    assert.equal(outcome?.label, 'RCPT 250 2.1.5 RELAYED');
  });

  test('KB test 7 accepted with the local domain appended is NDR-pending, not relayed', () => {
    const outcome = outcomeOfBlock(
      run(['RCPT TO:<"relay-test@example.net">', 250, '2.1.5 "relay-test@example.net"@corp.example ok']),
      facts,
      ['corp.example'],
    );
    assert.equal(outcome?.kind, 'ndr-pending');
    assert.equal(outcome?.label, 'RCPT 250 2.1.5 NDR-pending');
  });

  test('a relay denial is a rejection that says so, with the reason as detail', () => {
    const outcome = outcomeOfBlock(run(['RCPT TO:<relay-test@example.net>', 550, '5.7.1 Unable to relay']), facts, ['corp.example']);
    assert.equal(outcome?.label, 'RCPT 550 5.7.1 rejected (relay denied)');
    assert.match(outcome!.detail, /relay denied: the server refused to forward/);
  });

  test('the first rejection explains the block: a 501 at MAIL, not the 503 it causes at RCPT', () => {
    const outcome = outcomeOfBlock(
      run(['MAIL FROM:postmaster', 501, '5.1.7 Bad sender address syntax'], ['RCPT TO:relay-test@example.net', 503, '5.5.1 need MAIL']),
      facts,
      [],
    );
    assert.equal(outcome?.label, 'MAIL 501 5.1.7 rejected (syntax)');
  });

  test('a block cut short by the connection says it stopped and why', () => {
    const outcome = outcomeOfBlock({ ...run(), error: new ConnectionClosedError('connection closed by server') }, facts, []);
    assert.deepEqual(outcome, { kind: 'stopped', label: 'stopped', detail: 'connection closed by server' });
  });

  test('what the conversation sent on its own (greeting, EHLO) is not the block outcome', () => {
    const onlyAutomatic: BlockRunResult = { block, replies: [greeting, { command: 'EHLO x.example.org', reply: reply(250, 'hi') }] };
    assert.equal(outcomeOfBlock(onlyAutomatic, facts, []), undefined);
  });
});
