// The lab Postfix's configuration, read as text: the safety properties hold before anything starts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderLocalRecipients, renderMainCf, renderMasterCf, type PostfixLayout } from '../support/postfixConfig';
import { parseDelivery } from '../support/postfixDeliveries';
import { catcherRelayPostfixOptions, mailboxRelayPostfixOptions } from '../support/postfixCatcherConfig';

const layout: PostfixLayout = {
  rootDirectory: '/tmp/lab',
  configDirectory: '/tmp/lab/config',
  queueDirectory: '/tmp/lab/queue',
  dataDirectory: '/tmp/lab/data',
  deliveriesDirectory: '/tmp/lab/deliveries',
  maillogFile: '/tmp/lab/maillog',
  localRecipientsFile: '/tmp/lab/config/local_recipients',
  deliveryRecorderScript: '/tmp/lab/record-delivery.sh',
};

/** main.cf as name -> value, the last assignment winning, as Postfix reads it. */
function settings(mainCf: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of mainCf.split('\n')) {
    const match = /^(\w+) = ?(.*)$/.exec(line);
    if (match) map.set(match[1]!, match[2]!);
  }
  return map;
}

/** master.cf services as [name, type, ..., command], continuation lines left out. */
function services(masterCf: string): string[][] {
  return masterCf
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#') && !/^\s/.test(line))
    .map((line) => line.split(/\s+/));
}

describe('lab Postfix main.cf', () => {
  test('closed mode trusts only TEST-NET-1, so a loopback tester is an outsider', () => {
    const main = settings(renderMainCf({ mode: 'closed', port: 2525, localDomain: 'corp.example', layout }));
    assert.equal(main.get('mynetworks'), '192.0.2.0/24');
    assert.doesNotMatch(main.get('mynetworks') ?? '', /127\.|::1/);
    assert.equal(main.get('smtpd_relay_restrictions'), 'permit_mynetworks, reject_unauth_destination');
  });

  test('open mode trusts loopback, with the same relay restrictions', () => {
    const main = settings(renderMainCf({ mode: 'open', port: 2525, localDomain: 'corp.example', layout }));
    assert.equal(main.get('mynetworks'), '127.0.0.0/8');
    assert.equal(main.get('smtpd_relay_restrictions'), 'permit_mynetworks, reject_unauth_destination');
  });

  test('remote mail goes to the failing pipe, not to an error: transport that would refuse it at RCPT', () => {
    const main = settings(renderMainCf({ mode: 'open', port: 2525, localDomain: 'corp.example', layout }));
    assert.equal(main.get('default_transport'), 'failpipe');
    assert.equal(main.get('relay_transport'), 'failpipe');
    assert.equal(main.get('local_transport'), 'localpipe');
    for (const value of main.values()) assert.doesNotMatch(value, /^error:/);
  });

  test('names the local domain and host, listens on loopback and asks no DNS', () => {
    const main = settings(renderMainCf({ mode: 'closed', port: 2525, localDomain: 'corp.example', layout }));
    assert.equal(main.get('mydomain'), 'corp.example');
    assert.equal(main.get('myhostname'), 'mail.corp.example');
    assert.match(main.get('mydestination') ?? '', /\$mydomain/);
    assert.equal(main.get('inet_interfaces'), '127.0.0.1');
    assert.equal(main.get('smtp_dns_support_level'), 'disabled');
    assert.equal(main.get('smtpd_peername_lookup'), 'no');
    assert.equal(main.get('smtpd_banner'), '$myhostname ESMTP Postfix');
  });

  test("leaves Postfix's client slow-down at its defaults", () => {
    const mainCf = renderMainCf({ mode: 'closed', port: 2525, localDomain: 'corp.example', layout });
    assert.doesNotMatch(mainCf, /smtpd_(error_sleep_time|soft_error_limit|hard_error_limit)/);
  });

  test('extra settings override the lab defaults, and every name is assigned once (a repeated name makes each daemon warn at startup)', () => {
    const mainCf = renderMainCf({
      mode: 'closed',
      port: 2525,
      localDomain: 'corp.example',
      layout,
      extraMainCf: {
        smtpd_relay_restrictions: 'permit_mynetworks, defer_unauth_destination',
        local_recipient_maps: '',
        local_transport: 'nouser',
        nouser_destination_recipient_limit: '1',
      },
    });
    const main = settings(mainCf);
    assert.equal(main.get('smtpd_relay_restrictions'), 'permit_mynetworks, defer_unauth_destination');
    assert.equal(main.get('local_recipient_maps'), '');
    assert.equal(main.get('local_transport'), 'nouser');
    assert.equal(main.get('nouser_destination_recipient_limit'), '1');
    const names = mainCf.split('\n').flatMap((line) => /^(\w+) =/.exec(line)?.[1] ?? []);
    assert.deepEqual(names.filter((name, index) => names.indexOf(name) !== index), []);
  });
});

