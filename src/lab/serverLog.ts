/**
 * Every line a practice server received or sent, per connection. Tests read it to prove what a
 * client did (for instance that no DATA was ever sent); the `lab` command prints it live.
 */
export type ServerLogEntryKind = 'connect' | 'command' | 'reply' | 'note' | 'close';

export interface ServerLogEntry {
  connectionId: string;
  at: number;
  kind: ServerLogEntryKind;
  /** True when the line travelled inside TLS. */
  tls: boolean;
  text: string;
}

export type ServerLogListener = (entry: ServerLogEntry) => void;

export class ServerLog {
  private readonly stored: ServerLogEntry[] = [];
  private readonly listeners = new Set<ServerLogListener>();

  get entries(): readonly ServerLogEntry[] {
    return this.stored;
  }

  record(entry: Omit<ServerLogEntry, 'at'>): void {
    const stored = { ...entry, at: Date.now() };
    this.stored.push(stored);
    for (const listener of this.listeners) {
      listener(stored);
    }
  }

  /** The command lines received, in order: of one connection, or of all of them. */
  commands(connectionId?: string): string[] {
    return this.stored
      .filter((entry) => entry.kind === 'command' && (connectionId === undefined || entry.connectionId === connectionId))
      .map((entry) => entry.text);
  }

  /** The connections seen, in the order they opened. */
  connectionIds(): string[] {
    return [...new Set(this.stored.filter((entry) => entry.kind === 'connect').map((entry) => entry.connectionId))];
  }

  onEntry(listener: ServerLogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
