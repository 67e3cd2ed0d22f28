import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { annotateImportedTranscript } from '../../src/core/transcript/annotateTranscript';
import { classifyReply } from '../../src/core/relay/classifyReply';
import { parseAnyTranscript } from '../../src/core/transcript/transcriptImport';
import { ConversationReader, type ConversationItem } from '../../src/extension/terminal/conversationReader';

const fixtures = path.resolve(__dirname, '../../../test/fixtures/transcripts');

/** Real transcripts with a DATA body, pipelining, STARTTLS, a relay denial and the KB tests on Exchange. */
const fixtureNames = [
  'data-dot-stuffed.swaks.txt',
  'pipelined-mixed-replies.swaks.txt',
  'starttls.swaks.txt',
  'relay-denied-550.swaks.txt',
  'open-relay-with-message.telnet.txt',
  'kb304897-exchange-tests-1-7.crlf.telnet.txt',
];

describe("the session terminal's reader and the transcript annotator", () => {
  for (const name of fixtureNames) {
    test(`tag every reply of ${name} alike: same command, class and signals`, () => {
      const imported = parseAnyTranscript(readFileSync(path.join(fixtures, name), 'utf8'));
      const annotation = annotateImportedTranscript(imported);
      const reader = new ConversationReader({ classify: classifyReply, localDomains: () => annotation.localDomains });
      const items: ConversationItem[] = [...imported.events.flatMap((event) => reader.read(event)), ...reader.finish()];
      const live = items.flatMap((item) =>
        item.kind === 'reply' ? [{ command: item.context.command, class: item.classification.class, signals: item.classification.signals }] : [],
      );
      const saved = annotation.replies.map((reply) => ({ command: reply.command ?? '(no command)', class: reply.class, signals: reply.signals }));
      assert.ok(live.length > 3, 'the conversation has replies');
      assert.deepEqual(live, saved);
    });
  }

  test('message lines after 354 are shown as body, not as commands awaiting a reply', () => {
    const imported = parseAnyTranscript(readFileSync(path.join(fixtures, 'data-dot-stuffed.swaks.txt'), 'utf8'));
    const reader = new ConversationReader({ classify: classifyReply, localDomains: () => ['example.com'] });
    const sent = imported.events.flatMap((event) => reader.read(event)).filter((item) => item.kind === 'sent');
    assert.deepEqual(
      sent.filter((item) => item.body).map((item) => item.text),
      ['Subject: relay lab fixture', '', 'Hello from the fixture.', '..leading dot line', ''],
    );
  });
});
