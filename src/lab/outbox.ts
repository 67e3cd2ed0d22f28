/**
 * Where a practice server puts every message it would deliver. Nothing in it is ever sent anywhere:
 * "delivered" is a local mailbox, "would-relay" is what an open relay would have forwarded to another
 * domain, and "ndr" is a non-delivery report addressed (with the null sender) to the original sender.
 */
export type OutboxMessageKind = 'delivered' | 'would-relay' | 'ndr';

export interface OutboxMessage {
  id: string;
  kind: OutboxMessageKind;
  at: number;
  /** The practice-server connection the message came in on. */
  connectionId: string;
  /** Envelope sender: "" for the null sender (every NDR). */
  mailFrom: string;
  rcptTo: string[];
  /** The full message, CRLF line endings. */
  content: string;
}

export type OutboxListener = (message: OutboxMessage) => void;

export class Outbox {
  private readonly stored: OutboxMessage[] = [];
  private readonly listeners = new Set<OutboxListener>();
  private nextId = 1;

  get messages(): readonly OutboxMessage[] {
    return this.stored;
  }

  list(kind?: OutboxMessageKind): OutboxMessage[] {
    return this.stored.filter((message) => kind === undefined || message.kind === kind);
  }

  add(message: Omit<OutboxMessage, 'id'>): OutboxMessage {
    const stored: OutboxMessage = { ...message, id: `m${this.nextId++}` };
    this.stored.push(stored);
    for (const listener of this.listeners) {
      listener(stored);
    }
    return stored;
  }

  onMessage(listener: OutboxListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
