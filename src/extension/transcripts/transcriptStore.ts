import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { DisposableStore } from '../disposableStore';
import { log } from '../log';
import type { LabSettings } from '../settings';
import { TranscriptArchive } from './transcriptArchive';
import { storedTranscriptFileName, storedTranscriptId } from './transcriptFileNames';
import type { StoredTranscriptEntry } from './transcriptIndex';
import { TranscriptRecording, type RecordableSource, type RecordingHost } from './transcriptRecording';
import { WriteThrottle } from './writeThrottle';

export type { RecordableSource } from './transcriptRecording';
export { TranscriptRecording } from './transcriptRecording';

/**
 * Every session's transcript, recorded and kept. Faces (session terminal, .smtp files, Test Explorer,
 * walkthrough) call this; nothing else about storage is theirs to know.
 *
 * Usage, from any face holding the LabContext `lab`:
 *
 *     const recording = lab.transcripts.track('Session terminal: Practice server (exchange)', '127.0.0.1:2525', session, {
 *       tool: 'SMTP Relay Lab session terminal',
 *       extra: { tls: 'starttls' },            // more "=== key: value" header lines
 *       localDomains: target.localDomains,     // lets diagnostics classify without guessing the local domains
 *     });
 *     recording.follow(nextSession);           // a reconnect: the same transcript goes on
 *     recording.record(event);                 // an event from elsewhere (the source is optional)
 *     recording.events / recording.transcript / recording.toText()   // what was recorded, our v1 format
 *     await recording.finish();                // the session is over: stop following, write now
 *
 * `source` is anything with `onEvent(listener) => unsubscribe` (an SmtpSession); when it also has
 * `onClose`, the file is written the moment the connection ends. Events are written to
 * `<global storage>/transcripts/` at most every second while they arrive and at once on close and
 * finish, so closing a terminal loses nothing. The newest `smtpRelayLab.transcripts.keepRecent` files
 * are kept (sessions still running are never deleted); 0 keeps recordings in memory only.
 * "SMTP: Save Transcript" and "SMTP: Open Recent Transcript" read from here.
 */
