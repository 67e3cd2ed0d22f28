import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { capabilitiesOfHeloReply, parseEhloReply } from '../../src/core/protocol/capabilities';
import type { SmtpReply } from '../../src/core/protocol/reply';

function ehloReply(...lines: string[]): SmtpReply {
  return { code: 250, lines, text: lines.join('\n') };
}

describe('EHLO capabilities', () => {
  const postfix = ehloReply(
    'mail.example.com',
    'PIPELINING',
    'SIZE 10240000',
    'VRFY',
    'ETRN',
    'STARTTLS',
    'AUTH PLAIN LOGIN',
    'AUTH=PLAIN LOGIN',
    'ENHANCEDSTATUSCODES',
    '8BITMIME',
    'DSN',
    'SMTPUTF8',
    'CHUNKING',
  );

  test('the domain is the first word of the first line', () => {
    assert.equal(parseEhloReply(ehloReply('mx.example.org Hello client.example.com [127.0.0.1]')).domain, 'mx.example.org');
  });

  test('a Postfix-like reply announces every extension we act on', () => {
    const capabilities = parseEhloReply(postfix);
    assert.equal(capabilities.size, 10240000);
    assert.equal(capabilities.starttls, true);
    assert.deepEqual(capabilities.authMechanisms, ['PLAIN', 'LOGIN']);
    assert.equal(capabilities.pipelining, true);
    assert.equal(capabilities.enhancedStatusCodes, true);
    assert.equal(capabilities.eightBitMime, true);
    assert.equal(capabilities.dsn, true);
    assert.equal(capabilities.smtputf8, true);
    assert.equal(capabilities.chunking, true);
    assert.deepEqual(capabilities.keywords.get('VRFY'), []);
  });

  test('a bare reply announces nothing', () => {
    const capabilities = parseEhloReply(ehloReply('mail.example.com'));
    assert.equal(capabilities.size, undefined);
    assert.equal(capabilities.starttls, false);
    assert.deepEqual(capabilities.authMechanisms, []);
    assert.equal(capabilities.pipelining, false);
    assert.equal(capabilities.keywords.size, 0);
  });

  test('the old AUTH= form alone still gives the mechanisms, upper-cased', () => {
    assert.deepEqual(parseEhloReply(ehloReply('mail.example.com', 'AUTH=login cram-md5')).authMechanisms, ['LOGIN', 'CRAM-MD5']);
  });

  test('keywords are matched without regard to case', () => {
    const capabilities = parseEhloReply(ehloReply('mail.example.com', 'starttls', 'Pipelining', 'size 1000'));
    assert.equal(capabilities.starttls, true);
    assert.equal(capabilities.pipelining, true);
    assert.equal(capabilities.size, 1000);
  });

  test('SIZE without a number means no announced limit', () => {
    assert.equal(parseEhloReply(ehloReply('mail.example.com', 'SIZE')).size, undefined);
  });

  test('a HELO reply gives the domain and no extensions, whatever its text says', () => {
    const capabilities = capabilitiesOfHeloReply(ehloReply('old.example.com pleased to meet you', 'STARTTLS'));
    assert.equal(capabilities.domain, 'old.example.com');
    assert.equal(capabilities.starttls, false);
  });
});
