import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addressLiteralFor, domainOf, isLocalDomain, parseMailAddress } from '../../src/core/protocol/mailAddress';
import { inferLocalDomains, serverNameFromReply } from '../../src/core/relay/localDomains';
import { wireReply } from './wireReply';

describe('parseMailAddress: an address as the server splits it', () => {
  test('angle brackets are taken off and remembered; the bare KB form is read the same', () => {
    const bracketed = parseMailAddress('<user@example.com>');
    const bare = parseMailAddress('user@example.com');
    assert.equal(bracketed.bracketed, true);
    assert.equal(bare.bracketed, false);
    for (const parsed of [bracketed, bare]) {
      assert.equal(parsed.localPart, 'user');
      assert.equal(parsed.domain, 'example.com');
      assert.equal(parsed.mailbox, 'user@example.com');
    }
  });

  test('<> is the null sender', () => {
    const parsed = parseMailAddress('<>');
    assert.equal(parsed.isNull, true);
    assert.equal(parsed.domain, undefined);
  });

  test('an address without "@" has no domain (the server appends its own)', () => {
    assert.equal(domainOf('<postmaster>'), undefined);
    assert.equal(domainOf('victim%example.net'), undefined);
  });

  test('a quoted local part may hold "@": the domain is after the last "@" outside quotes', () => {
    const parsed = parseMailAddress('<"victim@example.net"@example.com>');
    assert.equal(parsed.localPart, '"victim@example.net"');
    assert.equal(parsed.domain, 'example.com');
    assert.equal(parsed.quotedLocalPart, true);
    assert.equal(parsed.atSignsOutsideQuotes, 1);
  });

  test('a quoted local part alone has no domain', () => {
    const parsed = parseMailAddress('"victim@example.net"');
    assert.equal(parsed.domain, undefined);
    assert.equal(parsed.quotedLocalPart, true);
  });

  test('an escaped quote inside a quoted local part does not end it', () => {
    const parsed = parseMailAddress('"a\\"b@example.net"@example.com');
    assert.equal(parsed.domain, 'example.com');
    assert.equal(parsed.localPart, '"a\\"b@example.net"');
  });

  test('double @ outside quotes: the domain is after the last one, and the count shows the trick', () => {
    const parsed = parseMailAddress('<victim@example.net@[192.0.2.10]>');
    assert.equal(parsed.domain, '[192.0.2.10]');
    assert.equal(parsed.localPart, 'victim@example.net');
    assert.equal(parsed.atSignsOutsideQuotes, 2);
  });

  test('the % hack is split at the last "%"', () => {
    const parsed = parseMailAddress('victim%other%example.net@example.com');
    assert.deepEqual(parsed.percentHack, { user: 'victim%other', host: 'example.net' });
    assert.equal(parsed.domain, 'example.com');
  });

  test('"%" inside quotes is not a % hack', () => {
    assert.equal(parseMailAddress('"victim%example.net"').percentHack, undefined);
  });

  test('a bang path is split at the first "!"', () => {
    const parsed = parseMailAddress('<example.net!victim@example.com>');
    assert.deepEqual(parsed.bangPath, { host: 'example.net', user: 'victim' });
    assert.equal(parsed.domain, 'example.com');
  });

  test('a source route is taken off; the mailbox decides the domain', () => {
    const parsed = parseMailAddress('<@[192.0.2.10],@mx.example.com:victim@example.net>');
    assert.deepEqual(parsed.sourceRoute, ['[192.0.2.10]', 'mx.example.com']);
    assert.equal(parsed.mailbox, 'victim@example.net');
    assert.equal(parsed.domain, 'example.net');
  });

  test('IPv4 and IPv6 address literals are recognised', () => {
    assert.equal(parseMailAddress('user@[192.0.2.10]').addressLiteral, '192.0.2.10');
    assert.equal(parseMailAddress('user@[IPv6:2001:db8::1]').addressLiteral, '2001:db8::1');
    assert.equal(parseMailAddress('user@example.com').addressLiteral, undefined);
  });

  test('addressLiteralFor writes the RFC 5321 forms', () => {
    assert.equal(addressLiteralFor('192.0.2.10'), '[192.0.2.10]');
    assert.equal(addressLiteralFor('::1'), '[IPv6:::1]');
  });
});

describe('isLocalDomain', () => {
  test('matches case-insensitively and ignores a trailing dot', () => {
    assert.equal(isLocalDomain('EXAMPLE.com', ['example.COM']), true);
    assert.equal(isLocalDomain('example.com.', ['example.com']), true);
  });

  test('a subdomain of a local domain is not local (exact match only)', () => {
    assert.equal(isLocalDomain('mail.example.com', ['example.com']), false);
    assert.equal(isLocalDomain('example.com', ['mail.example.com']), false);
  });

  test('an address literal is local when its address is listed, bare or bracketed', () => {
    assert.equal(isLocalDomain('[192.0.2.10]', ['192.0.2.10']), true);
    assert.equal(isLocalDomain('[192.0.2.10]', ['[192.0.2.10]']), true);
    assert.equal(isLocalDomain('[IPv6:::1]', ['::1']), true);
    assert.equal(isLocalDomain('[192.0.2.11]', ['192.0.2.10']), false);
  });

  test('an IPv4-mapped IPv6 server address matches the IPv4 literal', () => {
    assert.equal(isLocalDomain('[127.0.0.1]', ['::ffff:127.0.0.1']), true);
  });

  test('an empty domain is never local', () => {
    assert.equal(isLocalDomain('', ['example.com']), false);
  });
});

describe('inferLocalDomains: the server name from banner and EHLO, and its parent domain', () => {
  test('banner and EHLO name plus the parent domain, without duplicates', () => {
    const greeting = wireReply('220 mx.example.com ESMTP Postfix');
    const ehlo = wireReply('250-MX.example.com Hello client.example.org', '250 PIPELINING');
    assert.deepEqual(inferLocalDomains(greeting, ehlo), ['mx.example.com', 'example.com']);
  });

  test('configured domains always win', () => {
    const greeting = wireReply('220 mx.example.com ESMTP');
    assert.deepEqual(inferLocalDomains(greeting, undefined, ['example.org']), ['example.org']);
  });

  test('a two-label name is its own domain: no parent is guessed', () => {
    assert.deepEqual(inferLocalDomains(wireReply('220 example.com ESMTP'), undefined), ['example.com']);
  });

  test('a banner that starts with no host name gives nothing', () => {
    assert.deepEqual(inferLocalDomains(wireReply('220 ***************************'), undefined), []);
    assert.equal(serverNameFromReply(wireReply('220 ESMTP ready')), undefined);
    assert.equal(serverNameFromReply(wireReply('220 localhost ESMTP')), 'localhost');
  });

  test('an EHLO name different from the banner is added too', () => {
    const greeting = wireReply('220 gw.example.org ESMTP');
    const ehlo = wireReply('250 mail.example.com');
    assert.deepEqual(inferLocalDomains(greeting, ehlo), ['gw.example.org', 'example.org', 'mail.example.com', 'example.com']);
  });
});
