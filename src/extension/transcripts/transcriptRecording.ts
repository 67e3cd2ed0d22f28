import type { Transcript, TranscriptEvent, TranscriptHeader } from '../../core/transcript/transcriptEvent';
import { writeTranscript } from '../../core/transcript/transcriptFormat';
import { localDomainsHeaderEntry } from '../../core/transcript/transcriptLocalDomains';
import { TranscriptRecorder } from '../../core/transcript/transcriptRecorder';

/**
 * Anything that reports transcript events: an SmtpSession, or a face's own emitter. `onClose`, when the
 * source has it (SmtpSession does), makes the recording write to disk at once when the connection ends.
 */
export interface RecordableSource {
  onEvent(listener: (event: TranscriptEvent) => void): () => void;
  onClose?(listener: () => void): () => void;
}

export interface RecordingDetails {
  id: string;
  /** For a person: "Session terminal: Practice server (exchange)". */
  label: string;
  /** host:port, written as the transcript's `target`. */
  target: string;
  startedAt: number;
  /** The transcript's `tool` header. */
  tool: string;
  /** More `=== key: value` header lines (TLS mode, persona...). */
  extra?: Record<string, string>;
  /** The domains the session treats as local; kept in the header so diagnostics need not guess them. */
  localDomains?: readonly string[];
}

/** What the store does when a recording changes. */
export interface RecordingHost {
  /** An event was recorded: write it soon. */
  recorded(recording: TranscriptRecording): void;
  /** A followed source closed its connection: write now. */
  sourceClosed(recording: TranscriptRecording): void;
  /** The face is done with the recording: write now; resolves when written. */
  finished(recording: TranscriptRecording): Promise<void>;
}

/** For a recording kept in memory only (a face outside VS Code, a test): no store to tell. */
export const memoryOnlyRecordingHost: RecordingHost = {
  recorded: () => undefined,
  sourceClosed: () => undefined,
  finished: async () => undefined,
};

/**
 * One session's transcript as the store keeps it: every event of every source it follows (a terminal's
 * reconnects land in the same recording), in order, with nothing dropped. No `vscode` here.
 */
export class TranscriptRecording {
  private readonly recorder = new TranscriptRecorder();
  private readonly unfollowers = new Set<() => void>();
  private readonly listeners = new Set<(event: TranscriptEvent) => void>();
  private finishedValue = false;
  private lastActivity: number;
  /** Followed sources that can close (sessions) and have not closed yet. */
  private openSources = 0;
  private followedClosableSource = false;

  constructor(
    readonly details: Readonly<RecordingDetails>,
    private readonly host: RecordingHost,
  ) {
    this.lastActivity = details.startedAt;
  }

  get id(): string {
    return this.details.id;
  }

  get label(): string {
    return this.details.label;
  }

  get target(): string {
    return this.details.target;
  }

  get startedAt(): number {
    return this.details.startedAt;
  }

  /** Every event so far (copies: changing them does not change the record). */
  get events(): readonly TranscriptEvent[] {
    return this.recorder.events;
  }

  /** When the last event was recorded (or the recording started): the most recent session comes first. */
  get lastActivityAt(): number {
    return this.lastActivity;
  }

  /** True once `finish()` was called and nothing is followed any more. */
  get isFinished(): boolean {
    return this.finishedValue;
  }

  /**
   * True while the session behind it is still talking: a followed connection is open, or (for a run that
   * records events itself) it is not finished. A session terminal whose connection closed is not running,
   * even while the terminal stays open for a /reconnect.
   */
  get isRunning(): boolean {
    if (this.finishedValue) {
      return false;
    }
    return this.followedClosableSource ? this.openSources > 0 : true;
  }

  get header(): TranscriptHeader {
    const { tool, target, startedAt } = this.details;
    const extra = { ...this.details.extra, ...localDomainsHeaderEntry(this.details.localDomains ?? []) };
    return Object.keys(extra).length > 0 ? { tool, target, startedAt, extra } : { tool, target, startedAt };
  }

  get transcript(): Transcript {
    return this.recorder.toTranscript(this.header);
  }

  /** The transcript in our v1 file format (transcriptFormat.ts). */
  toText(): string {
    return writeTranscript(this.transcript);
  }

  /**
   * Records every event the source reports from now on, until `finish()` or the returned function.
   * Following a new source makes a finished recording live again.
   */
  follow(source: RecordableSource): () => void {
    this.finishedValue = false;
    let open = source.onClose !== undefined;
    const closed = (): void => {
      if (open) {
        open = false;
        this.openSources -= 1;
      }
    };
    if (open) {
      this.followedClosableSource = true;
      this.openSources += 1;
    }
    const stopEvents = source.onEvent((event) => this.record(event));
    const stopClose = source.onClose?.(() => {
      closed();
      this.host.sourceClosed(this);
    });
    const unfollow = (): void => {
      if (this.unfollowers.delete(unfollow)) {
        closed();
        stopEvents();
        stopClose?.();
      }
    };
    this.unfollowers.add(unfollow);
    return unfollow;
  }

  /**
   * Calls `listener` with each event once it is recorded: a face that shows what it records (the session
   * terminal) reads it from here, so that nothing is on screen that the recording lacks.
   */
  onEvent(listener: (event: TranscriptEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records one event; also after `finish()`, since a transcript that dropped lines is no evidence. */
  record(event: TranscriptEvent): void {
    this.recorder.record(event);
    this.lastActivity = Math.max(this.lastActivity, event.at);
    this.host.recorded(this);
    for (const listener of [...this.listeners]) {
      listener(event);
    }
  }

  /** Stops following every source and writes the transcript; idempotent. */
  finish(): Promise<void> {
    for (const unfollow of [...this.unfollowers]) {
      unfollow();
    }
    this.finishedValue = true;
    return this.host.finished(this);
  }

  dispose(): void {
    void this.finish();
  }
}
