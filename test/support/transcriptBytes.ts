import type { TranscriptEvent } from '../../src/core/transcript/transcriptEvent';
import { unescapeWireText } from '../../src/core/protocol/wireText';

const endingBytes = { crlf: '\r\n', lf: '\n', none: '' } as const;

/** The bytes the received events of a transcript stand for, line endings included: what the server sent. */
export function receivedBytesOf(transcript: readonly TranscriptEvent[]): Buffer {
  return Buffer.concat(
    transcript
      .filter((event) => event.kind === 'received')
      .flatMap((event) => [Buffer.from(unescapeWireText(event.text)), Buffer.from(endingBytes[event.ending ?? 'crlf'])]),
  );
}

/** Every text of the transcript, raw and unescaped, to search for something that must never be there. */
export function everyTranscriptText(transcript: readonly TranscriptEvent[]): string[] {
  return transcript.flatMap((event) => [event.text, Buffer.from(unescapeWireText(event.text)).toString('latin1')]);
}
