import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplyContext } from '../../src/core/relay/classification';
import { classifyReply } from '../../src/core/relay/classifyReply';
import { wireReply } from './wireReply';

const localDomains = ['example.com', '192.0.2.10'];

function atRcpt(recipient: string): ReplyContext {
  return { command: `RCPT TO:<${recipient}>`, recipient, localDomains };
}

const atMail: ReplyContext = { command: 'MAIL FROM:<someone@example.net>', localDomains };

describe('classifyReply: the reply-code table of relay-reference.md, at RCPT', () => {
  test('250 for a remote recipient is an acceptance that relays', () => {
    const result = classifyReply(wireReply('250 2.1.5 Ok'), atRcpt('victim@example.net'));
    assert.equal(result.class, 'acceptance');
    assert.deepEqual(result.signals, ['relay']);
    assert.match(result.reason, /accepted for remote recipient/);
    assert.match(result.reason, /this server relays/);
  });

  test('251 for a remote recipient ("user not local; will forward") relays too', () => {
    const result = classifyReply(wireReply('251 2.1.5 User not local; will forward'), atRcpt('victim@example.net'));
    assert.equal(result.class, 'acceptance');
    assert.deepEqual(result.signals, ['relay']);
  });

  test('250 for a plain local recipient is ordinary inbound mail: not relayed, and no NDR promised', () => {
    const result = classifyReply(wireReply('250 2.1.5 Ok'), atRcpt('postmaster@example.com'));
    assert.equal(result.class, 'acceptance');
    assert.deepEqual(result.signals, ['local-recipient']);
    assert.match(result.reason, /accepted for local delivery: ordinary inbound mail/);
    assert.doesNotMatch(result.reason, /NDR/);
  });

  test('a local domain matches case-insensitively, a subdomain of it does not', () => {
    assert.deepEqual(classifyReply(wireReply('250 Ok'), atRcpt('User@EXAMPLE.COM')).signals, ['local-recipient']);
    assert.deepEqual(classifyReply(wireReply('250 Ok'), atRcpt('user@mail.example.com')).signals, ['relay']);
  });

  test('252 is an acceptance ("cannot verify, will attempt")', () => {
    const result = classifyReply(wireReply('252 2.0.0 Cannot VRFY user, but will accept message'), {
      command: 'VRFY postmaster',
      localDomains,
    });
    assert.equal(result.class, 'acceptance');
    assert.deepEqual(result.signals, []);
    assert.match(result.reason, /cannot verify/);
  });

  for (const line of [
    '450 4.2.0 <a@example.net>: Recipient address rejected: Greylisted',
    '451 4.3.0 Temporary local problem',
    '452 4.5.3 Too many recipients',
    '454 4.7.1 <a@example.net>: Relay access denied',
  ]) {
    test(`${line.slice(0, 3)} is a temporary rejection`, () => {
      const result = classifyReply(wireReply(line), atRcpt('a@example.net'));
      assert.equal(result.class, 'rejection');
      assert.equal(result.temporary, true);
    });
  }

  test('530 is a permanent rejection that asks for authentication (RFC 4954 5.7.0)', () => {
    const result = classifyReply(wireReply('530 5.7.0 Authentication required'), atRcpt('a@example.net'));
    assert.equal(result.class, 'rejection');
    assert.equal(result.temporary, false);
    assert.ok(result.signals.includes('auth-required'));
    assert.match(result.reason, /authentication required/);
  });

  test('530 without an enhanced code gets 5.7.0 inferred, kept apart from what the server sent', () => {
    const result = classifyReply(wireReply('530 Authentication required'), atRcpt('a@example.net'));
    assert.equal(result.enhanced, undefined);
    assert.equal(result.inferredEnhanced, '5.7.0');
    assert.ok(result.signals.includes('auth-required'));
  });

  test('530 asking for STARTTLS says so', () => {
    const result = classifyReply(wireReply('530 5.7.0 Must issue a STARTTLS command first'), atMail);
    assert.match(result.reason, /STARTTLS/);
  });

  test('550 5.7.1 is a policy rejection: relay denied', () => {
    const result = classifyReply(wireReply('550 5.7.1 Unable to relay for a@example.net'), atRcpt('a@example.net'));
    assert.equal(result.class, 'rejection');
    assert.equal(result.temporary, false);
    assert.equal(result.enhanced, '5.7.1');
    assert.match(result.enhancedMeaning ?? '', /delivery not authorized.*relay denied/);
    assert.ok(result.signals.includes('relay-denied'));
    assert.equal(result.reason, '550 5.7.1: relay denied: the server refused to forward to a domain it does not host.');
  });

  test('550 5.1.1 for a local user is a rejection with the harvest signal, citing the KB advice', () => {
    const result = classifyReply(
      wireReply('550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table'),
      atRcpt('nobody@example.com'),
    );
    assert.equal(result.class, 'rejection');
    assert.ok(result.signals.includes('harvest'));
    assert.ok(!result.signals.includes('relay-denied'));
    assert.match(result.reason, /harvest valid addresses/);
    assert.match(result.reason, /KB 304897 recommends a tarpit, or accepting and sending NDRs/);
  });

  test('550 "User unknown" without an enhanced code is a harvest signal too', () => {
    const result = classifyReply(wireReply('550 nobody@example.com... User unknown'), atRcpt('nobody@example.com'));
    assert.ok(result.signals.includes('harvest'));
  });

  test('5.1.1 at MAIL is not a harvest signal (it is about the sender)', () => {
    const result = classifyReply(wireReply('550 5.1.1 Sender unknown'), atMail);
    assert.ok(!result.signals.includes('harvest'));
  });

  for (const line of [
    '551 5.1.6 User not local; please try <a@example.org>',
    '553 5.1.3 <a%example.net>: Recipient address rejected: bad address syntax',
    '554 5.7.1 <a@example.net>: Recipient address rejected: Access denied',
  ]) {
    test(`${line.slice(0, 3)} is a permanent rejection`, () => {
      const result = classifyReply(wireReply(line), atRcpt('a@example.net'));
      assert.equal(result.class, 'rejection');
      assert.equal(result.temporary, false);
    });
  }

  test('553 without an enhanced code at RCPT gets 5.1.3 (bad mailbox syntax) inferred, never shown as sent', () => {
    const result = classifyReply(wireReply('553 malformed address'), atRcpt('a%example.net'));
    assert.equal(result.enhanced, undefined);
    assert.equal(result.enhancedMeaning, undefined);
    assert.equal(result.inferredEnhanced, '5.1.3');
    assert.match(result.reason, /inferred from 553: bad destination mailbox address syntax/);
  });

  test('501 to a bare address names the KB form and RFC 5321\'s <...> without blaming the brackets alone', () => {
    const result = classifyReply(wireReply('501 5.5.4 Syntax: MAIL FROM:<address>'), {
      command: 'MAIL FROM:user@example.net',
      localDomains,
    });
    assert.equal(result.class, 'rejection');
    assert.ok(result.signals.includes('syntax'));
    assert.match(result.reason, /the bare form KB 304897 types; RFC 5321 wants angle brackets, <user@example\.net>/);
    assert.match(result.reason, /the address itself may be what it refuses/);
  });

  test('555 to a bracketed quoted address is a syntax rejection that names the address form', () => {
    const result = classifyReply(wireReply('555 5.5.4 Unsupported option'), atRcpt('"a@example.net"'));
    assert.ok(result.signals.includes('syntax'));
    assert.match(result.reason, /<"a@example\.net">/);
  });

  test('500 is a syntax rejection', () => {
    const result = classifyReply(wireReply('500 5.5.2 Error: command not recognized'), { command: 'XYZZY', localDomains });
    assert.ok(result.signals.includes('syntax'));
  });

  test('421 is a temporary rejection with the service-closing signal', () => {
    const result = classifyReply(wireReply('421 4.4.2 mx.example.com Error: timeout exceeded'), atRcpt('a@example.net'));
    assert.equal(result.class, 'rejection');
    assert.equal(result.temporary, true);
    assert.ok(result.signals.includes('service-closing'));
  });
});

