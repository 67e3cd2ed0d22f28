import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { annotateTranscript, type AnnotatedReply } from '../../src/core/transcript/annotateTranscript';
import { findingForReply, type ReplyFinding } from '../../src/extension/diagnostics/diagnosticMapping';
import type { DiagnosticsLevel } from '../../src/extension/settingValues';

const fixtures = path.resolve(__dirname, '../../../test/fixtures/transcripts');

function fixture(name: string): string {
  return readFileSync(path.join(fixtures, name), 'utf8');
}

/** A telnet paste, one line per array entry: server lines start with their code. */
function paste(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

const greetingAndEhlo = ['220 mail.example.com ESMTP', 'EHLO client.example.org', '250 mail.example.com'];

interface Located extends ReplyFinding {
  line: number;
}

function findings(text: string, level: DiagnosticsLevel): Located[] {
  return annotateTranscript(text).flatMap((reply) => {
    const finding = findingForReply(reply, level);
    return finding === undefined ? [] : [{ ...finding, line: reply.line }];
  });
}

function onlyFindingFor(text: string, command: string, level: DiagnosticsLevel = 'relevant'): ReplyFinding | undefined {
  const replies = annotateTranscript(text).filter((reply) => reply.command === command);
  assert.equal(replies.length, 1, `one reply to ${command}`);
  return findingForReply(replies[0], level);
}

describe('diagnostics for the KB 304897 telnet paste against Exchange, level "relevant"', () => {
  const found = findings(fixture('kb304897-exchange-tests-1-7.lf.telnet.txt'), 'relevant');

  test('tests 1 to 5 are relay-denied Information findings on their RCPT replies', () => {
    const denied = found.filter((finding) => finding.code === 'relay-denied');
    assert.deepEqual(denied.map((finding) => finding.line), [30, 36, 42, 48, 54]);
    for (const finding of denied) {
      assert.equal(finding.severity, 'information');
      assert.match(finding.message, /^550 5\.7\.1: relay denied: the server refused to forward/);
    }
  });

  test('tests 6 and 7, whose echo proves local handling (the KB\'s own Exchange), are NDR-pending Information, not relay Errors', () => {
    const pending = found.filter((finding) => finding.code === 'ndr-pending');
    assert.deepEqual(pending.map((finding) => finding.line), [60, 66]);
    for (const finding of pending) {
      assert.equal(finding.severity, 'information');
      assert.match(finding.message, /appended/);
    }
    assert.equal(found.filter((finding) => finding.severity === 'error').length, 0);
  });

  test('greeting, EHLO, RSET, MAIL and QUIT replies get no finding', () => {
    assert.equal(found.length, 7);
  });
});

describe('diagnostic levels', () => {
  const text = fixture('kb304897-exchange-tests-1-7.lf.telnet.txt');

  test('"all" marks every reply, and plain acceptances are Hints with code "accepted"', () => {
    const replies = annotateTranscript(text);
    const all = findings(text, 'all');
    assert.equal(all.length, replies.length);
    const greeting = all.find((finding) => finding.line === 5);
    assert.deepEqual(greeting && { severity: greeting.severity, code: greeting.code }, { severity: 'hint', code: 'accepted' });
    // The relevant findings are the same at "all".
    assert.deepEqual(
      all.filter((finding) => finding.severity !== 'hint'),
      findings(text, 'relevant'),
    );
  });

  test('"off" marks nothing, not even a relay', () => {
    assert.deepEqual(findings(text, 'off'), []);
    assert.deepEqual(findings(fixture('open-relay-with-message.telnet.txt'), 'off'), []);
  });
});

describe('relay acceptances are Errors', () => {
  const found = findings(fixture('open-relay-with-message.telnet.txt'), 'relevant');

  test('a 250 to RCPT for a remote recipient is a "relayed" Error that says the server relays', () => {
    const rcpt = found.find((finding) => finding.line === 8);
    assert.ok(rcpt, 'a finding on the RCPT reply');
    assert.equal(rcpt.severity, 'error');
    assert.equal(rcpt.code, 'relayed');
    assert.match(rcpt.message, /accepted for remote recipient victim@example\.com: this server relays/);
  });

  test('the 250 after the message is a "relayed" Error too: the server took the message for a remote recipient', () => {
    const endOfData = found.find((finding) => finding.line === 16);
    assert.equal(endOfData?.severity, 'error');
    assert.equal(endOfData?.code, 'relayed');
  });

  test('a 250 inside the message body is not a reply and gets no finding', () => {
    assert.equal(found.some((finding) => finding.line === 13), false);
  });
});

describe('other kinds of finding', () => {
  test('550 5.1.1 at RCPT is a harvest Warning that cites the KB advice (tarpit, accept and send NDRs)', () => {
    const text = paste(...greetingAndEhlo, 'MAIL FROM:<a@example.org>', '250 2.1.0 Ok', 'RCPT TO:<nobody@example.com>', '550 5.1.1 <nobody@example.com>: User unknown');
    const finding = onlyFindingFor(text, 'RCPT TO:<nobody@example.com>');
    assert.equal(finding?.severity, 'warning');
    assert.equal(finding?.code, 'harvest');
    assert.match(finding!.message, /tarpit/);
    assert.match(finding!.message, /NDRs|directory lookups/);
  });

  test('a 501 to the bare address form is a syntax Warning that explains the KB form', () => {
    const text = paste(...greetingAndEhlo, 'MAIL FROM:admin@example.com', '501 5.1.7 Bad sender address syntax');
    const finding = onlyFindingFor(text, 'MAIL FROM:admin@example.com');
    assert.equal(finding?.code, 'syntax');
    assert.equal(finding?.severity, 'warning');
    assert.match(finding!.message, /angle brackets/);
  });

  test("Postfix's 454 4.7.1 at RCPT is a relay-denied Information that says it is temporary", () => {
    const text = paste(...greetingAndEhlo, 'MAIL FROM:<a@example.org>', '250 2.1.0 Ok', 'RCPT TO:<b@example.net>', '454 4.7.1 <b@example.net>: Relay access denied');
    const finding = onlyFindingFor(text, 'RCPT TO:<b@example.net>');
    assert.deepEqual(finding && { severity: finding.severity, code: finding.code }, { severity: 'information', code: 'relay-denied' });
    assert.match(finding!.message, /temporary/);
  });

  test('530 at MAIL is an auth-required Information', () => {
    const text = paste(...greetingAndEhlo, 'MAIL FROM:<a@example.org>', '530 5.7.0 Authentication required');
    const finding = onlyFindingFor(text, 'MAIL FROM:<a@example.org>');
    assert.deepEqual(finding && { severity: finding.severity, code: finding.code }, { severity: 'information', code: 'auth-required' });
  });

  test('a 421 is a service-closing Warning: what was still to be tested was not', () => {
    const text = paste(...greetingAndEhlo, 'MAIL FROM:<a@example.org>', '421 4.3.2 mail.example.com closing connection');
    const finding = onlyFindingFor(text, 'MAIL FROM:<a@example.org>');
    assert.deepEqual(finding && { severity: finding.severity, code: finding.code }, { severity: 'warning', code: 'service-closing' });
  });

  test('a plain rejection at RCPT is relevant; the same rejection at MAIL only shows at "all"', () => {
    const text = paste(
      ...greetingAndEhlo,
      'MAIL FROM:<a@example.org>',
      '553 5.1.8 sender domain does not exist',
      'MAIL FROM:<b@example.org>',
      '250 2.1.0 Ok',
      'RCPT TO:<c@example.com>',
      '552 5.2.2 mailbox full',
      'RCPT TO:<d@example.com>',
      '450 4.2.1 mailbox busy',
    );
    assert.equal(onlyFindingFor(text, 'MAIL FROM:<a@example.org>', 'relevant'), undefined);
    const atAll = onlyFindingFor(text, 'MAIL FROM:<a@example.org>', 'all');
    assert.deepEqual(atAll && { severity: atAll.severity, code: atAll.code }, { severity: 'information', code: 'rejected' });
    const rejected = onlyFindingFor(text, 'RCPT TO:<c@example.com>');
    assert.deepEqual(rejected && { severity: rejected.severity, code: rejected.code }, { severity: 'information', code: 'rejected' });
    const deferred = onlyFindingFor(text, 'RCPT TO:<d@example.com>');
    assert.deepEqual(deferred && { severity: deferred.severity, code: deferred.code }, { severity: 'information', code: 'temporary-failure' });
  });

  test('the message is the classifier reason, plus what is malformed about the reply', () => {
    const reply: AnnotatedReply = {
      line: 3,
      endLine: 3,
      startColumn: 0,
      endColumn: 30,
      code: 550,
      enhanced: '5.7.1',
      enhancedInferred: false,
      class: 'rejection',
      temporary: false,
      reason: '550 5.7.1: relay denied: the server refused to forward to a domain it does not host.',
      signals: ['relay-denied'],
      neutral: false,
      command: 'RCPT TO:<b@example.net>',
      problems: ['line ended with a bare LF instead of CRLF'],
    };
    assert.equal(
      findingForReply(reply, 'relevant')?.message,
      '550 5.7.1: relay denied: the server refused to forward to a domain it does not host. ' +
        'Malformed reply: line ended with a bare LF instead of CRLF.',
    );
  });
});

describe('issue 7: normal answers are no findings, an ambiguous acceptance says what proves it, a relay is an Error', () => {
  test('a local recipient accepted (the control) is no finding, and nothing says an NDR will follow', () => {
    const text = paste(...greetingAndEhlo, 'MAIL FROM:<a@example.org>', '250 2.1.0 Ok', 'RCPT TO:<postmaster@example.com>', '250 2.1.5 Ok');
    assert.equal(onlyFindingFor(text, 'RCPT TO:<postmaster@example.com>'), undefined);
    const atAll = onlyFindingFor(text, 'RCPT TO:<postmaster@example.com>', 'all');
    assert.equal(atAll?.severity, 'hint');
    assert.doesNotMatch(atAll?.message ?? '', /NDR will follow/);
  });

  test('a routing form at a local domain accepted with a bare 250 is a Warning that says what would prove it', () => {
    const text = paste(...greetingAndEhlo, 'MAIL FROM:<a@example.org>', '250 2.1.0 Ok', 'RCPT TO:<victim%example.net@example.com>', '250 2.1.5 Ok');
    const finding = onlyFindingFor(text, 'RCPT TO:<victim%example.net@example.com>');
    assert.equal(finding?.severity, 'warning');
    assert.match(finding?.message ?? '', /NDR|confirm/i);
  });

  test('a reply no command asked for is a Warning "unsolicited", and the replies after it keep their commands', () => {
    const text = paste(
      ...greetingAndEhlo,
      'MAIL FROM:<a@example.org>',
      '250 2.1.0 Ok',
      'RCPT TO:<victim@example.net>',
      '550 5.7.1 Relaying denied',
      '250 2.1.5 Ok',
      'QUIT',
      '221 2.0.0 Bye',
    );
    const found = findings(text, 'relevant');
    const unsolicited = found.filter((finding) => finding.code === 'unsolicited');
    assert.deepEqual(unsolicited.map((finding) => [finding.line, finding.severity]), [[8, 'warning']]);
    assert.match(unsolicited[0].message, /No command asked for this reply/);
    assert.equal(annotateTranscript(text).find((reply) => reply.code === 221)?.command, 'QUIT');
  });

  test('a 250 before EHLO is kept and flagged, and EHLO still gets its own reply', () => {
    const text = paste('220 mail.example.com ESMTP', '250 2.0.0 surprise', 'EHLO client.example.org', '250 mail.example.com');
    const replies = annotateTranscript(text);
    assert.deepEqual(replies.map((reply) => [reply.code, reply.command, reply.unsolicited]), [
      [220, '', undefined],
      [250, undefined, true],
      [250, 'EHLO client.example.org', undefined],
    ]);
    assert.deepEqual(findings(text, 'relevant').map((finding) => finding.code), ['unsolicited']);
  });
});

describe('a saved run: the Problems follow each test\'s outcome as the live run decided it', () => {
  function savedRun(rcptReply: string, id = 'x-percent-ip-literal', recipient = '<relay-test%example.net@[127.0.0.1]>'): string {
    return [
      '=== SMTP Relay Lab transcript v1',
      '=== tool: test',
      '=== target: 127.0.0.1:2525',
      '=== started: 2026-11-28T22:30:00.000Z',
      '+0.001 === connected to 127.0.0.1:2525',
      '+0.002 <-  220 mail.example.com ESMTP',
      '+0.003  -> EHLO client.example.org',
      '+0.004 <-  250 mail.example.com',
      '+0.005 === test control: Control: remote sender to a local user',
      '+0.006  -> RSET',
      '+0.007 <-  250 2.0.0 Ok',
      '+0.008  -> MAIL FROM:<a@example.net>',
      '+0.009 <-  250 2.1.0 Ok',
      '+0.010  -> RCPT TO:<postmaster@example.com>',
      '+0.011 <-  250 2.1.5 Ok',
      `+0.012 === test ${id}: the test`,
      '+0.013  -> RSET',
      '+0.014 <-  250 2.0.0 Ok',
      '+0.015  -> MAIL FROM:<postmaster@example.net>',
      '+0.016 <-  250 2.1.0 Ok',
      `+0.017  -> RCPT TO:${recipient}`,
      `+0.018 <-  ${rcptReply}`,
      '',
    ].join('\n');
  }

  test('the accepted control is no finding at all, even at level "all"', () => {
    const all = findings(savedRun('550 5.7.1 Relaying denied'), 'all');
    assert.equal(all.find((finding) => finding.line === 15), undefined);
  });

  test('the finding on a test\'s deciding reply names the test and its outcome; a refused relay test is relay-denied', () => {
    const refused = findings(savedRun('550 5.7.1 Relaying denied'), 'relevant');
    assert.deepEqual(refused.map((finding) => [finding.line, finding.code, finding.severity]), [[22, 'relay-denied', 'information']]);
    const relayed = findings(savedRun('250 2.1.5 Ok', 'kb1', '<relay-test@example.net>'), 'relevant');
    assert.deepEqual(relayed.map((finding) => [finding.line, finding.code, finding.severity]), [[22, 'relayed', 'error']]);
    assert.match(relayed[0].message, /^kb1 failed, the server relays: /);
  });

  test('a bare 250 that the lab outbox proved local is no Warning: the end of the message carries the proof, as the live run decided', () => {
    const delivered = [
      savedRun('250 2.1.5 Ok').trimEnd(),
      '+0.019  -> DATA',
      '+0.020 <-  354 go ahead',
      '+0.021  -> Subject: relay test',
      '+0.021  -> .',
      '+0.022 <-  250 2.0.0 queued',
      '+0.023 === delivery x-percent-ip-literal: bounced (lab-outbox): the lab outbox holds the NDR to <postmaster@example.net> (5.1.1)',
      '',
    ].join('\n');
    const settled = findings(delivered, 'relevant');
    assert.deepEqual(settled.map((finding) => [finding.code, finding.severity]), [], 'passed, proven by delivery: nothing to fix');
    const unproven = findings(savedRun('250 2.1.5 Ok'), 'relevant');
    assert.deepEqual(unproven.map((finding) => finding.severity), ['warning'], 'the same RCPT without the proof stays a Warning');
  });

  test('an IP-literal routing form of the server itself is never "relayed to [127.0.0.1]"', () => {
    const found = findings(savedRun('250 2.1.5 Ok'), 'all');
    for (const finding of found) {
      assert.doesNotMatch(finding.message, /relays to \[127\.0\.0\.1\]/);
    }
  });
});
