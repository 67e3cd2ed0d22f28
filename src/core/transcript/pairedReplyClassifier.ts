import type { Classification, ClassifyReply, ReplyContext } from '../relay/classification';
import type { CommandReplyPair } from './commandReplyPairs';
import type { SmtpReply } from '../protocol/reply';
import { addressArgumentOf, commandKindOf, type SmtpCommandKind } from '../protocol/smtpCommand';
import { unescapeWireText } from '../protocol/wireText';

/** A paired reply with what it means, texts as they were on the wire. */
export interface ClassifiedPair {
  reply: SmtpReply;
  /** The command it answers; "" for the greeting; undefined when nothing was waiting. */
  command?: string;
  context: ReplyContext;
  classification: Classification;
}

/** Stands in for the command of an unsolicited reply; the classifier reads it as "some other command". */
const unknownCommand = '(no command)';

/**
 * Classifies the paired replies of one conversation, in order, each with the context the classifier needs:
 * the command it answers, the recipient of a RCPT, and for the reply to "." the recipients accepted since
 * the transaction began. The saved-transcript annotator and the live terminal both read replies through it,
 * after CommandReplyPairer, so a reply means the same in both.
 */
export class PairedReplyClassifier {
  /** The recipients accepted since the last MAIL, RSET, EHLO, greeting, STARTTLS or end of message. */
  private accepted: string[] = [];

  constructor(private readonly classify: ClassifyReply) {}

  next(pair: CommandReplyPair<unknown>, localDomains: string[]): ClassifiedPair {
    const reply = wireReply(pair.reply);
    const command = pair.command === undefined ? undefined : unescapedText(pair.command);
    const context: ReplyContext = { command: command ?? unknownCommand, localDomains };
    const kind = command === undefined ? undefined : commandKindOf(command);
    const recipient = kind === 'rcpt' ? recipientOf(command!) : undefined;
    if (recipient !== undefined) {
      context.recipient = recipient;
    }
    if (kind === 'end-of-data') {
      context.acceptedRecipients = [...this.accepted];
    }
    const classification = this.classify(reply, context);
    this.followTransaction(kind, reply.code, recipient);
    // Written out rather than spread: this runs for every reply of a transcript of a million lines.
    return command === undefined ? { reply, context, classification } : { reply, command, context, classification };
  }

  /** The state RFC 5321 §4.1.4 gives a mail transaction, as far as the context needs it. */
  private followTransaction(kind: string | undefined, code: number, recipient: string | undefined): void {
    const positive = code >= 200 && code < 300;
    switch (kind) {
      case 'greeting':
      case 'ehlo':
      case 'helo':
      case 'mail':
      case 'rset':
      case 'end-of-data':
      case 'starttls':
        this.accepted = [];
        break;
      case 'rcpt':
        if (positive && recipient !== undefined) {
          this.accepted.push(recipient);
        }
        break;
      default:
        break;
    }
  }
}

function recipientOf(command: string): string | undefined {
  const argument = addressArgumentOf(command);
  return argument === undefined ? undefined : argument.replace(/^<|>$/g, '');
}

/** The reply with its texts as they were on the wire, for the classifier's address and phrase matching. */
export function wireReply(reply: SmtpReply): SmtpReply {
  if (!reply.text.includes('\\')) {
    return reply;
  }
  return { ...reply, lines: reply.lines.map(unescapedText), text: unescapedText(reply.text) };
}

function unescapedText(text: string): string {
  return text.includes('\\') ? Buffer.from(unescapeWireText(text)).toString('utf8') : text;
}

/**
 * A reply that decides nothing about relay: an acceptance of anything but a recipient or a message (the
 * greeting, EHLO, RSET, an accepted MAIL, 354, QUIT...), or a reply no command asked for. Faces tag it
 * neutrally ("ok") rather than with a relay class; refusals and the replies to RCPT and to the end of a
 * message always keep their KB 304897 class. `kind` is undefined for an unsolicited reply.
 */
export function isNeutralReply(kind: SmtpCommandKind | undefined, classification: Pick<Classification, 'class' | 'signals'>): boolean {
  if (classification.class !== 'acceptance' || classification.signals.length > 0) {
    return false;
  }
  return kind !== 'rcpt' && kind !== 'end-of-data' && kind !== undefined;
}