describe('classifyReply: relay-denial texts seen in the wild', () => {
  const denials: [string, string, boolean][] = [
    ['Postfix', '554 5.7.1 <a@example.net>: Relay access denied', false],
    ['Postfix defer_unauth_destination', '454 4.7.1 <a@example.net>: Relay access denied', true],
    ['Exim', '550 relay not permitted', false],
    ['qmail', "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", false],
    ['Exchange', '550 5.7.1 Unable to relay for a@example.net', false],
    ['Exchange (KB wording)', '550 5.7.1 Relaying prohibited', false],
    ['Sendmail', '450 4.7.1 <a@example.net>... Relaying temporarily denied. Cannot resolve PTR record', true],
    ['Sendmail', '550 5.7.1 <a@example.net>... Relaying denied', false],
  ];
  for (const [server, line, temporary] of denials) {
    test(`${server}: "${line}" is a ${temporary ? 'temporary' : 'permanent'} relay denial`, () => {
      const result = classifyReply(wireReply(line), atRcpt('a@example.net'));
      assert.equal(result.class, 'rejection');
      assert.equal(result.temporary, temporary);
      assert.ok(result.signals.includes('relay-denied'), `signals: ${result.signals.join(',')}`);
      assert.match(result.reason, /relay denied/);
    });
  }

  test('relay-denial texts are recognised without any enhanced code', () => {
    const result = classifyReply(wireReply('550 relay not permitted'), atRcpt('a@example.net'));
    assert.ok(result.signals.includes('relay-denied'));
    assert.equal(result.enhanced, undefined);
  });

  test("qmail's (#5.7.1) at the end of the text counts as the enhanced code", () => {
    const result = classifyReply(wireReply("553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"), atRcpt('a@example.net'));
    assert.equal(result.enhanced, '5.7.1');
  });

  test('an X.7.1 refusal at MAIL refuses the sender and is not called a relay denial', () => {
    const result = classifyReply(wireReply('550 5.7.1 Sender address rejected: Access denied'), atMail);
    assert.ok(!result.signals.includes('relay-denied'));
    assert.match(result.reason, /this sender/);
  });
});

