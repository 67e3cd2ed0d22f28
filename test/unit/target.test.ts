import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  asClientProblem,
  newTarget,
  parseAddressAsClient,
  parseHostPort,
  readTarget,
  readTargetList,
  sessionOptionsFor,
  suggestedTlsMode,
  targetIdentity,
  targetSettingEntry,
  typedMailDomain,
  typedTargetChoices,
} from '../../src/extension/target';

describe('parseHostPort', () => {
  test('a host without a port gets port 25', () => {
    assert.deepEqual(parseHostPort('mail.example.com'), { host: 'mail.example.com', port: 25 });
  });

  test('host:port is split at the colon', () => {
    assert.deepEqual(parseHostPort(' mail.example.com:587 '), { host: 'mail.example.com', port: 587 });
  });

  test('a bracketed IPv6 address may carry a port, a bare one may not', () => {
    assert.deepEqual(parseHostPort('[::1]:2525'), { host: '::1', port: 2525 });
    assert.deepEqual(parseHostPort('::1'), { host: '::1', port: 25 });
  });

  test('ports outside 1-65535 and non-numbers are refused with a reason', () => {
    for (const text of ['mail.example.com:0', 'mail.example.com:70000', 'mail.example.com:smtp', 'mail.example.com:']) {
      const parsed = parseHostPort(text);
      assert.ok('error' in parsed, text);
      assert.match(parsed.error, /port/);
    }
  });

  test('an email address or a URL is not taken for a host', () => {
    assert.ok('error' in parseHostPort('user@example.com'));
    assert.ok('error' in parseHostPort('smtp://mail.example.com'));
    assert.ok('error' in parseHostPort('   '));
  });
});

describe('suggestedTlsMode', () => {
  test('port 465 speaks implicit TLS, other ports STARTTLS', () => {
    assert.equal(suggestedTlsMode(465), 'implicit');
    assert.equal(suggestedTlsMode(587), 'starttls');
    assert.equal(suggestedTlsMode(25), 'starttls');
  });
});

describe('readTarget (an entry of the targets setting)', () => {
  test('a full entry keeps every field', () => {
    const target = readTarget({
      name: 'Front door',
      host: 'mx.example.com',
      port: 2525,
      tls: 'none',
      rejectUnauthorized: false,
      localDomains: ['example.com', 'example.org'],
      localUser: 'alice',
      remoteDomain: 'example.net',
      heloName: 'probe.example.com',
      username: 'alice',
    });
    assert.deepEqual(target, {
      label: 'Front door',
      host: 'mx.example.com',
      port: 2525,
      tls: 'none',
      rejectUnauthorized: false,
      localDomains: ['example.com', 'example.org'],
      localUser: 'alice',
      remoteDomain: 'example.net',
      heloName: 'probe.example.com',
      username: 'alice',
    });
  });

  test('a host alone gets safe defaults: port 25, STARTTLS, certificate checked, reserved remote domain', () => {
    assert.deepEqual(readTarget({ host: 'mx.example.com' }), newTarget('mx.example.com', 25, 'starttls'));
    assert.equal(readTarget({ host: 'mx.example.com' })?.rejectUnauthorized, true);
    assert.equal(readTarget({ host: 'mx.example.com' })?.remoteDomain, 'example.net');
  });

  test('fields of the wrong type fall back to their defaults instead of breaking the target', () => {
    const target = readTarget({ host: 'mx.example.com', port: '25', tls: 'ssl', rejectUnauthorized: 'no', localDomains: 'example.com' });
    assert.equal(target?.port, 25);
    assert.equal(target?.tls, 'starttls');
    assert.equal(target?.rejectUnauthorized, true);
    assert.deepEqual(target?.localDomains, ['example.com']);
  });

  test('an IPv6 host is accepted with or without brackets', () => {
    assert.equal(readTarget({ host: '::1', port: 2525 })?.host, '::1');
    assert.equal(readTarget({ host: '[::1]', port: 2525 })?.host, '::1');
    assert.equal(readTarget({ host: '::1', port: 2525 })?.label, '[::1]:2525');
  });

  test('entries without a usable host are dropped from the list', () => {
    assert.deepEqual(
      readTargetList([{ port: 25 }, { host: '' }, { host: 'a b' }, 'mx.example.com', null, { host: 'mx.example.com' }])?.map((t) => t.host),
      ['mx.example.com'],
    );
    assert.equal(readTargetList({ host: 'mx.example.com' }), undefined);
  });
});