export class TranscriptStore implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly archive: TranscriptArchive;
  private readonly recordingsById = new Map<string, TranscriptRecording>();
  private readonly throttles = new Map<string, WriteThrottle>();
  /** Recordings this window has put in the index (further writes only rewrite their file). */
  private readonly indexed = new Set<string>();
  private readonly host: RecordingHost = {
    recorded: (recording) => this.throttleOf(recording).request(),
    sourceClosed: (recording) => void this.throttleOf(recording).flush(),
    finished: (recording) => this.finished(recording),
  };

  constructor(
    storageUri: vscode.Uri,
    private readonly settings: LabSettings,
    /** The `tool` header of recordings that name none, e.g. "smtp-relay-lab 0.1.0". */
    private readonly defaultTool: string,
  ) {
    this.archive = new TranscriptArchive(storageUri);
    settings.keepRecentTranscripts.onDidChange(this.pruneStored, this, this.store.listenerArray);
  }

  /** Starts recording a session; see the class comment. */
  track(label: string, target: string, source?: RecordableSource, options: TrackOptions = {}): TranscriptRecording {
    const startedAt = options.startedAt ?? Date.now();
    const recording = new TranscriptRecording(
      {
        id: storedTranscriptId(startedAt, target, randomBytes(4).toString('hex')),
        label,
        target,
        startedAt,
        tool: options.tool ?? this.defaultTool,
        ...(options.extra === undefined ? {} : { extra: { ...options.extra } }),
        ...(options.localDomains === undefined ? {} : { localDomains: [...options.localDomains] }),
      },
      this.host,
    );
    this.recordingsById.set(recording.id, recording);
    if (source !== undefined) {
      recording.follow(source);
    }
    this.forgetOldFinishedRecordings();
    return recording;
  }

  /** This window's recordings, the one with the latest event first. */
  get recordings(): TranscriptRecording[] {
    return [...this.recordingsById.values()].sort((a, b) => b.lastActivityAt - a.lastActivityAt);
  }

  recording(id: string): TranscriptRecording | undefined {
    return this.recordingsById.get(id);
  }

  /** The transcripts kept on disk (this window's and earlier ones), newest first, after pending writes. */
  async stored(): Promise<StoredTranscriptEntry[]> {
    await this.flushAll();
    return this.archive.list();
  }

  uriOf(entry: StoredTranscriptEntry): vscode.Uri {
    return this.archive.uriOf(entry);
  }

  /** Drops a stored entry whose file is gone. */
  forget(entry: StoredTranscriptEntry): Promise<void> {
    this.indexed.delete(entry.id);
    return this.archive.forget(entry);
  }

  /** Writes every recording with a write pending. */
  async flushAll(): Promise<void> {
    await Promise.all([...this.throttles.values()].filter((throttle) => throttle.isScheduled).map((throttle) => throttle.flush()));
  }

  dispose(): void {
    // Best effort on shutdown: each finish() starts its final write at once.
    for (const recording of this.recordingsById.values()) {
      if (!recording.isFinished) {
        void recording.finish();
      }
    }
    for (const throttle of this.throttles.values()) {
      throttle.dispose();
    }
    this.store.dispose();
  }

  private throttleOf(recording: TranscriptRecording): WriteThrottle {
    let throttle = this.throttles.get(recording.id);
    if (throttle === undefined) {
      throttle = new WriteThrottle(() => this.write(recording), writeIntervalMs);
      this.throttles.set(recording.id, throttle);
    }
    return throttle;
  }

  private async finished(recording: TranscriptRecording): Promise<void> {
    // Indexed again at the end: another window may have pruned it while it ran.
    this.indexed.delete(recording.id);
    await this.throttleOf(recording).flush();
    this.forgetOldFinishedRecordings();
  }

  /** Never rejects: a full disk must not break the session that is being recorded. */
  private async write(recording: TranscriptRecording): Promise<void> {
    const keep = this.settings.keepRecentTranscripts.value;
    if (keep === 0 || recording.events.length === 0) {
      return;
    }
    const entry: StoredTranscriptEntry = {
      id: recording.id,
      file: storedTranscriptFileName(recording.id),
      label: recording.label,
      target: recording.target,
      startedAt: recording.startedAt,
    };
    const index = !this.indexed.has(recording.id);
    try {
      await this.archive.store(entry, recording.toText(), { index, keep, live: this.liveIds() });
      this.indexed.add(recording.id);
    } catch (error) {
      log.error(`Could not store the transcript of ${recording.label}`, error);
    }
  }

  private pruneStored(): void {
    this.archive.prune(this.settings.keepRecentTranscripts.value, this.liveIds()).catch((error: unknown) => {
      log.error('Could not remove old transcripts', error);
    });
  }

  private liveIds(): Set<string> {
    return new Set(this.recordings.filter((recording) => !recording.isFinished).map((recording) => recording.id));
  }

  /** Memory holds running sessions and the last few finished ones; older ones live on disk only. */
  private forgetOldFinishedRecordings(): void {
    const finished = this.recordings.filter((recording) => recording.isFinished);
    for (const recording of finished.slice(finishedRecordingsInMemory)) {
      const throttle = this.throttles.get(recording.id);
      if (throttle?.isScheduled) {
        continue;
      }
      throttle?.dispose();
      this.throttles.delete(recording.id);
      this.recordingsById.delete(recording.id);
      this.indexed.delete(recording.id);
    }
  }
}

export interface TrackOptions {
  /** The transcript's `tool` header; defaults to the extension's name and version. */
  tool?: string;
  /** More `=== key: value` header lines. */
  extra?: Record<string, string>;
  /** The domains the session treats as local (written as `=== local-domains:`). */
  localDomains?: readonly string[];
  /** Defaults to now. */
  startedAt?: number;
}

/** While events arrive, a recording reaches the disk at most this long after its last write. */
const writeIntervalMs = 1000;

/** Finished recordings kept in memory for "Save Transcript"; older ones are read back from disk. */
const finishedRecordingsInMemory = 20;
