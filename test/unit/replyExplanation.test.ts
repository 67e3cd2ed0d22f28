import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { annotateTranscript, type AnnotatedReply } from '../../src/core/transcript/annotateTranscript';
import { describeReplyCode } from '../../src/core/protocol/replyCodeMeanings';
import { codeSpan, escapeMarkdown, explainReply } from '../../src/extension/diagnostics/replyExplanation';

const fixtures = path.resolve(__dirname, '../../../test/fixtures/transcripts');
const kbPaste = annotateTranscript(readFileSync(path.join(fixtures, 'kb304897-exchange-tests-1-7.lf.telnet.txt'), 'utf8'));

function replyOnLine(line: number): AnnotatedReply {
  const reply = kbPaste.find((candidate) => candidate.line === line);
  assert.ok(reply, `a reply on line ${line}`);
  return reply;
}

describe('the hover text of a reply', () => {
  test('a relay refusal explains 550 (RFC 5321), 5.7.1 (RFC 3463), the rejection class and the RCPT it answers', () => {
    const text = explainReply(replyOnLine(30));
    assert.match(text, /^\*\*550 5\.7\.1\*\*: rejection \(permanent\)/);
    assert.match(text, /Reply code 550: requested action not taken: mailbox unavailable/);
    assert.match(text, /Enhanced code 5\.7\.1: permanent failure: delivery not authorized, message refused \(relay denied\) \(RFC 3463\)/);
    assert.match(text, /Class: rejection\./);
    assert.match(text, /Answers: `RCPT TO:someone@example\.net` on line 29\./);
  });

  test('the reason is left out when the reply is shown as a problem, whose message VS Code puts in the same hover', () => {
    const reply = replyOnLine(30);
    assert.ok(explainReply(reply).includes(escapeMarkdown(reply.reason)));
    const withProblem = explainReply(reply, { shownAsProblem: true });
    assert.ok(!withProblem.includes(escapeMarkdown(reply.reason)));
    assert.match(withProblem, /Class: rejection\./);
  });

    test('test 6 explains NDR-pending: accepted as local, not relayed, an NDR follows', () => {
    const text = explainReply(replyOnLine(60));
    assert.match(text, /NDR-pending: accepted for local delivery, not relayed/);
    assert.match(text, /non-delivery report follows if the recipient does not resolve/);
  });

  test('the greeting says it has no enhanced code and answers the connection', () => {
    const text = explainReply(replyOnLine(5));
    // It decides nothing about relay: a neutral "ok", no relay class.
    assert.match(text, /^\*\*220\*\*: ok\n/);
    assert.doesNotMatch(text, /acceptance/);
    assert.match(text, /No enhanced status code/);
    assert.match(text, /Answers: the connection \(this is the greeting\)\./);
  });

  test('an enhanced code the server did not send is marked as inferred, and left out of the heading', () => {
    const [reply] = annotateTranscript('220 mail.example.com\nHELO client.example.org\n250 mail.example.com\nMAIL FROM:<a@example.org>\n501 bad syntax\n')
      .filter((candidate) => candidate.code === 501);
    const text = explainReply(reply);
    assert.match(text, /^\*\*501\*\*/);
    assert.match(text, /Enhanced code 5\.1\.7, not sent by the server/);
  });

  test('server text cannot inject Markdown links or HTML into the hover', () => {
    const reply: AnnotatedReply = {
      ...replyOnLine(30),
      reason: '550 [click](https://example.com/phish) <img src=x>',
    };
    const text = explainReply(reply);
    assert.doesNotMatch(text, /(?<!\\)\[click(?<!\\)\]/);
    assert.doesNotMatch(text, /(?<!\\)<img/);
    assert.match(text, /\\\[click\\\]\\\(https:\/\/example\\\.com\/phish\\\) \\<img src=x\\>/);
  });
});

describe('Markdown helpers', () => {
  test('a code span is fenced with more backticks than the text holds', () => {
    assert.equal(codeSpan('RCPT TO:<a@b>'), '`RCPT TO:<a@b>`');
    assert.equal(codeSpan('a `b` c'), '``a `b` c``');
    assert.equal(codeSpan('`x'), '`` `x ``');
  });

  test('escaping keeps the text readable once rendered: only punctuation is escaped', () => {
    assert.equal(escapeMarkdown('plain words 250'), 'plain words 250');
    assert.equal(escapeMarkdown('*a*'), '\\*a\\*');
  });
});

describe('reply code meanings', () => {
  test('known codes get the RFC 5321 wording; others their first digit; non-codes say so', () => {
    assert.equal(describeReplyCode(354), 'start mail input; end with <CRLF>.<CRLF>');
    assert.match(describeReplyCode(559), /^permanent negative completion/);
    assert.match(describeReplyCode(299), /^positive completion/);
    assert.match(describeReplyCode(199), /not a valid SMTP reply code/);
    assert.match(describeReplyCode(600), /not a valid SMTP reply code/);
  });
});
