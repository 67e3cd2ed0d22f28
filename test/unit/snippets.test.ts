import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { relayCatalogue, selectRelayTests } from '../../src/core/relayCatalogue';
import type { RelayTestParameters } from '../../src/core/relayTypes';
import { parseSmtpDocument } from '../../src/extension/smtpFiles/smtpDocument';
import {
  relaySnippetsFileText,
  suiteSnippetPrefix,
  type SnippetDefinition,
} from '../../src/extension/smtpFiles/relaySnippets';

// Compiled to out/test/unit: the repository root is three levels up.
const root = path.resolve(__dirname, '../../..');
const committedText = readFileSync(path.join(root, 'snippets', 'smtp.json'), 'utf8');
const committed: Record<string, SnippetDefinition> = JSON.parse(committedText);
const byPrefix = new Map(Object.values(committed).map((snippet) => [snippet.prefix, snippet]));

/** What the user gets after tabbing through: every tab stop filled in, snippet escapes undone. */
function expand(body: readonly string[], values: Record<string, string>): string {
  return body
    .join('\n')
    .replace(/(?<!\\)\$\{\d+:([^}]*)\}/g, (_tabStop, name: string) => values[name] ?? name)
    .replace(/(?<!\\)\$0/g, '')
    .replace(/\\([\\$}])/g, '$1');
}

const parameters: RelayTestParameters = {
  localDomains: ['corp.example'],
  localUser: 'postmaster',
  remoteUser: 'relay-test',
  remoteDomain: 'example.net',
  serverAddress: '192.0.2.25',
  serverName: 'mail.corp.example',
  heloName: 'smtp-relay-lab.example.com',
  addressForm: 'bracketed',
};

const tabStopValues: Record<string, string> = {
  local_user: parameters.localUser,
  local_domain: parameters.localDomains[0],
  remote_user: parameters.remoteUser,
  remote_domain: parameters.remoteDomain,
  server_ip: parameters.serverAddress,
  server_name: parameters.serverName!,
};

describe('relay-test snippets', () => {
  test('the committed snippets/smtp.json is exactly what the catalogue generates now (node out/scripts/generate-snippets.js)', () => {
    assert.equal(committedText, relaySnippetsFileText());
  });

  test('every catalogue test has a snippet whose prefix is the test id', () => {
    for (const relayTest of relayCatalogue) {
      assert.ok(byPrefix.has(relayTest.id), `no snippet for ${relayTest.id}`);
    }
    assert.equal(byPrefix.size, relayCatalogue.length + 1, 'one per test, plus the suite');
  });

  test('each test snippet, filled in, sends exactly what the relay runner sends: RSET, MAIL FROM, RCPT TO', () => {
    for (const relayTest of relayCatalogue) {
      const { mailFrom, rcptTo } = relayTest.build(parameters);
      const commands = parseSmtpDocument(expand(byPrefix.get(relayTest.id)!.body, tabStopValues)).blocks.flatMap((block) =>
        block.steps.map((step) => step.text),
      );
      assert.deepEqual(commands, ['RSET', `MAIL FROM:${mailFrom}`, `RCPT TO:${rcptTo}`], relayTest.id);
    }
  });

  test('each test snippet is one block that names the test and says what a closed server answers', () => {
    const kb1 = byPrefix.get('kb1')!;
    assert.equal(kb1.body[0], '### KB test 1: remote sender to remote recipient (kb1)');
    assert.equal(kb1.body[1], '# A closed server rejects at RCPT (KB: 550 5.7.1 Unable to relay)');
    for (const relayTest of relayCatalogue) {
      const [block] = parseSmtpDocument(expand(byPrefix.get(relayTest.id)!.body, tabStopValues)).blocks;
      assert.equal(block.title, `${relayTest.title} (${relayTest.id})`);
      assert.ok(byPrefix.get(relayTest.id)!.body.includes(`# A closed server ${relayTest.closedServerAnswers}`), relayTest.id);
    }
  });

  test('a parameter is one tab stop: the remote domain of test 1 is typed once for sender and recipient', () => {
    const [mailFrom, rcptTo] = byPrefix.get('kb1')!.body.filter((line) => /^(MAIL|RCPT)/.test(line));
    const numberOf = (line: string, name: string) => new RegExp(`\\$\\{(\\d+):${name}\\}`).exec(line)?.[1];
    assert.ok(numberOf(mailFrom, 'remote_domain'));
    assert.equal(numberOf(mailFrom, 'remote_domain'), numberOf(rcptTo, 'remote_domain'));
  });

  test('kb-suite is a runnable file: target, EHLO, the control and KB tests 1 to 7 as blocks, then QUIT', () => {
    const suite = byPrefix.get(suiteSnippetPrefix)!;
    const document = parseSmtpDocument(expand(suite.body, { ...tabStopValues, '25': '2525' }));
    assert.deepEqual(document.problems, []);
    assert.deepEqual(document.directives.target, { host: '192.0.2.25', port: 2525 });
    assert.deepEqual(document.directives.localDomains, ['corp.example']);
    const kbRun = selectRelayTests('kb');
    assert.deepEqual(
      document.blocks.map((block) => block.title),
      ['EHLO', ...kbRun.map((relayTest) => `${relayTest.title} (${relayTest.id})`), 'end'],
    );
    assert.deepEqual(document.blocks[0].steps.map((step) => step.text), ['EHLO smtp-relay-lab.example.com']);
    kbRun.forEach((relayTest, index) => {
      const { mailFrom, rcptTo } = relayTest.build(parameters);
      assert.deepEqual(
        document.blocks[index + 1].steps.map((step) => step.text),
        ['RSET', `MAIL FROM:${mailFrom}`, `RCPT TO:${rcptTo}`],
        relayTest.id,
      );
    });
    assert.deepEqual(document.blocks.at(-1)!.steps.map((step) => step.text), ['QUIT']);
  });

  test('in kb-suite one name is one tab stop number everywhere, and no number stands for two names', () => {
    const names = new Map<string, Set<string>>();
    for (const match of byPrefix.get(suiteSnippetPrefix)!.body.join('\n').matchAll(/(?<!\\)\$\{(\d+):([^}]*)\}/g)) {
      names.set(match[1], (names.get(match[1]) ?? new Set()).add(match[2]));
    }
    for (const [number, named] of names) {
      assert.equal(named.size, 1, `tab stop ${number} is ${[...named].join(' and ')}`);
    }
    assert.equal(new Set([...names.values()].map((named) => [...named][0])).size, names.size);
  });
});