describe('classifyReply: the effective recipient domain (KB tests 6 and 7, the nmap variants)', () => {
  test('250 to RCPT TO:<R%RD> echoed as R%RD@LD is NDR-pending with the local domain appended (KB test 6)', () => {
    const result = classifyReply(wireReply('250 2.1.5 victim%example.net@example.com'), atRcpt('victim%example.net'));
    assert.equal(result.class, 'ndr-pending');
    assert.deepEqual(result.signals, ['local-domain-appended']);
    assert.match(result.reason, /appended its local domain/);
  });

  test('250 to RCPT TO:<"R@RD"> echoed as "R@RD"@LD is NDR-pending with the local domain appended (KB test 7)', () => {
    const result = classifyReply(wireReply('250 2.1.5 "victim@example.net"@example.com'), atRcpt('"victim@example.net"'));
    assert.equal(result.class, 'ndr-pending');
    assert.deepEqual(result.signals, ['local-domain-appended']);
  });

  test("the KB's garbled Exchange echo (address glued to the next one) still reads as appended", () => {
    const result = classifyReply(
      wireReply('250 2.1.5 victim%example.net@example.comvictim@example.com'),
      atRcpt('victim%example.net'),
    );
    assert.equal(result.class, 'ndr-pending');
  });

  test('an appended domain that is not a local domain proves nothing: the echo must name a local domain', () => {
    // Evidence rules: only a LOCAL domain appended shows local handling; any other domain could be where it goes.
    const result = classifyReply(wireReply('250 2.1.5 victim%example.net@corp.example.org'), atRcpt('victim%example.net'));
    assert.equal(result.class, 'acceptance');
    assert.deepEqual(result.signals, ['relay']);
  });

  test('a routing form with no domain accepted with a bare 250 (no echo) is a relay: the KB test 6 case', () => {
    for (const recipient of ['victim%example.net', '"victim@example.net"', 'example.net!victim', '"victim%example.net"']) {
      const result = classifyReply(wireReply('250 2.1.5 Ok'), atRcpt(recipient));
      assert.equal(result.class, 'acceptance', recipient);
      assert.deepEqual(result.signals, ['relay'], recipient);
      assert.match(result.reason, /counts as relayed unless delivery proves otherwise/, recipient);
    }
  });

  for (const recipient of ['victim%example.net@example.com', '"victim@example.net"@example.com', 'example.net!victim@example.com']) {
    test(`${recipient} is addressed to the local domain (after the last @ outside quotes): ambiguous with a bare 250`, () => {
      const result = classifyReply(wireReply('250 2.1.5 Ok'), atRcpt(recipient));
      assert.equal(result.class, 'acceptance');
      assert.deepEqual(result.signals, ['ambiguous']);
      assert.match(result.reason, /Only delivery can tell/);
    });
  }

  test('an IP literal equal to the server address counts as local: a routing form at it is ambiguous', () => {
    const result = classifyReply(wireReply('250 2.1.5 Ok'), atRcpt('victim%example.net@[192.0.2.10]'));
    assert.deepEqual(result.signals, ['ambiguous']);
  });

  test('an IP literal of another address is remote', () => {
    const result = classifyReply(wireReply('250 2.1.5 Ok'), atRcpt('victim@[198.51.100.7]'));
    assert.equal(result.class, 'acceptance');
    assert.deepEqual(result.signals, ['relay']);
  });

  test('double @ ending in the server address is ambiguous, with a hint to confirm by delivery', () => {
    const result = classifyReply(wireReply('250 2.1.5 Ok'), atRcpt('victim@example.net@[192.0.2.10]'));
    assert.deepEqual(result.signals, ['ambiguous']);
    assert.match(result.reason, /a second "@"/);
    assert.match(result.reason, /confirmation by delivery/);
  });

  test('double @ ending in a remote domain is a relay', () => {
    const result = classifyReply(wireReply('250 2.1.5 Ok'), atRcpt('victim@example.com@example.net'));
    assert.equal(result.class, 'acceptance');
    assert.deepEqual(result.signals, ['relay']);
  });

  test('a source route through the server to a remote mailbox is a relay (RFC 5321 says deliver to the mailbox)', () => {
    const result = classifyReply(wireReply('250 2.1.5 Ok'), atRcpt('@example.com:victim@example.net'));
    assert.equal(result.class, 'acceptance');
    assert.deepEqual(result.signals, ['relay']);
  });

  test('an echo of the remote address as sent stays a relay', () => {
    const result = classifyReply(wireReply('250 2.1.5 <victim@example.net>... Recipient ok'), atRcpt('victim@example.net'));
    assert.equal(result.class, 'acceptance');
    assert.deepEqual(result.signals, ['relay']);
  });

  test('an unrelated local address in the reply does not hide a relay', () => {
    const result = classifyReply(wireReply('250 2.1.5 <postmaster@example.com> will be told'), atRcpt('victim@example.net'));
    assert.equal(result.class, 'acceptance');
    assert.deepEqual(result.signals, ['relay']);
  });

  test('a server that rewrites a % hack into the remote address and echoes it is relaying', () => {
    const result = classifyReply(wireReply('250 2.1.5 <victim@example.net>... Recipient ok'), atRcpt('victim%example.net@example.com'));
    assert.equal(result.class, 'acceptance');
    assert.deepEqual(result.signals, ['relay']);
    assert.match(result.reason, /rewrote/);
  });

  test('the recipient is read from the command when the context does not give it (bare KB form)', () => {
    const result = classifyReply(wireReply('250 2.1.5 Ok'), { command: 'RCPT TO:victim@example.net', localDomains });
    assert.deepEqual(result.signals, ['relay']);
  });
});

