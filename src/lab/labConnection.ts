import type net from 'node:net';
import type tls from 'node:tls';
import type { SMTPServer, SMTPServerAddress } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import { AuthExchangeRedaction } from '../core/protocol/authExchangeRedaction';
import { escapeWireBytes } from '../core/protocol/wireText';
import { commandArgument, parseMailPath } from './mailPath';
import type { AcceptedRecipient, LabReply, Persona } from './persona';
import type { ServerLog } from './serverLog';
import type { LabSite } from './site';

export interface LabConnectionContext {
  persona: Persona;
  site: LabSite;
  log: ServerLog;
}

/** smtp-server keeps the envelope; each recipient the lab accepts also carries the persona's decision. */
export interface LabRecipientAddress extends SMTPServerAddress {
  lab: AcceptedRecipient;
}

/**
 * One client connection of a practice server. smtp-server does the transport (sockets, STARTTLS,
 * line parsing, DATA and dot-unstuffing, timeouts); this subclass answers the commands whose
 * replies a persona must control. smtp-server has no option or hook for that: its greeting always
 * reads "<name> ESMTP", RSET always answers "Flushed", MAIL and RCPT always answer "Accepted",
 * and its address parser refuses the bare and quoted forms the KB tests are made of. So the
 * `handler_<VERB>` methods that its dispatcher looks up (typed in its declarations) are overridden.
 */
export class LabConnection extends SMTPConnection {
  private failedRecipients = 0;
  private closeRecorded = false;
  /** The log is shown live (the `lab` command) and read by tests: AUTH credentials are redacted in it too. */
  private readonly authRedaction = new AuthExchangeRedaction();
  private commandAnswersAuthExchange = false;

  constructor(
    server: SMTPServer,
    socket: net.Socket | tls.TLSSocket,
    options: SMTPConnectionOptions,
    private readonly lab: LabConnectionContext,
  ) {
    super(server, socket, options);
  }

  override _sendGreeting(): void {
    this.send(220, this.lab.persona.banner(this.lab.site), false);
  }

  override _onCommand(command: Buffer, callback?: () => void): void {
    const text = command.toString('utf8');
    const { shown, answersAuthExchange } = this.authRedaction.lineToSend(text);
    this.commandAnswersAuthExchange = answersAuthExchange;
    // Escaped from the bytes when nothing was redacted, so that invalid UTF-8 is logged as it came.
    this.record('command', shown === text ? escapeWireBytes(command) : escapeWireBytes(Buffer.from(shown, 'utf8')));
    super._onCommand(command, callback);
  }

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    // smtp-server handles one command at a time, so a reply answers the last command received.
    this.authRedaction.replyArrived(code, this.commandAnswersAuthExchange);
    // Mirrors smtp-server's own formatting, so that the log shows the lines as they were written.
    const enhanced = this._getEnhancedStatusCode(code, context);
    const lines = Array.isArray(data) ? data : [data ?? ''];
    lines.forEach((line, index) => {
      const separator = index < lines.length - 1 ? '-' : ' ';
      this.record('reply', `${code}${separator}${enhanced ? `${enhanced} ` : ''}${line}`.trimEnd());
    });
    super.send(code, data, context);
  }

  override _onClose(): void {
    if (!this.closeRecorded) {
      this.closeRecorded = true;
      this.record('close', 'connection closed');
    }
    super._onClose();
  }

  override handler_RSET(_command: Buffer, callback: () => void): void {
    this._resetSession();
    this.sendReply(this.lab.persona.replies.reset);
    callback();
  }

  override handler_MAIL(command: Buffer, callback: () => void): void {
    const { persona, site } = this.lab;
    if (this.session.envelope.mailFrom) {
      this.sendReply(persona.replies.nestedMail);
      return callback();
    }
    const path = this.pathOf(command, 'MAIL');
    if (!path) {
      this.sendReply(persona.replies.senderSyntax);
      return callback();
    }
    const decision = persona.mailFrom(path, site);
    if (decision.acceptedAddress !== undefined) {
      this.session.envelope.mailFrom = { address: decision.acceptedAddress, args: false };
    }
    this.sendReply(decision.reply);
    callback();
  }

  override handler_RCPT(command: Buffer, callback: () => void): void {
    const { persona, site } = this.lab;
    if (!this.session.envelope.mailFrom) {
      this.sendReply(persona.replies.needMail);
      return callback();
    }
    const path = this.pathOf(command, 'RCPT');
    if (!path) {
      this.sendReply(persona.replies.recipientSyntax);
      return callback();
    }
    // smtp-server's remoteAddress is the XCLIENT ADDR once one was accepted: the client the server now judges.
    const decision = persona.rcptTo(path, site, { address: this.session.remoteAddress });
    if (decision.accepted) {
      this.addRecipient({ address: decision.accepted.address, args: false, lab: decision.accepted });
    }
    const delayMs = decision.reply.code >= 400 && persona.rejectionDelayMs ? persona.rejectionDelayMs(++this.failedRecipients) : 0;
    if (delayMs <= 0) {
      this.sendReply(decision.reply);
      return callback();
    }
    // The tarpit holds the reply, and with it every command pipelined behind this one.
    this.record('note', `tarpit: holding the reply for ${delayMs} ms (failed recipient ${this.failedRecipients})`);
    setTimeout(() => {
      this.sendReply(decision.reply);
      callback();
    }, delayMs).unref();
  }

  /** Records a remark of the server in the log (the transaction outcome, the TLS upgrade). */
  note(text: string): void {
    this.record('note', text);
  }

  /** A recipient given twice (R%RD and "R@RD" may both resolve to R@RD) is kept once, as MTAs do. */
  private addRecipient(recipient: LabRecipientAddress): void {
    const recipients = this.session.envelope.rcptTo;
    const known = recipients.findIndex((existing) => existing.address.toLowerCase() === recipient.address.toLowerCase());
    if (known >= 0) {
      recipients[known] = recipient;
    } else {
      recipients.push(recipient);
    }
  }

  private pathOf(command: Buffer, verb: 'MAIL' | 'RCPT') {
    const argument = commandArgument(command.toString('utf8'), verb);
    return argument === undefined ? undefined : parseMailPath(argument);
  }

  /** Persona replies carry their own enhanced code, so smtp-server must not add one. */
  private sendReply(labReply: LabReply): void {
    this.send(labReply.code, labReply.text, false);
  }

  private record(kind: 'command' | 'reply' | 'note' | 'close', text: string): void {
    this.lab.log.record({ connectionId: this.id, kind, tls: this.secure, text });
  }
}
