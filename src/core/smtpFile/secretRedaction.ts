/**
 * `{{$secret name}}` values (and the CLI's AUTH password) are redacted as `***` from everything a run
 * records or reports: its transcript events, the commands and replies of its results, its errors, and what a
 * face writes about it (the target in a transcript header or a report, when a secret says where to connect).
 * No `vscode` here.
 */
import type { SmtpReply } from '../protocol/reply';
import { escapeWireBytes } from '../protocol/wireText';

export class SecretRedactor {
  /** Each secret as given and as a transcript records it (wire-escaped), longest first. */
  private forms: string[] = [];
  private readonly given = new Set<string>();

  constructor(secrets: Iterable<string> = []) {
    this.add(secrets);
  }

  /** The secrets as given (for another redactor to take them over). */
  get secrets(): string[] {
    return [...this.given];
  }

  get isEmpty(): boolean {
    return this.forms.length === 0;
  }

  add(secrets: Iterable<string>): void {
    const known = new Set(this.forms);
    for (const secret of secrets) {
      if (secret.length > 0) {
        this.given.add(secret);
        known.add(secret);
        known.add(escapeWireBytes(Buffer.from(secret, 'utf8')));
      }
    }
    this.forms = [...known].sort((a, b) => b.length - a.length);
  }

  /** The text with every secret replaced by "***". */
  redact(text: string): string {
    return this.forms.reduce((redacted, secret) => redacted.split(secret).join('***'), text);
  }

  /** The reply, or a copy with the secrets it echoes (an EHLO name, an address) redacted. */
  redactReply(reply: SmtpReply): SmtpReply {
    const holds = (text: string): boolean => this.forms.some((secret) => text.includes(secret));
    if (this.isEmpty || !(holds(reply.text) || reply.lines.some(holds))) {
      return reply;
    }
    return { ...reply, text: this.redact(reply.text), lines: reply.lines.map((line) => this.redact(line)) };
  }
}