describe('classifyReply: replies to other commands', () => {
  test('the greeting is an acceptance without the relay signal and without an inferred enhanced code', () => {
    const result = classifyReply(wireReply('220 mx.example.com ESMTP Postfix'), { command: '', localDomains });
    assert.equal(result.class, 'acceptance');
    assert.deepEqual(result.signals, []);
    assert.equal(result.enhanced, undefined);
  });

  test('a 554 greeting is a rejection of the connection', () => {
    const result = classifyReply(wireReply('554 5.7.1 mx.example.com: no SMTP service for you'), { command: '', localDomains });
    assert.equal(result.class, 'rejection');
    assert.match(result.reason, /the connection/);
  });

  test('EHLO, MAIL, RSET and DATA 354 are acceptances without the relay signal', () => {
    for (const [line, command] of [
      ['250 mx.example.com Hello client.example.org', 'EHLO client.example.org'],
      ['250 2.1.0 Ok', 'MAIL FROM:<a@example.net>'],
      ['250 2.0.0 Ok', 'RSET'],
      ['354 End data with <CR><LF>.<CR><LF>', 'DATA'],
    ] as const) {
      const result = classifyReply(wireReply(line), { command, localDomains });
      assert.equal(result.class, 'acceptance', command);
      assert.deepEqual(result.signals, [], command);
    }
  });

  test('MAIL 250 without an enhanced code gets 2.1.0 inferred, apart from the enhanced code (which it did not send)', () => {
    const result = classifyReply(wireReply('250 Ok'), atMail);
    assert.equal(result.enhanced, undefined);
    assert.equal(result.inferredEnhanced, '2.1.0');
  });

  test('250 after end-of-data relays when an accepted recipient is remote', () => {
    const result = classifyReply(wireReply('250 2.0.0 Ok: queued as 4F2A1'), {
      command: '.',
      acceptedRecipients: ['postmaster@example.com', 'victim@example.net'],
      localDomains,
    });
    assert.equal(result.class, 'acceptance');
    assert.deepEqual(result.signals, ['relay']);
    assert.match(result.reason, /victim@example\.net/);
  });

  test('250 after end-of-data is NDR-pending when every accepted recipient is local', () => {
    const result = classifyReply(wireReply('250 2.0.0 Ok: queued as 4F2A1'), {
      command: '.',
      acceptedRecipients: ['victim%example.net'],
      localDomains,
    });
    assert.equal(result.class, 'ndr-pending');
    assert.match(result.reason, /RFC 5321 §4\.2\.5/);
  });

  test('a reply code outside 2xx-5xx is a protocol violation, never a rejection', () => {
    // Evidence rules: counting 199 as a refusal let a broken server read "closed".
    const result = classifyReply({ code: 199, lines: ['odd'], text: 'odd' }, atMail);
    assert.notEqual(result.class, 'rejection');
    assert.deepEqual(result.signals, ['protocol-violation']);
  });
});
