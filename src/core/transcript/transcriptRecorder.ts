import type { Transcript, TranscriptEvent, TranscriptHeader } from './transcriptEvent';

/** Anything that reports transcript events, such as an SmtpSession. */
export interface TranscriptEventSource {
  onEvent(listener: (event: TranscriptEvent) => void): () => void;
}

/**
 * Collects the events of one conversation, in order, with no cap: a transcript that silently dropped
 * lines would not be evidence any more. Events are copied on the way in and on the way out, so a caller
 * that mutates its own objects cannot rewrite what was recorded.
 */
export class TranscriptRecorder {
  private readonly recorded: TranscriptEvent[] = [];

  get events(): readonly TranscriptEvent[] {
    return this.recorded;
  }

  get size(): number {
    return this.recorded.length;
  }

  record(event: TranscriptEvent): void {
    this.recorded.push(copyEvent(event));
  }

  /** Records every event the source reports from now on; returns the function that stops it. */
  follow(source: TranscriptEventSource): () => void {
    return source.onEvent((event) => this.record(event));
  }

  toTranscript(header: TranscriptHeader): Transcript {
    const copiedHeader: TranscriptHeader = { ...header };
    if (header.extra !== undefined) {
      copiedHeader.extra = { ...header.extra };
    }
    return { header: copiedHeader, events: this.recorded.map(copyEvent) };
  }
}

function copyEvent(event: TranscriptEvent): TranscriptEvent {
  const copy: TranscriptEvent = { kind: event.kind, at: event.at, tls: event.tls, text: event.text };
  if (event.ending !== undefined) {
    copy.ending = event.ending;
  }
  return copy;
}
