import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAnyTranscript, type ImportedTranscript } from '../../src/core/transcript/transcriptImport';
import { readTranscript, writeTranscript } from '../../src/core/transcript/transcriptFormat';
import type { TranscriptEvent } from '../../src/core/transcript/transcriptEvent';

const fixtures = path.resolve(__dirname, '../../../test/fixtures/transcripts');

function fixture(name: string): string {
  return readFileSync(path.join(fixtures, name), 'utf8');
}

/** "kind text" per event, the compact view the assertions compare. */
function summary(imported: ImportedTranscript): string[] {
  return imported.events.map((event) => `${event.kind}${event.tls ? '~' : ''} ${event.text}`);
}

function eventAtLine(imported: ImportedTranscript, line: number): TranscriptEvent {
  const index = imported.positions.findIndex((position) => position.line === line);
  assert.ok(index >= 0, `no event at line ${line}`);
  return imported.events[index];
}

describe('importing swaks output (real swaks 20201014 runs)', () => {
  test('a relay refusal marked "<**" is read as a received line, everything else by its prefix', () => {
    const imported = parseAnyTranscript(fixture('relay-denied-550.swaks.txt'));
    assert.equal(imported.format, 'swaks');
    assert.deepEqual(summary(imported), [
      'info Trying 127.0.0.1:25252...',
      'info Connected to 127.0.0.1.',
      'received 220 mail.example.com ESMTP Relay Lab fixture',
      'sent EHLO client.example.org',
      'received 250-mail.example.com Nice to meet you, [127.0.0.1]',
      'received 250-PIPELINING',
      'received 250-8BITMIME',
      'received 250 SMTPUTF8',
      'sent MAIL FROM:<a@example.net>',
      'received 250 Accepted',
      'sent RCPT TO:<someone@example.org>',
      'received 550 5.7.1 Unable to relay for someone@example.org',
      'sent QUIT',
      'received 221 Bye',
      'info Connection closed with remote host.',
    ]);
  });

  test('each event knows its source line and where its text starts after the four-character prefix', () => {
    const imported = parseAnyTranscript(fixture('relay-denied-550.swaks.txt'));
    const index = imported.events.findIndex((event) => event.text.startsWith('550'));
    const line = '<** 550 5.7.1 Unable to relay for someone@example.org';
    assert.deepEqual(imported.positions[index], { line: 12, startColumn: 4, endColumn: line.length });
  });

  test('lines after STARTTLS ("~>", "<~") are marked as inside TLS, and so are the remarks between them', () => {
    const imported = parseAnyTranscript(fixture('starttls.swaks.txt'));
    const lines = summary(imported);
    assert.ok(lines.includes('received 220 Ready to start TLS'));
    assert.ok(lines.includes('sent~ EHLO client.example.org'));
    assert.ok(lines.includes('received~ 250 Accepted'));
    assert.ok(lines.includes('info~ Connection closed with remote host.'));
    assert.equal(eventAtLine(imported, 10).text, 'STARTTLS');
    assert.equal(eventAtLine(imported, 10).tls, false);
  });

  test('message body lines are sent lines, dot-stuffed as on the wire, without the CR swaks leaves on them', () => {
    const imported = parseAnyTranscript(fixture('data-dot-stuffed.swaks.txt'));
    const lines = summary(imported);
    const start = lines.indexOf('received 354 End data with <CR><LF>.<CR><LF>');
    assert.deepEqual(lines.slice(start + 1, start + 8), [
      'sent Subject: relay lab fixture',
      'sent ',
      'sent Hello from the fixture.',
      'sent ..leading dot line',
      'sent ',
      'sent .',
      'received 250 Queued as 4F2A',
    ]);
  });

  test('a refused connection is swaks output too: its errors are error events, a tab escaped', () => {
    const imported = parseAnyTranscript(fixture('connection-refused.swaks.txt'));
    assert.equal(imported.format, 'swaks');
    assert.deepEqual(summary(imported), [
      'info Trying 127.0.0.1:25259...',
      'error Error connecting to 127.0.0.1:25259:',
      'error \\x09IO::Socket::INET6: connect: Connection refused',
    ]);
  });

  test('a shell prompt pasted above swaks output does not stop it from being read as swaks', () => {
    const imported = parseAnyTranscript('$ swaks --to user@example.com\n' + fixture('accepted-local-recipient.swaks.txt'));
    assert.equal(imported.format, 'swaks');
    assert.equal(imported.events[0].kind, 'info');
    assert.equal(imported.events[0].text, '$ swaks --to user@example.com');
  });
});

