/**
 * Reads a session's transcript events back as a conversation: which reply answers which command, with
 * the context the classifier needs. The terminal shows every exchange this way, whoever sent the command
 * (the user, a relay test, /starttls), so one path colours and tags them all.
 */
import type { Classification, ClassifyReply, ReplyContext } from '../../core/classification';
import type { SmtpReply } from '../../core/reply';
import { ReplyParser } from '../../core/replyParser';
import { addressArgumentOf, commandKindOf, endOfDataCommand } from '../../core/smtpCommand';
import type { TranscriptEvent } from '../../core/transcriptEvent';
import { unescapeWireText } from '../../core/wireText';

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
    }
  /** Lines left when the connection ended in the middle of a reply. */
  | { kind: 'cut-off'; lines: string[] }
  | { kind: 'info' | 'error'; text: string };

export interface ConversationReaderOptions {
  classify: ClassifyReply;
  /** Asked at each reply, because inferred domains become known only after the greeting and EHLO. */
  localDomains: () => string[];
}

export class ConversationReader {
  private readonly parser: ReplyParser;
  /** Commands sent and not yet answered, oldest first: PIPELINING sends several before the first reply. */
  private readonly awaitingReply: string[] = [];
  private readonly replyLines: string[] = [];
  private readonly acceptedRecipients: string[] = [];
  /** Between a 354 and the lone "." that ends the message. */
  private inMessageBody = false;
  private items: ConversationItem[] = [];
  private currentTls = false;

  constructor(private readonly options: ConversationReaderOptions) {
    this.parser = new ReplyParser({
      onLine: (line) => this.replyLines.push(line.text),
      onReplyProblem: () => undefined, // the reply carries its problems
      onReply: (reply) => this.answer(reply),
    });
  }

  /** The items one event completes: none while a multiline reply is still arriving. */
  read(event: TranscriptEvent): ConversationItem[] {
    this.items = [];
    this.currentTls = event.tls;
    switch (event.kind) {
      case 'sent':
        this.readSent(event);
        break;
      case 'received':
        this.parser.feed(unescapeWireText(event.text + endingOf(event)));
        break;
      default:
        this.items.push({ kind: event.kind, text: event.text });
    }
    return this.items;
  }

  /** The connection ended: whatever part of a reply had arrived. */
  finish(): ConversationItem[] {
    this.items = [];
    this.parser.finish();
    if (this.replyLines.length > 0) {
      this.items.push({ kind: 'cut-off', lines: this.replyLines.splice(0) });
    }
    this.awaitingReply.length = 0;
    this.inMessageBody = false;
    return this.items;
  }

  private readSent(event: TranscriptEvent): void {
    if (this.inMessageBody) {
      const ended = event.text === endOfDataCommand;
      this.items.push({ kind: 'sent', text: event.text, tls: event.tls, body: !ended });
      if (ended) {
        this.inMessageBody = false;
        this.awaitingReply.push(endOfDataCommand);
      }
      return;
    }
    this.items.push({ kind: 'sent', text: event.text, tls: event.tls, body: false });
    this.awaitingReply.push(event.text);
  }

  private answer(reply: SmtpReply): void {
    // A reply with no command waiting is the greeting, or unsolicited (a 421 while idle).
    const command = this.awaitingReply.shift() ?? '';
    const kind = commandKindOf(command);
    const context: ReplyContext = { command, localDomains: this.options.localDomains() };
    const recipient = kind === 'rcpt' ? addressArgumentOf(command)?.replace(/^<(.*)>$/, '$1') : undefined;
    if (recipient !== undefined) {
      context.recipient = recipient;
    }
    if (kind === 'end-of-data') {
      context.acceptedRecipients = [...this.acceptedRecipients];
    }
    const classification = this.options.classify(reply, context);
    this.items.push({ kind: 'reply', lines: this.replyLines.splice(0), reply, context, classification, tls: this.currentTls });
    this.followTransaction(kind, reply, recipient);
  }

  /** The state RFC 5321 §4.1.4 gives a mail transaction, as far as the context needs it. */
  private followTransaction(kind: ReturnType<typeof commandKindOf>, reply: SmtpReply, recipient: string | undefined): void {
    const positive = reply.code >= 200 && reply.code < 300;
    switch (kind) {
      case 'rcpt':
        if (positive && recipient !== undefined) {
          this.acceptedRecipients.push(recipient);
        }
        break;
      case 'data':
        this.inMessageBody = reply.code === 354;
        break;
      case 'mail':
      case 'rset':
      case 'ehlo':
      case 'helo':
      case 'end-of-data':
      case 'starttls':
        this.acceptedRecipients.length = 0;
        break;
      default:
        break;
    }
  }
}

function endingOf(event: TranscriptEvent): string {
  switch (event.ending) {
    case 'lf':
      return '\n';
    case 'none':
      return ''; // the line was cut (at the parser's cap or by the close): its next part continues it
    default:
      return '\r\n';
  }
}
