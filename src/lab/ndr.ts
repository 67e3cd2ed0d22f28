import { randomBytes } from 'node:crypto';

/** One recipient the message could not be delivered to. */
export interface FailedRecipient {
  /** The address as the server understood it (Final-Recipient). */
  address: string;
  /** RFC 3463 status, e.g. "5.1.1". */
  status: string;
  /** RFC 3464 Diagnostic-Code value with its type, e.g. "smtp; 550 5.1.1 User unknown". */
  diagnostic: string;
}

export interface NonDeliveryReportInput {
  /** The server that gives up, e.g. "mail.corp.example" (Reporting-MTA and the From address). */
  reportingMta: string;
  /** The envelope sender of the original message: the NDR goes there. */
  originalSender: string;
  failedRecipients: FailedRecipient[];
  /** The original message as received after DATA (headers and body). */
  originalMessage: string;
  arrivalDate: Date;
  createdAt?: Date;
  /** Fixed values make the output reproducible in tests. */
  boundary?: string;
  messageId?: string;
}

/**
 * Builds a non-delivery report as RFC 3464 defines it: a multipart/report with a human-readable
 * part, a message/delivery-status part (per-message fields, then per-recipient fields), and the
 * original headers as text/rfc822-headers (RFC 6522). It is meant to be sent with the null sender,
 * MAIL FROM:<>, to `originalSender`. Lines end with CRLF, as on the wire.
 */
export function buildNonDeliveryReport(input: NonDeliveryReportInput): string {
  const createdAt = input.createdAt ?? new Date();
  const boundary = input.boundary ?? `=_ndr_${randomBytes(9).toString('hex')}`;
  const messageId = input.messageId ?? `${randomBytes(9).toString('hex')}@${input.reportingMta}`;
  const originalHeaders = headerSectionOf(input.originalMessage);
  const originalSubject = headerValue(originalHeaders, 'Subject');

  const topHeaders = [
    `From: Mail Delivery System <MAILER-DAEMON@${input.reportingMta}>`,
    `To: <${input.originalSender}>`,
    `Subject: Undeliverable: ${originalSubject ?? '(no subject)'}`,
    `Date: ${formatRfc5322Date(createdAt)}`,
    `Message-ID: <${messageId}>`,
    // RFC 3834: an automatic reply, so that auto-responders do not answer it.
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
  ];

  const humanPart = [
    'Content-Type: text/plain; charset=utf-8',
    '',
    `This is the mail system at ${input.reportingMta}.`,
    '',
    'Your message could not be delivered to the recipients below. The server accepted it',
    'at RCPT without a directory lookup (RFC 5321 section 4.2.5 lets it decide later) and',
    'found afterwards that the address does not resolve to a mailbox. The message was not',
    'forwarded to any other server.',
    '',
    ...input.failedRecipients.map((recipient) => `  <${recipient.address}>: ${recipient.diagnostic.replace(/^smtp;\s*/i, '')}`),
  ];

  const statusPart = [
    'Content-Type: message/delivery-status',
    '',
    `Reporting-MTA: dns; ${input.reportingMta}`,
    `Arrival-Date: ${formatRfc5322Date(input.arrivalDate)}`,
    ...input.failedRecipients.flatMap((recipient) => [
      '',
      `Final-Recipient: rfc822; ${recipient.address}`,
      'Action: failed',
      `Status: ${recipient.status}`,
      `Diagnostic-Code: ${recipient.diagnostic}`,
    ]),
  ];

  const headersPart = ['Content-Type: text/rfc822-headers', '', ...originalHeaders];

  const lines = [
    ...topHeaders,
    '',
    'This is a MIME-formatted message. Its second part is a machine-readable delivery status (RFC 3464).',
    '',
    `--${boundary}`,
    ...humanPart,
    '',
    `--${boundary}`,
    ...statusPart,
    '',
    `--${boundary}`,
    ...headersPart,
    '',
    `--${boundary}--`,
    '',
  ];
  return lines.join('\r\n');
}

/** The header lines of a message (up to the first empty line), folded lines kept as they are. */
export function headerSectionOf(message: string): string[] {
  const lines = message.split(/\r?\n/);
  const end = lines.findIndex((line) => line === '');
  return end < 0 ? lines : lines.slice(0, end);
}

/** The unfolded value of the first header with that name. */
export function headerValue(headerLines: string[], name: string): string | undefined {
  const prefix = `${name.toLowerCase()}:`;
  const start = headerLines.findIndex((line) => line.toLowerCase().startsWith(prefix));
  if (start < 0) {
    return undefined;
  }
  let value = headerLines[start].slice(prefix.length);
  for (let index = start + 1; index < headerLines.length && /^[ \t]/.test(headerLines[index]); index++) {
    value += headerLines[index];
  }
  return value.replace(/\s+/g, ' ').trim();
}

/** "Tue, 10 Feb 2026 09:30:00 +0000" (RFC 5322 §3.3, in UTC). */
export function formatRfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}