describe('importing a raw telnet paste', () => {
  test('KB 304897 tests 1-7 against Exchange: server lines by their code, client chatter as info, the rest typed', () => {
    const imported = parseAnyTranscript(fixture('kb304897-exchange-tests-1-7.lf.telnet.txt'));
    assert.equal(imported.format, 'telnet');
    const lines = summary(imported);
    assert.deepEqual(lines.slice(0, 7), [
      'info $ telnet mail.example.com 25',
      'info Trying 192.0.2.25...',
      'info Connected to mail.example.com.',
      "info Escape character is '^]'.",
      'received 220 mail.example.com Microsoft ESMTP MAIL Service, Version: 6.0.3790.3959 ready at  Sat, 28 Nov 2026 22:30:00 +0000',
      'sent EHLO client.example.org',
      'received 250-mail.example.com Hello [192.0.2.77]',
    ]);
    assert.equal(lines.filter((line) => line.startsWith('sent RSET')).length, 7);
    assert.equal(lines.filter((line) => line.startsWith('received 550 5.7.1 Unable to relay')).length, 5);
    assert.ok(lines.includes('sent RCPT TO:"someone@example.net"'));
    assert.equal(lines.at(-1), 'info Connection closed by foreign host.');
    assert.deepEqual(imported.positions[4], { line: 5, startColumn: 0, endColumn: lines[4].length - 'received '.length });
  });

  test('the CRLF copy of the paste reads exactly like the LF one', () => {
    const lf = parseAnyTranscript(fixture('kb304897-exchange-tests-1-7.lf.telnet.txt'));
    const crlf = parseAnyTranscript(fixture('kb304897-exchange-tests-1-7.crlf.telnet.txt'));
    assert.ok(fixture('kb304897-exchange-tests-1-7.crlf.telnet.txt').includes('\r\n'), 'the CRLF fixture lost its CRs');
    assert.deepEqual(crlf, lf);
  });

  test('between 354 and "." every line is message body, even one starting with a reply code or "Trying"', () => {
    const imported = parseAnyTranscript(fixture('open-relay-with-message.telnet.txt'));
    const lines = summary(imported);
    assert.equal(lines[0], 'info C:\\\\Users\\\\admin>telnet relay.example.org 25');
    const start = lines.indexOf('received 354 End data with <CR><LF>.<CR><LF>');
    assert.deepEqual(lines.slice(start + 1, start + 7), [
      'sent Subject: relay check',
      'sent ',
      'sent 250 apples were counted today.',
      'sent Trying again tomorrow.',
      'sent .',
      'received 250 2.0.0 Ok: queued as 4F2A1C0E3B',
    ]);
  });

  test('blank lines outside a message are not events; a telnet connection failure is an error', () => {
    const imported = parseAnyTranscript('\n\ntelnet: Unable to connect to remote host: Connection refused\n\n');
    assert.deepEqual(summary(imported), ['error telnet: Unable to connect to remote host: Connection refused']);
    assert.equal(imported.positions[0].line, 3);
  });

  test('pasted control characters and backslashes are kept, escaped', () => {
    const imported = parseAnyTranscript('220 a\\b\x00 ready\n');
    assert.equal(imported.events[0].text, '220 a\\\\b\\x00 ready');
  });
});

describe('importing our own format', () => {
  const transcript = {
    header: { tool: 'smtp-relay-lab 0.1.0', target: '127.0.0.1:2525', startedAt: Date.parse('2026-11-28T22:30:00.000Z') },
    events: [
      { kind: 'received', at: Date.parse('2026-11-28T22:30:00.004Z'), tls: false, text: '220 mail.example.com ESMTP' },
      { kind: 'sent', at: Date.parse('2026-11-28T22:30:00.010Z'), tls: false, text: 'EHLO client.example.org' },
    ] satisfies TranscriptEvent[],
  };

  test('is recognised and read exactly as readTranscript reads it', () => {
    const text = writeTranscript(transcript);
    const imported = parseAnyTranscript(text);
    assert.equal(imported.format, 'smtp-relay-lab');
    assert.equal(imported.fallback, undefined);
    assert.deepEqual({ header: imported.header, events: imported.events }, readTranscript(text));
  });

  test('a damaged file keeps its good events, reads the bad line as a telnet line, and says where it broke', () => {
    const text = writeTranscript(transcript).replace('+0.010  -> EHLO', '+0.0x0  -> EHLO') + 'RCPT TO:<a@example.net>\n';
    const imported = parseAnyTranscript(text);
    assert.equal(imported.format, 'telnet');
    assert.deepEqual(imported.fallback, { line: 6, reason: 'line 6: bad timestamp "+0.0x0": expected +S.mmm, -S.mmm or @<ms>' });
    assert.deepEqual(imported.events[4], transcript.events[0]);
    assert.deepEqual(summary(imported).slice(4), [
      'received 220 mail.example.com ESMTP',
      'sent +0.0x0  -> EHLO client.example.org',
      'sent RCPT TO:<a@example.net>',
    ]);
    assert.equal(imported.positions[5].line, 6);
  });
});
