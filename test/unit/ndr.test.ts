import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNonDeliveryReport, formatRfc5322Date, headerValue } from '../../src/lab/ndr';
import { contentTypeParameter, deliveryStatusBlocks, multipartParts, parseEntity } from '../support/mimeReport';

const original = [
  'From: Admin <admin@corp.example>',
  'To: <R%example.net@corp.example>',
  'Subject: relay test 6',
  '  folded on a second line',
  'Message-ID: <original-1@client.example.com>',
  '',
  'This body must not come back in the report.',
  '',
].join('\r\n');

function sampleReport(recipients = [{ address: 'R%example.net@corp.example', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 no such mailbox' }]) {
  return buildNonDeliveryReport({
    reportingMta: 'mail.corp.example',
    originalSender: 'admin@corp.example',
    failedRecipients: recipients,
    originalMessage: original,
    arrivalDate: new Date(Date.UTC(2026, 1, 10, 9, 30, 0)),
    createdAt: new Date(Date.UTC(2026, 1, 10, 9, 30, 5)),
    boundary: 'ndr-boundary',
    messageId: 'ndr-1@mail.corp.example',
  });
}

describe('RFC 3464 non-delivery report', () => {
  test('is a multipart/report of report-type delivery-status, addressed to the original sender', () => {
    const report = parseEntity(sampleReport());
    const contentType = report.headers.get('content-type') ?? '';
    assert.match(contentType, /^multipart\/report;/);
    assert.equal(contentTypeParameter(contentType, 'report-type'), 'delivery-status');
    assert.equal(report.headers.get('to'), '<admin@corp.example>');
    assert.equal(report.headers.get('mime-version'), '1.0');
    assert.equal(report.headers.get('auto-submitted'), 'auto-replied');
    assert.equal(report.headers.get('subject'), 'Undeliverable: relay test 6 folded on a second line');
  });

  test('has a human-readable part, a message/delivery-status part and the original headers, in that order', () => {
    const parts = multipartParts(parseEntity(sampleReport()));
    assert.deepEqual(
      parts.map((part) => part.headers.get('content-type')?.split(';')[0]),
      ['text/plain', 'message/delivery-status', 'text/rfc822-headers'],
    );
    assert.match(parts[0].body, /<R%example\.net@corp\.example>: 550 5\.1\.1 no such mailbox/);
    assert.match(parts[0].body, /not\s+forwarded to any other server/);
  });

  test('the delivery-status part names the reporting MTA, then per recipient: Final-Recipient, Action failed, Status, Diagnostic-Code', () => {
    const status = multipartParts(parseEntity(sampleReport()))[1];
    const [perMessage, perRecipient, ...rest] = deliveryStatusBlocks(status.body);
    assert.equal(perMessage.get('reporting-mta'), 'dns; mail.corp.example');
    assert.equal(perMessage.get('arrival-date'), 'Tue, 10 Feb 2026 09:30:00 +0000');
    assert.equal(perRecipient.get('final-recipient'), 'rfc822; R%example.net@corp.example');
    assert.equal(perRecipient.get('action'), 'failed');
    assert.equal(perRecipient.get('status'), '5.1.1');
    assert.equal(perRecipient.get('diagnostic-code'), 'smtp; 550 5.1.1 no such mailbox');
    assert.deepEqual(rest, []);
  });

  test('every failed recipient gets its own block', () => {
    const recipients = [
      { address: 'R%example.net@corp.example', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 one' },
      { address: '"R@example.net"@corp.example', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 two' },
    ];
    const status = multipartParts(parseEntity(sampleReport(recipients)))[1];
    const blocks = deliveryStatusBlocks(status.body).slice(1);
    assert.deepEqual(
      blocks.map((block) => block.get('final-recipient')),
      ['rfc822; R%example.net@corp.example', 'rfc822; "R@example.net"@corp.example'],
    );
  });

  test('returns the original headers but not the original body', () => {
    const report = sampleReport();
    const headersPart = multipartParts(parseEntity(report))[2];
    assert.match(headersPart.body, /^From: Admin <admin@corp\.example>\r\n/);
    assert.match(headersPart.body, /Message-ID: <original-1@client\.example\.com>/);
    assert.doesNotMatch(report, /This body must not come back/);
  });

  test('uses CRLF line endings only, as on the wire', () => {
    assert.doesNotMatch(sampleReport(), /[^\r]\n/);
  });

  test('reads the subject of a message that has none as "(no subject)"', () => {
    const report = buildNonDeliveryReport({
      reportingMta: 'mail.corp.example',
      originalSender: 'a@example.com',
      failedRecipients: [{ address: 'x@corp.example', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 x' }],
      originalMessage: 'From: a@example.com\r\n\r\nbody\r\n',
      arrivalDate: new Date(0),
    });
    assert.equal(parseEntity(report).headers.get('subject'), 'Undeliverable: (no subject)');
  });

  test('header helpers unfold values and format dates in RFC 5322 form', () => {
    assert.equal(headerValue(['Subject: a', '\tb', 'X: y'], 'subject'), 'a b');
    assert.equal(headerValue(['X: y'], 'Subject'), undefined);
    assert.equal(formatRfc5322Date(new Date(Date.UTC(2001, 0, 2, 3, 4, 5))), 'Tue, 02 Jan 2001 03:04:05 +0000');
  });
});
