/**
 * Transcripts of a chosen length for the cost figures: relay sessions as a real run records them (a
 * greeting, a multiline EHLO reply, then RSET / MAIL / RCPT cycles whose RCPT replies vary between a
 * Postfix refusal, an acceptance, an Exchange echo with the local domain appended, a harvest 550 5.1.1
 * and a temporary 454), reconnecting every few hundred lines as the runner does. Deterministic.
 */
import type { TranscriptEvent } from '../../src/core/transcript/transcriptEvent';
import { writeTranscript } from '../../src/core/transcript/transcriptFormat';

export interface SyntheticTranscript {
  lines: number;
  /** The transcript file (our v1 format). */
  text: string;
  /** What the server sent, as it came over the wire (CRLF line ends): the raw parser's input. */
  wire: Buffer;
  /** Every command, with "" for a greeting, in the order the replies answer them. */
  commands: string[];
}

const rcptAnswers = [
  (n: number) => `554 5.7.1 <relay-test-${n}@example.net>: Relay access denied`,
  () => '250 2.1.5 Ok',
  (n: number) => `250 2.1.5 relay-test-${n}%example.net@corp.example`,
  (n: number) => `550 5.1.1 <nobody-${n}@corp.example>: Recipient address rejected: User unknown in local recipient table`,
  (n: number) => `454 4.7.1 <relay-test-${n}@example.net>: Relay access denied`,
];
const rcptRecipients = [
  (n: number) => `<relay-test-${n}@example.net>`,
  () => '<postmaster@corp.example>',
  (n: number) => `<relay-test-${n}%example.net>`,
  (n: number) => `<nobody-${n}@corp.example>`,
  (n: number) => `<relay-test-${n}@example.net>`,
];

/** A transcript of exactly `lineCount` event lines (plus the header). */
export function syntheticTranscript(lineCount: number): SyntheticTranscript {
  const startedAt = Date.UTC(2026, 10, 28, 22, 0, 0);
  const events: TranscriptEvent[] = [];
  const commands: string[] = [];
  const wireLines: string[] = [];
  let at = startedAt;
  const sent = (text: string): void => {
    events.push({ kind: 'sent', at: (at += 1), tls: false, text });
    commands.push(text);
  };
  const received = (...lines: string[]): void => {
    for (const text of lines) {
      events.push({ kind: 'received', at: (at += 1), tls: false, text });
      wireLines.push(text);
    }
  };
  let cycle = 0;
  while (events.length < lineCount) {
    if (cycle % 50 === 0) {
      events.push({ kind: 'info', at: (at += 1), tls: false, text: 'connected to 127.0.0.1:25' });
      commands.push('');
      received('220 mail.corp.example ESMTP Postfix');
      sent('EHLO relay-lab.example.com');
      received('250-mail.corp.example', '250-PIPELINING', '250-SIZE 10240000', '250-ENHANCEDSTATUSCODES', '250 8BITMIME');
    }
    const kind = cycle % rcptAnswers.length;
    sent('RSET');
    received('250 2.0.0 Ok');
    sent('MAIL FROM:<postmaster@example.net>');
    received('250 2.1.0 Ok');
    sent(`RCPT TO:${rcptRecipients[kind](cycle)}`);
    received(rcptAnswers[kind](cycle));
    cycle += 1;
  }
  // Cut to the exact length at a reply boundary's neighbourhood: drop trailing events past the count.
  while (events.length > lineCount) {
    const dropped = events.pop()!;
    if (dropped.kind === 'received') {
      wireLines.pop();
    } else if (dropped.kind === 'sent') {
      commands.pop();
    }
  }
  // Every reply needs its command and vice versa: trim a dangling command.
  while (commands.length > countReplies(wireLines)) {
    commands.pop();
  }
  const text = writeTranscript({ header: { tool: 'smtp-relay-lab bench', startedAt, target: '127.0.0.1:25' }, events });
  return { lines: events.length, text, wire: Buffer.from(wireLines.map((line) => `${line}\r\n`).join(''), 'utf8'), commands };
}

function countReplies(wireLines: readonly string[]): number {
  return wireLines.filter((line) => /^\d{3}( |$)/.test(line)).length;
}
