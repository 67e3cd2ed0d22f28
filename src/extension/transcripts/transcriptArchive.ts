import * as vscode from 'vscode';
import {
  readTranscriptIndex,
  retainRecent,
  withEntry,
  writeTranscriptIndex,
  type StoredTranscriptEntry,
} from './transcriptIndex';

const indexFileName = 'index.json';

/**
 * The stored transcripts on disk: `<global storage>/transcripts/<id>.smtp-transcript` plus `index.json`,
 * all through workspace.fs (so remote and virtual setups work too). Operations of one window run one at a
 * time, so two index updates never interleave; windows share the folder, so each update re-reads the index
 * first instead of trusting a copy.
 */
export class TranscriptArchive {
  readonly folder: vscode.Uri;
  private queue: Promise<unknown> = Promise.resolve();
  private folderReady = false;

  constructor(storageUri: vscode.Uri) {
    this.folder = vscode.Uri.joinPath(storageUri, 'transcripts');
  }

  uriOf(entry: Pick<StoredTranscriptEntry, 'file'>): vscode.Uri {
    return vscode.Uri.joinPath(this.folder, entry.file);
  }

  /** The stored transcripts, newest first. */
  list(): Promise<StoredTranscriptEntry[]> {
    return this.exclusive(() => this.readIndex());
  }

  read(entry: StoredTranscriptEntry): Promise<string> {
    return this.exclusive(async () => new TextDecoder().decode(await vscode.workspace.fs.readFile(this.uriOf(entry))));
  }

  /** Writes the transcript's file, then lists it in the index and drops what exceeds `keep`. */
  store(entry: StoredTranscriptEntry, text: string, options: { index: boolean; keep: number; live: ReadonlySet<string> }): Promise<void> {
    return this.exclusive(async () => {
      await this.ensureFolder();
      await vscode.workspace.fs.writeFile(this.uriOf(entry), new TextEncoder().encode(text));
      if (options.index) {
        await this.updateIndex((entries) => withEntry(entries, entry), options.keep, options.live);
      }
    });
  }

  /** Drops what exceeds `keep` (after the setting was lowered). */
  prune(keep: number, live: ReadonlySet<string>): Promise<void> {
    return this.exclusive(() => this.updateIndex((entries) => entries, keep, live));
  }

  /** Removes an entry whose file is gone (or that the user no longer wants listed). */
  forget(entry: StoredTranscriptEntry): Promise<void> {
    return this.exclusive(async () => {
      await this.updateIndex((entries) => entries.filter((known) => known.id !== entry.id), Number.MAX_SAFE_INTEGER, new Set());
      await deleteIfPresent(this.uriOf(entry));
    });
  }

  private async updateIndex(
    change: (entries: StoredTranscriptEntry[]) => StoredTranscriptEntry[],
    keep: number,
    live: ReadonlySet<string>,
  ): Promise<void> {
    const before = await this.readIndex();
    const { kept, dropped } = retainRecent(change(before), keep, live);
    const text = writeTranscriptIndex(kept);
    if (dropped.length === 0 && text === writeTranscriptIndex(before)) {
      return;
    }
    await this.ensureFolder();
    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(this.folder, indexFileName), new TextEncoder().encode(text));
    for (const entry of dropped) {
      await deleteIfPresent(this.uriOf(entry));
    }
  }

  private async readIndex(): Promise<StoredTranscriptEntry[]> {
    try {
      const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(this.folder, indexFileName));
      return readTranscriptIndex(new TextDecoder().decode(bytes));
    } catch (error) {
      if (error instanceof vscode.FileSystemError && error.code === 'FileNotFound') {
        return [];
      }
      throw error;
    }
  }

  private async ensureFolder(): Promise<void> {
    if (!this.folderReady) {
      // mkdir -p semantics: an existing folder is fine.
      await vscode.workspace.fs.createDirectory(this.folder);
      this.folderReady = true;
    }
  }

  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation, operation);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

async function deleteIfPresent(uri: vscode.Uri): Promise<void> {
  try {
    await vscode.workspace.fs.delete(uri, { useTrash: false });
  } catch (error) {
    if (!(error instanceof vscode.FileSystemError && error.code === 'FileNotFound')) {
      throw error;
    }
  }
}
