import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  findRelayTest,
  relayCatalogue,
  selectRelayTests,
  UnknownRelayTestError,
} from '../../src/core/relay/relayCatalogue';
import { snippetTemplate } from '../../src/core/smtpFile/relaySnippets';
import type { RelayTestParameters } from '../../src/core/relay/relayTypes';

const parameters: RelayTestParameters = {
  localDomains: ['example.com'],
  localUser: 'admin',
  remoteDomain: 'example.net',
  remoteUser: 'victim',
  serverAddress: '192.0.2.10',
  serverName: 'mx.example.com',
  heloName: 'client.example.org',
  addressForm: 'bracketed',
};

function built(id: string, overrides: Partial<RelayTestParameters> = {}): [string, string] {
  const definition = findRelayTest(id);
  assert.ok(definition, `no test ${id}`);
  const { mailFrom, rcptTo } = definition.build({ ...parameters, ...overrides });
  return [mailFrom, rcptTo];
}

describe('relay catalogue: the seven tests of KB 304897 and the control', () => {
  // The table of relay-reference.md, with L=admin, LD=example.com, R=victim, RD=example.net, IP=192.0.2.10.
  const kbTable: [string, string, string][] = [
    ['kb1', '<admin@example.net>', '<victim@example.net>'],
    ['kb2', '<admin>', '<victim@example.net>'],
    ['kb3', '<>', '<victim@example.net>'],
    ['kb4', '<admin@example.com>', '<victim@example.net>'],
    ['kb5', '<admin@[192.0.2.10]>', '<victim@example.net>'],
    ['kb6', '<admin>', '<victim%example.net>'],
    ['kb7', '<admin>', '<"victim@example.net">'],
  ];
  for (const [id, mailFrom, rcptTo] of kbTable) {
    test(`${id} sends MAIL FROM:${mailFrom} and RCPT TO:${rcptTo}`, () => {
      assert.deepEqual(built(id), [mailFrom, rcptTo]);
    });
  }

  test('kb4 is the local sender with the domain written out, to a remote recipient (as the reference reads it)', () => {
    assert.deepEqual(built('kb4'), ['<admin@example.com>', '<victim@example.net>']);
  });

  test('the control sends a remote sender to the local user at the local domain', () => {
    assert.deepEqual(built('control'), ['<victim@example.net>', '<admin@example.com>']);
    assert.equal(findRelayTest('control')?.closedServerAccepts, true);
  });

  test('a closed server is expected to accept only tests 6 and 7 among the KB tests', () => {
    const accepted = relayCatalogue.filter((definition) => definition.group === 'kb' && definition.closedServerAccepts);
    assert.deepEqual(
      accepted.map((definition) => definition.id),
      ['kb6', 'kb7'],
    );
  });

  test('the bare form is the KB telnet form; the null sender stays <>', () => {
    assert.deepEqual(built('kb1', { addressForm: 'bare' }), ['admin@example.net', 'victim@example.net']);
    assert.deepEqual(built('kb3', { addressForm: 'bare' }), ['<>', 'victim@example.net']);
    assert.deepEqual(built('kb7', { addressForm: 'bare' }), ['admin', '"victim@example.net"']);
  });

  test('an IPv6 server address is written as an IPv6 address literal', () => {
    assert.deepEqual(built('kb5', { serverAddress: '::1' }), ['<admin@[IPv6:::1]>', '<victim@example.net>']);
  });

  test('without a local domain, the server address literal stands in for it', () => {
    assert.deepEqual(built('kb4', { localDomains: [] }), ['<admin@[192.0.2.10]>', '<victim@example.net>']);
  });
});

