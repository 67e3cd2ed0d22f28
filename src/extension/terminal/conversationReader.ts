/**
 * Reads a session's transcript events back as a conversation: which reply answers which command, with
 * the context the classifier needs. The terminal shows every exchange this way, whoever sent the command
 * (the user, a relay test, /starttls), so one path colours and tags them all.
 */
import type { Classification, ClassifyReply, ReplyContext } from '../../core/relay/classification';
import { CommandReplyPairer, type CommandReplyPair } from '../../core/transcript/commandReplyPairs';
import { isNeutralReply, PairedReplyClassifier } from '../../core/transcript/pairedReplyClassifier';
import { commandKindOf } from '../../core/protocol/smtpCommand';
import type { SmtpReply } from '../../core/protocol/reply';
import type { TranscriptEvent } from '../../core/transcript/transcriptEvent';

export type ConversationItem =
  /** `body` is a line of a message after 354, which no reply answers. */
  | { kind: 'sent'; text: string; tls: boolean; body: boolean }
  | {
      kind: 'reply';
      /** The wire lines, escaped, code included ("250-PIPELINING"). */
      lines: string[];
      reply: SmtpReply;
      context: ReplyContext;
      classification: Classification;
      tls: boolean;
      /** It decides nothing about relay (isNeutralReply): shown as `[ok]`. */
      neutral: boolean;
      /** No command was waiting for it (a second answer after a 550, a 250 before EHLO). */
      unsolicited: boolean;
    }
  /** Lines left when the connection ended in the middle of a reply. */
  | { kind: 'cut-off'; lines: string[] }
  | { kind: 'info' | 'error'; text: string };

export interface ConversationReaderOptions {
  classify: ClassifyReply;
  /** Asked at each reply, because inferred domains become known only after the greeting and EHLO. */
  localDomains: () => string[];
}

/**
 * One session's events, as they arrive, turned into what the terminal shows. The pairing and the context
 * of each reply are core's (CommandReplyPairer, PairedReplyClassifier), the same that annotate saved
 * transcripts, so a reply is tagged alike live and when its transcript is opened later.
 */
export class ConversationReader {
  /** Positions are the events' indexes in this session: the terminal has no file lines to point at. */
  private readonly pairer = new CommandReplyPairer<number>((pair) => this.answer(pair));
  private readonly classifier: PairedReplyClassifier;
  private eventIndex = 0;
  private items: ConversationItem[] = [];
  private currentTls = false;

  constructor(private readonly options: ConversationReaderOptions) {
    this.classifier = new PairedReplyClassifier(options.classify);
  }

  /** The items one event completes: none while a multiline reply is still arriving. */
  read(event: TranscriptEvent): ConversationItem[] {
    this.items = [];
    this.currentTls = event.tls;
    // A reply left unfinished by this event comes out of read() first, ahead of the event's own item.
    const role = this.pairer.read(event, this.eventIndex);
    this.eventIndex += 1;
    switch (event.kind) {
      case 'sent':
        this.items.push({ kind: 'sent', text: event.text, tls: event.tls, body: role === 'message-body' });
        break;
      case 'received':
        break;
      default:
        this.items.push({ kind: event.kind, text: event.text });
    }
    return this.items;
  }

  /** The connection ended: whatever part of a reply had arrived. */
  finish(): ConversationItem[] {
    this.items = [];
    this.pairer.finish();
    return this.items;
  }

  private answer(pair: CommandReplyPair<number>): void {
    if (pair.unfinished) {
      this.items.push({ kind: 'cut-off', lines: pair.lines });
      return;
    }
    const { reply, command, context, classification } = this.classifier.next(pair, this.options.localDomains());
    const neutral = isNeutralReply(command === undefined ? undefined : commandKindOf(command), classification);
    const unsolicited = pair.unsolicited === true;
    this.items.push({ kind: 'reply', lines: pair.lines, reply, context, classification, tls: this.currentTls, neutral, unsolicited });
  }
}