describe('readTarget: asClient (test as an outside client through XCLIENT)', () => {
  test('an IPv4 or IPv6 literal is kept (an IPv6 one without its brackets), and the engine gets it', () => {
    const v4 = readTarget({ host: 'mx.example.com', asClient: ' 203.0.113.9 ' })!;
    assert.equal(v4.asClient, '203.0.113.9');
    assert.equal(asClientProblem(v4), undefined);
    assert.equal(sessionOptionsFor(v4).asClient, '203.0.113.9');
    assert.equal(readTarget({ host: 'mx.example.com', asClient: '[2001:db8::9]' })?.asClient, '2001:db8::9');
    assert.equal(readTarget({ host: 'mx.example.com', asClient: '2001:db8::9' })?.asClient, '2001:db8::9');
  });

  test('absent or empty: no asClient, and the engine is not asked for XCLIENT', () => {
    for (const asClient of [undefined, null, '', '   ']) {
      const target = readTarget({ host: 'mx.example.com', asClient })!;
      assert.equal(target.asClient, undefined, String(asClient));
      assert.equal('asClient' in sessionOptionsFor(target), false);
    }
  });

  test('a value that is no IP is kept so that it is refused with a reason, never dropped (that would test from here)', () => {
    for (const asClient of ['mail.example.com', '203.0.113.999', 203, ['203.0.113.9'], '203.0.113.9 NAME=x']) {
      const target = readTarget({ host: 'mx.example.com', asClient })!;
      assert.notEqual(target.asClient, undefined, JSON.stringify(asClient));
      assert.match(asClientProblem(target) ?? '', /^the target's asClient ".*" is not an IP address: XCLIENT tests as an IPv4 or IPv6 address such as 203\.0\.113\.9\. Nothing was sent/);
    }
  });

  test('a hostile value is shown bounded and without control characters', () => {
    const target = readTarget({ host: 'mx.example.com', asClient: `\u001b[2J\r\nXCLIENT ADDR=10.0.0.1${'A'.repeat(10_000)}` })!;
    const problem = asClientProblem(target)!;
    assert.doesNotMatch(problem, /[\u0000-\u001f\u007f]/);
    assert.ok(problem.length < 300, `${problem.length} characters`);
    assert.ok(target.asClient!.length <= 200);
  });

  test('Add Target writes it back, and a target tested as another client is another entry of the recent list', () => {
    const outside = readTarget({ host: 'mx.example.com', asClient: '203.0.113.9' })!;
    assert.equal(targetSettingEntry(outside).asClient, '203.0.113.9');
    assert.deepEqual(readTarget(targetSettingEntry(outside)), outside);
    assert.notEqual(targetIdentity(outside), targetIdentity(readTarget({ host: 'mx.example.com' })!));
  });
});

describe('parseAddressAsClient: SMTP Add Target\'s address box, with an optional "as <ip>"', () => {
  test('without "as" it is host[:port] as before', () => {
    assert.deepEqual(parseAddressAsClient('mx.example.com:587'), { host: 'mx.example.com', port: 587 });
  });

  test('"as <ip>" adds the client to test as, IPv4 or IPv6', () => {
    assert.deepEqual(parseAddressAsClient('mx.example.com as 203.0.113.9'), { host: 'mx.example.com', port: 25, asClient: '203.0.113.9' });
    assert.deepEqual(parseAddressAsClient(' [::1]:2525 AS [2001:db8::9] '), { host: '::1', port: 2525, asClient: '2001:db8::9' });
  });

  test('"as" followed by what is no IP is refused with a reason', () => {
    const parsed = parseAddressAsClient('mx.example.com as outside.example.org');
    assert.ok('error' in parsed);
    assert.match(parsed.error, /"outside\.example\.org" is not an IP address: "as" takes the client address to test as/);
    assert.ok('error' in parseAddressAsClient('mx.example.com as'));
  });
});

describe('targetIdentity', () => {
  test('the same host, port and TLS mode is one target whatever its label', () => {
    const a = { ...newTarget('mx.example.com', 25, 'starttls'), label: 'A' };
    const b = { ...newTarget('mx.example.com', 25, 'starttls'), label: 'B' };
    assert.equal(targetIdentity(a), targetIdentity(b));
    assert.notEqual(targetIdentity(a), targetIdentity(newTarget('mx.example.com', 25, 'none')));
  });

  test('practice servers are identified by persona, since their port changes each run', () => {
    const first = { ...newTarget('127.0.0.1', 40001, 'none'), practicePersona: 'exchange' as const };
    const later = { ...newTarget('127.0.0.1', 40002, 'none'), practicePersona: 'exchange' as const };
    assert.equal(targetIdentity(first), targetIdentity(later));
  });
});

describe('sessionOptionsFor', () => {
  test('carries where and how to connect, and the certificate choice', () => {
    const target = { ...newTarget('mx.example.com', 465), rejectUnauthorized: false };
    assert.deepEqual(sessionOptionsFor(target, { replyMs: 5000 }), {
      host: 'mx.example.com',
      port: 465,
      tls: 'implicit',
      rejectUnauthorized: false,
      timeouts: { replyMs: 5000 },
    });
  });
});

describe('typedTargetChoices: what the target picker offers for typed text', () => {
  test('host:port is offered at once, the suggested TLS mode first: STARTTLS for 25 and 587, implicit for 465', () => {
    for (const [text, mode] of [['mx.example.com', 'starttls'], ['127.0.0.1:587', 'starttls'], ['mx.example.com:465', 'implicit']] as const) {
      const [first] = typedTargetChoices(text);
      assert.ok(first, text);
      assert.equal(first.suggested, true);
      assert.equal(first.target.tls, mode, text);
      assert.equal(first.target.rejectUnauthorized, true, 'the certificate is checked unless the user picks otherwise');
    }
  });

  test('the row names the address, and a bracketed IPv6 address keeps its brackets', () => {
    const [first] = typedTargetChoices('[::1]:2525');
    assert.equal(first?.label, 'Connect to [::1]:2525');
    assert.equal(first?.target.host, '::1');
    assert.equal(first?.target.port, 2525);
    assert.match(first!.description, /suggested for port 2525/);
  });

  test('STARTTLS is described as offered, not demanded: clear text when the server does not advertise it', () => {
    const [first] = typedTargetChoices('127.0.0.1:25');
    assert.match(first!.description, /STARTTLS when the server offers it, clear text otherwise/);
  });

  test('every TLS mode is there once, and the TLS modes also without certificate checks; only one is suggested', () => {
    const choices = typedTargetChoices('mx.example.com:25');
    assert.deepEqual(
      choices.map((choice) => `${choice.target.tls}/${choice.target.rejectUnauthorized}`),
      ['starttls/true', 'implicit/true', 'none/true', 'starttls/false', 'implicit/false'],
    );
    assert.equal(choices.filter((choice) => choice.suggested).length, 1);
  });

  test('text that is no address offers nothing', () => {
    for (const text of ['', 'user@example.com', 'smtp://mx.example.com', 'mx.example.com:99999']) {
      assert.deepEqual(typedTargetChoices(text), [], text);
    }
  });
});

describe('typedMailDomain', () => {
  test('a domain is recognised; an address with a port, an IP or a single label is not', () => {
    assert.equal(typedMailDomain('Example.COM.'), 'example.com');
    for (const text of ['example.com:25', '127.0.0.1', 'localhost', 'user@example.com', '[::1]']) {
      assert.equal(typedMailDomain(text), undefined, text);
    }
  });
});

describe('targetSettingEntry: what SMTP: Add Target writes to settings', () => {
  test('only what differs from the defaults, in the shape readTarget reads back', () => {
    const target = { ...newTarget('mx.example.com', 587, 'starttls'), label: 'Staging MX', localDomains: ['example.com'] };
    const entry = targetSettingEntry(target);
    assert.deepEqual(entry, { name: 'Staging MX', host: 'mx.example.com', port: 587, tls: 'starttls', localDomains: ['example.com'] });
    assert.deepEqual(readTarget(entry), target);
  });

  test('an unchecked certificate and a user name are kept; no password field exists', () => {
    const entry = targetSettingEntry({ ...newTarget('::1', 2525, 'implicit'), rejectUnauthorized: false, username: 'alice' });
    assert.deepEqual(entry, { host: '::1', port: 2525, tls: 'implicit', rejectUnauthorized: false, username: 'alice' });
  });
});
