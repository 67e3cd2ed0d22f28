import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { commandArgument, parseMailPath, type MailPath } from '../../src/lab/mailPath';
import type { LabSite } from '../../src/lab/site';
import { routeLikeUnixMta } from '../../src/lab/unixRouting';

const site: LabSite = { serverName: 'mail.corp.example', localDomains: ['corp.example'], localUsers: ['admin'], serverAddresses: ['127.0.0.1'] };

function parsed(argument: string): MailPath {
  const path = parseMailPath(argument);
  assert.ok(path, `expected ${JSON.stringify(argument)} to parse`);
  return path;
}

describe('practice server address forms', () => {
  test('reads the bracketed and the KB bare forms, with ESMTP parameters after the path', () => {
    assert.deepEqual(parsed('<user@example.net> SIZE=100 BODY=8BITMIME'), {
      text: 'user@example.net', bracketed: true, isNull: false, sourceRoute: undefined, localPart: 'user', domain: 'example.net', parameters: ['SIZE=100', 'BODY=8BITMIME'],
    });
    const bare = parsed('UserName');
    assert.equal(bare.bracketed, false);
    assert.equal(bare.localPart, 'UserName');
    assert.equal(bare.domain, undefined);
  });

  test('keeps an "@" inside quotes in the local part, and splits at the last unquoted "@"', () => {
    assert.deepEqual([parsed('"R@RD.example"').localPart, parsed('"R@RD.example"').domain], ['"R@RD.example"', undefined]);
    assert.deepEqual([parsed('<"R@RD.example"@corp.example>').localPart, parsed('<"R@RD.example"@corp.example>').domain], ['"R@RD.example"', 'corp.example']);
    assert.deepEqual([parsed('<T@D.example@[127.0.0.1]>').localPart, parsed('<T@D.example@[127.0.0.1]>').domain], ['T@D.example', '[127.0.0.1]']);
    assert.equal(parsed('"John Smith"@corp.example').localPart, '"John Smith"');
  });

  test('separates a source route, the null path, and refuses broken syntax', () => {
    const routed = parsed('<@[127.0.0.1]:T@D.example>');
    assert.deepEqual([routed.sourceRoute, routed.localPart, routed.domain], ['@[127.0.0.1]', 'T', 'D.example']);
    assert.equal(parsed('<>').isNull, true);
    for (const broken of ['', '<user@example.net', 'user@', '@example.net', '<"unbalanced@example.net>', '<a@b\u0001c>', '<@route-without-colon>']) {
      assert.equal(parseMailPath(broken), undefined, JSON.stringify(broken));
    }
  });

  test('finds the argument after MAIL FROM: and RCPT TO:, tolerating a space before it', () => {
    assert.equal(commandArgument('MAIL FROM:<a@b.example>', 'MAIL'), '<a@b.example>');
    assert.equal(commandArgument('rcpt to: <a@b.example>', 'RCPT'), ' <a@b.example>');
    assert.equal(commandArgument('MAIL <a@b.example>', 'MAIL'), undefined);
  });

  test('a Unix MTA resolves percent, quoted, bang, double-@ and routed recipients to the remote domain', () => {
    for (const argument of ['R%example.net', '<R%example.net@corp.example>', '"R@example.net"', '<example.net!R>', '<R@example.net@[127.0.0.1]>', '<@mail.corp.example:R@example.net>']) {
      assert.deepEqual(routeLikeUnixMta(parsed(argument), site), { kind: 'remote', user: 'R', domain: 'example.net' }, argument);
    }
  });

  test('a Unix MTA keeps local addresses local, appending the local domain to a bare name', () => {
    assert.deepEqual(routeLikeUnixMta(parsed('admin'), site), { kind: 'local', user: 'admin', domain: 'corp.example' });
    assert.deepEqual(routeLikeUnixMta(parsed('<admin%corp.example@mail.corp.example>'), site), { kind: 'local', user: 'admin', domain: 'corp.example' });
    assert.deepEqual(routeLikeUnixMta(parsed('<admin@[127.0.0.1]>'), site), { kind: 'local', user: 'admin', domain: '[127.0.0.1]' });
  });
});
