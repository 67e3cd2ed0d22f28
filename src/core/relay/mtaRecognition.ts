import type { SmtpReply } from '../protocol/reply';

/**
 * Which mail server software answers, from what it says about itself in the banner and the EHLO reply.
 * Only used to word advice in that server's own terms: a wrong or missing guess changes no verdict.
 */
export type MtaName = 'postfix' | 'exim' | 'opensmtpd' | 'exchange' | 'sendmail';

export interface RecognisedMta {
  name: MtaName;
  /** How the product calls itself, for a report: "Postfix", "Microsoft Exchange". */
  label: string;
  /** The words that gave it away, as the server wrote them (bounded). */
  evidence: string;
}

const signatures: ReadonlyArray<{ name: MtaName; label: string; pattern: RegExp }> = [
  { name: 'postfix', label: 'Postfix', pattern: /\bpostfix\b/i },
  { name: 'exim', label: 'Exim', pattern: /\bexim(?:\s+\d[\w.]*)?/i },
  { name: 'opensmtpd', label: 'OpenSMTPD', pattern: /\bopensmtpd\b/i },
  {
    name: 'exchange',
    label: 'Microsoft Exchange',
    pattern: /\bmicrosoft (?:esmtp mail service|exchange\b[^\r\n]*)|\bmicrosoft esmtp\b|\bexchange server\b/i,
  },
  { name: 'sendmail', label: 'Sendmail', pattern: /\bsendmail(?:\s+\d[\w./]*)?/i },
];

/** The text a server shows of itself: the greeting and the EHLO reply lines. Bounded before any regex. */
function selfDescription(replies: readonly (SmtpReply | undefined)[]): string {
  return replies
    .flatMap((reply) => reply?.lines ?? [])
    .map((line) => line.slice(0, 512))
    .join('\n')
    .slice(0, 8192);
}

export function recogniseMta(greeting: SmtpReply | undefined, ehloReply?: SmtpReply): RecognisedMta | undefined {
  const text = selfDescription([greeting, ehloReply]);
  for (const signature of signatures) {
    const match = signature.pattern.exec(text);
    if (match) {
      return { name: signature.name, label: signature.label, evidence: match[0].slice(0, 80) };
    }
  }
  return undefined;
}