describe('lab Postfix main.cf of the relaying configurations (postfixCatcherConfig.ts)', () => {
  const configurations = {
    'open-to-catcher': catcherRelayPostfixOptions('open-to-catcher', 2526),
    'closed-to-catcher': catcherRelayPostfixOptions('closed-to-catcher', 2526),
    'open to a mailbox': mailboxRelayPostfixOptions('open', 'tomailbox', 'tomailbox unix - n n - - pipe'),
    'closed to a mailbox': mailboxRelayPostfixOptions('closed', 'tomailbox', 'tomailbox unix - n n - - pipe'),
  };
  for (const [name, options] of Object.entries(configurations)) {
    test(`${name}: assigns each name once, with the configuration's values winning`, () => {
      const mainCf = renderMainCf({ mode: options.mode, port: 2525, localDomain: 'corp.example', layout, extraMainCf: options.extraMainCf });
      const names = mainCf.split('\n').flatMap((line) => /^(\w+) =/.exec(line)?.[1] ?? []);
      assert.deepEqual(names.filter((entry, index) => names.indexOf(entry) !== index), []);
      const main = settings(mainCf);
      for (const [setting, value] of Object.entries(options.extraMainCf ?? {})) assert.equal(main.get(setting), value, setting);
    });
  }
});

describe('lab Postfix master.cf', () => {
  const masterCf = renderMasterCf({ port: 2525, layout });

  test('has no SMTP, LMTP, local or virtual delivery agent, so nothing leaves and no mailbox is written', () => {
    const commands = services(masterCf).map((fields) => fields[7]);
    for (const forbidden of ['smtp', 'lmtp', 'local', 'virtual']) {
      assert.ok(!commands.includes(forbidden), `${forbidden} found in:\n${masterCf}`);
    }
    assert.deepEqual(
      services(masterCf).filter((fields) => fields[7] === 'pipe').map((fields) => fields[0]),
      ['failpipe', 'localpipe'],
    );
  });

  test('listens only on the chosen loopback port', () => {
    const listeners = services(masterCf).filter((fields) => fields[1] === 'inet');
    assert.deepEqual(listeners.map((fields) => [fields[0], fields[7]]), [['127.0.0.1:2525', 'smtpd']]);
  });

  test('chroots no service: the temporary queue has no copies of /etc', () => {
    for (const fields of services(masterCf)) assert.equal(fields[4], 'n', fields.join(' '));
  });

  test('the failing pipe exits 75 (deferred), the local pipe 0 (delivered)', () => {
    assert.match(masterCf, /^ +flags=q user=nobody argv=\/bin\/sh \S+ \S+ failpipe 75 /m);
    assert.match(masterCf, /^ +flags=q user=nobody argv=\/bin\/sh \S+ \S+ localpipe 0 /m);
  });
});

describe('lab Postfix local recipients and delivery records', () => {
  test('postmaster is always a local recipient, listed once', () => {
    assert.equal(renderLocalRecipients(['alice', 'postmaster']), 'postmaster ok\nalice ok\n');
  });

  test('a delivery record gives the envelope, the exit status and the message', () => {
    const delivery = parseDelivery(
      'service: failpipe\nsender: \nrecipient: user@example.net\nnexthop: example.net\nexit-status: 75\n\n' +
        'Subject: hi\n\nbody\n',
    );
    assert.deepEqual(delivery, {
      service: 'failpipe',
      sender: '',
      recipient: 'user@example.net',
      nexthop: 'example.net',
      exitStatus: 75,
      message: 'Subject: hi\n\nbody\n',
    });
  });

  test('a record from an unknown service is refused rather than misread', () => {
    assert.throws(() => parseDelivery('service: smtp\n\nbody'), /unknown service/);
  });
});