describe('relay catalogue: the extended variants (nmap smtp-open-relay / Metasploit smtp_relay)', () => {
  // The sixteen rows of relay-reference.md, with F=admin, T=victim, D=example.net, S=mx.example.com.
  const sixteenRows: [string, string][] = [
    ['<>', '<victim@example.net>'],
    ['<admin@example.net>', '<victim@example.net>'],
    ['<admin@mx.example.com>', '<victim@example.net>'],
    ['<admin@[192.0.2.10]>', '<victim@example.net>'],
    ['<admin@[192.0.2.10]>', '<victim%example.net@[192.0.2.10]>'],
    ['<admin@[192.0.2.10]>', '<victim%example.net@mx.example.com>'],
    ['<admin@[192.0.2.10]>', '<"victim@example.net">'],
    ['<admin@[192.0.2.10]>', '<"victim%example.net">'],
    ['<admin@[192.0.2.10]>', '<victim@example.net@[192.0.2.10]>'],
    ['<admin@[192.0.2.10]>', '<"victim@example.net"@[192.0.2.10]>'],
    ['<admin@[192.0.2.10]>', '<victim@example.net@mx.example.com>'],
    ['<admin@[192.0.2.10]>', '<@[192.0.2.10]:victim@example.net>'],
    ['<admin@[192.0.2.10]>', '<@mx.example.com:victim@example.net>'],
    ['<admin@[192.0.2.10]>', '<example.net!victim>'],
    ['<admin@[192.0.2.10]>', '<example.net!victim@[192.0.2.10]>'],
    ['<admin@[192.0.2.10]>', '<example.net!victim@mx.example.com>'],
  ];
  const everyBuilt = relayCatalogue.map((definition) => built(definition.id).join(' '));

  sixteenRows.forEach(([mailFrom, rcptTo], index) => {
    test(`row ${index + 1} (MAIL FROM:${mailFrom} RCPT TO:${rcptTo}) is covered by a test`, () => {
      assert.ok(everyBuilt.includes(`${mailFrom} ${rcptTo}`));
    });
  });

  test('no two tests send the same pair of addresses (duplicates of KB tests are skipped)', () => {
    assert.equal(new Set(everyBuilt).size, everyBuilt.length);
  });

  test('every extended id starts with "x-", and ids are unique', () => {
    const ids = relayCatalogue.map((definition) => definition.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const definition of relayCatalogue.filter((candidate) => candidate.group === 'extended')) {
      assert.match(definition.id, /^x-[a-z-]+$/);
    }
  });

  test('every test has a title, what it probes and what a closed server answers', () => {
    for (const definition of relayCatalogue) {
      assert.ok(definition.title.length > 0 && definition.probes.length > 0 && definition.closedServerAnswers.length > 0, definition.id);
    }
  });
});

describe('selectRelayTests', () => {
  test('"kb" is the control and KB tests 1-7, control first', () => {
    assert.deepEqual(
      selectRelayTests('kb').map((definition) => definition.id),
      ['control', 'kb1', 'kb2', 'kb3', 'kb4', 'kb5', 'kb6', 'kb7'],
    );
  });

  test('"all" is the whole catalogue', () => {
    assert.equal(selectRelayTests('all').length, relayCatalogue.length);
  });

  test('"extended" is the control and the x- variants', () => {
    const selected = selectRelayTests('extended');
    assert.equal(selected[0].id, 'control');
    assert.ok(selected.slice(1).every((definition) => definition.id.startsWith('x-')));
  });

  test('an id list keeps its order, drops duplicates and moves the control first', () => {
    assert.deepEqual(
      selectRelayTests('kb7, kb6,control,KB6').map((definition) => definition.id),
      ['control', 'kb7', 'kb6'],
    );
  });

  test('an unknown id is refused with its name', () => {
    assert.throws(() => selectRelayTests('kb1,kb9'), (error: unknown) => {
      assert.ok(error instanceof UnknownRelayTestError);
      assert.deepEqual(error.unknownIds, ['kb9']);
      assert.match(error.message, /kb9/);
      return true;
    });
  });
});

describe('snippetTemplate', () => {
  test('kb6 gives RSET, MAIL and RCPT with numbered placeholders, one per parameter', () => {
    assert.deepEqual(snippetTemplate(findRelayTest('kb6')!), [
      'RSET',
      'MAIL FROM:<${1:local_user}>',
      'RCPT TO:<${2:remote_user}%${3:remote_domain}>',
    ]);
  });

  test('a repeated parameter reuses its placeholder number', () => {
    assert.deepEqual(snippetTemplate(findRelayTest('x-percent-ip-literal')!), [
      'RSET',
      'MAIL FROM:<${1:local_user}@[${2:server_ip}]>',
      'RCPT TO:<${3:remote_user}%${4:remote_domain}@[${2:server_ip}]>',
    ]);
  });

  test('the bare form gives the KB telnet lines', () => {
    assert.deepEqual(snippetTemplate(findRelayTest('kb4')!, 'bare'), [
      'RSET',
      'MAIL FROM:${1:local_user}@${2:local_domain}',
      'RCPT TO:${3:remote_user}@${4:remote_domain}',
    ]);
  });

  test('every test has a deterministic three-line template with no stray control characters', () => {
    for (const definition of relayCatalogue) {
      const template = snippetTemplate(definition);
      assert.deepEqual(template, snippetTemplate(definition), definition.id);
      assert.equal(template.length, 3, definition.id);
      assert.match(template[1], /^MAIL FROM:/, definition.id);
      assert.match(template[2], /^RCPT TO:/, definition.id);
      assert.ok(!template.join('').includes('\u0001'), definition.id);
    }
  });
});
