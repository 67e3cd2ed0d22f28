import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isStoredFileName,
  readTranscriptIndex,
  retainRecent,
  withEntry,
  writeTranscriptIndex,
  type StoredTranscriptEntry,
} from '../../src/extension/transcripts/transcriptIndex';
import {
  storedTranscriptFileName,
  storedTranscriptId,
  suggestedTranscriptFileName,
} from '../../src/extension/transcripts/transcriptFileNames';

const startedAt = Date.parse('2026-11-28T22:30:00.000Z');

function entry(id: string, minutesLater: number): StoredTranscriptEntry {
  return { id, file: `${id}.smtp-transcript`, label: `session ${id}`, target: '127.0.0.1:2525', startedAt: startedAt + minutesLater * 60_000 };
}

describe('the transcripts index', () => {
  test('what is written reads back the same, newest first', () => {
    const entries = [entry('a', 0), entry('c', 2), entry('b', 1)];
    assert.deepEqual(readTranscriptIndex(writeTranscriptIndex(entries)).map((known) => known.id), ['c', 'b', 'a']);
    assert.deepEqual(readTranscriptIndex(writeTranscriptIndex(entries))[0], entry('c', 2));
  });

  test('text that is not our JSON gives an empty list instead of an error', () => {
    for (const text of ['', 'not json', 'null', '[]', '{"transcripts": 3}', '{"version":1}']) {
      assert.deepEqual(readTranscriptIndex(text), [], JSON.stringify(text));
    }
  });

  test('an entry whose file is a path, not a bare name of ours, is skipped, so pruning can never delete outside the folder', () => {
    const hostile = [
      { ...entry('up', 0), file: '../../settings.json' },
      { ...entry('abs', 1), file: '/etc/passwd.smtp-transcript' },
      { ...entry('sub', 2), file: 'a/b.smtp-transcript' },
      { ...entry('back', 3), file: 'a\\b.smtp-transcript' },
      { ...entry('dots', 4), file: 'x..smtp-transcript' },
      { ...entry('other', 5), file: 'notes.txt' },
      entry('fine', 6),
    ];
    const text = JSON.stringify({ version: 1, transcripts: hostile });
    assert.deepEqual(readTranscriptIndex(text).map((known) => known.id), ['fine']);
  });

  test('entries with missing or mistyped fields are skipped, the rest kept', () => {
    const text = JSON.stringify({
      version: 1,
      transcripts: [entry('ok', 0), { ...entry('no-label', 1), label: undefined }, { ...entry('nan', 2), startedAt: 'yesterday' }, 7, null],
    });
    assert.deepEqual(readTranscriptIndex(text).map((known) => known.id), ['ok']);
  });

  test('adding an entry with a known id replaces it rather than listing it twice', () => {
    const updated = { ...entry('a', 0), label: 'renamed' };
    const entries = withEntry([entry('a', 0), entry('b', 1)], updated);
    assert.deepEqual(entries.map((known) => `${known.id}:${known.label}`), ['b:session b', 'a:renamed']);
  });
});

describe('keeping the most recent transcripts', () => {
  const entries = [entry('oldest', 0), entry('old', 1), entry('new', 2), entry('newest', 3)];

  test('keeps the newest N and drops the rest', () => {
    const { kept, dropped } = retainRecent(entries, 2, new Set());
    assert.deepEqual(kept.map((known) => known.id), ['newest', 'new']);
    assert.deepEqual(dropped.map((known) => known.id), ['old', 'oldest']);
  });

  test('a session still running is never dropped, and counts toward N', () => {
    const { kept, dropped } = retainRecent(entries, 2, new Set(['oldest']));
    assert.deepEqual(kept.map((known) => known.id), ['newest', 'new', 'oldest']);
    assert.deepEqual(dropped.map((known) => known.id), ['old']);
    const withRunningNewest = retainRecent(entries, 2, new Set(['newest']));
    assert.deepEqual(withRunningNewest.kept.map((known) => known.id), ['newest', 'new']);
  });

  test('keeping 0 drops every finished one', () => {
    assert.deepEqual(retainRecent(entries, 0, new Set()).kept, []);
  });
});

describe('transcript file names', () => {
  test('a stored id starts with the UTC time, so names sort by age, and is a safe file name', () => {
    const id = storedTranscriptId(startedAt, '127.0.0.1:2525', 'a1b2c3d4');
    assert.equal(id, '20261128-223000-127.0.0.1-2525-a1b2c3d4');
    assert.equal(isStoredFileName(storedTranscriptFileName(id)), true);
  });

  test('IPv6 targets, odd characters and ".." cannot escape the folder or break the name', () => {
    for (const target of ['[::1]:25', '../../etc:25', 'mail/../x:25', 'a\\b:25', '', '..']) {
      const name = storedTranscriptFileName(storedTranscriptId(startedAt, target, 'ff'));
      assert.equal(isStoredFileName(name), true, `${JSON.stringify(target)} -> ${name}`);
    }
    assert.equal(storedTranscriptId(startedAt, '[::1]:25', 'ff'), '20261128-223000-1-25-ff');
  });

  test('the save dialog proposes server, port and time', () => {
    assert.equal(suggestedTranscriptFileName('mail.example.com:25', startedAt), 'smtp-mail.example.com-25-20261128-223000.smtp-transcript');
  });
});
