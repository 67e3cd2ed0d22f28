import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { relayCatalogue, selectRelayTests } from '../../src/core/relay/relayCatalogue';
import type { RelayTestParameters } from '../../src/core/relay/relayTypes';
import { startPracticeServer, type PracticeServer } from '../../src/lab/practiceServer';
import { judgeBlocks } from '../../src/core/smtpFile/fileRun';
import { SmtpFileConversation } from '../../src/core/smtpFile/smtpFileConversation';
import { targetOfFile } from '../../src/core/smtpFile/smtpFileTarget';
import { parseSmtpDocument, type SmtpDocument } from '../../src/core/smtpFile/smtpDocument';
import { VariableScope } from '../../src/core/smtpFile/variableReferences';
import { snippetPlaceholderValues } from '../../src/core/smtpFile/snippetPlaceholders';
import {
  closedServerExpectation,
  relaySnippetsFileText,
  suiteSnippetPrefix,
  type SnippetDefinition,
} from '../../src/core/smtpFile/relaySnippets';

// Compiled to out/test/unit: the repository root is three levels up.
const root = path.resolve(__dirname, '../../..');
const committedText = readFileSync(path.join(root, 'snippets', 'smtp.json'), 'utf8');
const committed: Record<string, SnippetDefinition> = JSON.parse(committedText);
const byPrefix = new Map(Object.values(committed).map((snippet) => [snippet.prefix, snippet]));

/** A tab stop, its default possibly holding escaped "}" and "$": `${3:{{\\$target.localDomain\\}\\}}`. */
const tabStopPattern = /(?<!\\)\$\{(\d+):((?:\\.|[^}\\])*)\}/g;

function unescapeSnippet(text: string): string {
  return text.replace(/\\([\\$}])/g, '$1');
}

/** What the user gets after tabbing through: a tab stop whose offered text is in `values` gets that value, the others keep what was offered. */
function expand(body: readonly string[], values: Record<string, string> = {}): string {
  return body
    .join('\n')
    .replace(tabStopPattern, (_tabStop, _number: string, offered: string) => values[unescapeSnippet(offered)] ?? unescapeSnippet(offered))
    .replace(/(?<!\\)\$0/g, '')
    .replace(/\\([\\$}])/g, '$1');
}

/** Every tab stop as [number, offered text]. */
function tabStops(text: string): [string, string][] {
  return [...text.matchAll(tabStopPattern)].map((match) => [match[1], unescapeSnippet(match[2])]);
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

/** The built-ins a snippet's placeholders offer, with the values the runner's parameters have. */
const builtins = new Map<string, string>([
  ['$target.localUser', parameters.localUser],
  ['$target.localDomain', parameters.localDomains[0]],
  ['$target.remoteUser', parameters.remoteUser],
  ['$target.remoteDomain', parameters.remoteDomain],
  ['$server.address', parameters.serverAddress],
  ['$server.name', parameters.serverName!],
]);

/** The commands of each block with every variable resolved, as the conversation would send them. */
function resolvedCommands(document: SmtpDocument): string[][] {
  const scope = new VariableScope(document.values, builtins);
  return document.blocks.map((block) => block.steps.map((step) => scope.substitute(step.text)));
}

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

  test('each test snippet, accepted as offered, sends exactly what the relay runner sends for the same target: RSET, MAIL FROM, RCPT TO', () => {
    for (const relayTest of relayCatalogue) {
      const { mailFrom, rcptTo } = relayTest.build(parameters);
      const document = parseSmtpDocument(expand(byPrefix.get(relayTest.id)!.body));
      assert.deepEqual(document.problems, [], relayTest.id);
      assert.deepEqual(resolvedCommands(document), [['RSET', `MAIL FROM:${mailFrom}`, `RCPT TO:${rcptTo}`]], relayTest.id);
    }
  });

  test('every placeholder is prefilled with the variable that holds its value (the file\'s # @local-domain, the target settings), never a bare name', () => {
    const offered = new Set(Object.values(snippetPlaceholderValues) as string[]);
    for (const relayTest of relayCatalogue) {
      for (const [, text] of tabStops(byPrefix.get(relayTest.id)!.body.join('\n'))) {
        assert.ok(offered.has(text), `${relayTest.id} offers "${text}"`);
      }
    }
  });

  test('a snippet whose placeholders were typed over with their names is refused before sending (unfilled placeholder)', () => {
    const names = Object.fromEntries(Object.entries(snippetPlaceholderValues).map(([name, value]) => [value, name]));
    const document = parseSmtpDocument(expand(byPrefix.get('kb1')!.body, names));
    assert.ok(document.problems.some((problem) => problem.code === 'unfilled-placeholder' && problem.severity === 'error'));
  });

  test('each test snippet is one block that names the test, says what a closed server answers, and expects it of RCPT', () => {
    const kb1 = byPrefix.get('kb1')!;
    assert.equal(kb1.body[0], '### KB test 1: remote sender to remote recipient (kb1)');
    assert.equal(kb1.body[1], '# A closed server rejects at RCPT (KB: 550 5.7.1 Unable to relay)');
    assert.equal(closedServerExpectation(relayCatalogue.find((relayTest) => relayTest.id === 'control')!), '2xx');
    for (const relayTest of relayCatalogue) {
      const [block] = parseSmtpDocument(expand(byPrefix.get(relayTest.id)!.body)).blocks;
      assert.equal(block.title, `${relayTest.title} (${relayTest.id})`);
      assert.ok(byPrefix.get(relayTest.id)!.body.includes(`# A closed server ${relayTest.closedServerAnswers}`), relayTest.id);
      const rcpt = block.steps.at(-1)!;
      assert.deepEqual(
        block.expectations.map((item) => [item.commandLine, item.expectation.text]),
        [[rcpt.line, closedServerExpectation(relayTest)]],
        relayTest.id,
      );
    }
  });

  test('a parameter is one tab stop: the remote domain of test 1 is typed once for sender and recipient', () => {
    const [mailFrom, rcptTo] = byPrefix.get('kb1')!.body.filter((line) => /^(MAIL|RCPT)/.test(line));
    const numberOf = (line: string) => tabStops(line).find(([, text]) => text === '{{$target.remoteDomain}}')?.[0];
    assert.ok(numberOf(mailFrom));
    assert.equal(numberOf(mailFrom), numberOf(rcptTo));
  });

  test('kb-suite is a runnable file: target, EHLO, the control and KB tests 1 to 7 as blocks, then QUIT', () => {
    const suite = byPrefix.get(suiteSnippetPrefix)!;
    const document = parseSmtpDocument(expand(suite.body, { server_ip: '192.0.2.25', '25': '2525', local_domain: 'corp.example' }));
    assert.deepEqual(document.problems, []);
    assert.deepEqual(document.directives.target, { host: '192.0.2.25', port: 2525 });
    assert.deepEqual(document.directives.localDomains, ['corp.example']);
    const kbRun = selectRelayTests('kb');
    assert.deepEqual(
      document.blocks.map((block) => block.title),
      ['EHLO', ...kbRun.map((relayTest) => `${relayTest.title} (${relayTest.id})`), 'end'],
    );
    const commands = resolvedCommands(document);
    assert.deepEqual(commands[0], ['EHLO smtp-relay-lab.example.com']);
    kbRun.forEach((relayTest, index) => {
      const { mailFrom, rcptTo } = relayTest.build(parameters);
      assert.deepEqual(commands[index + 1], ['RSET', `MAIL FROM:${mailFrom}`, `RCPT TO:${rcptTo}`], relayTest.id);
    });
    assert.deepEqual(commands.at(-1), ['QUIT']);
  });

  test('kb-suite left as offered is refused: its # @target and # @local-domain placeholders are unfilled', () => {
    const document = parseSmtpDocument(expand(byPrefix.get(suiteSnippetPrefix)!.body));
    assert.deepEqual(
      document.problems.filter((problem) => problem.code === 'unfilled-placeholder').map((problem) => problem.line),
      [1, 2],
    );
  });

  test('in kb-suite one tab stop number offers one text everywhere, and no text has two numbers', () => {
    const texts = new Map<string, Set<string>>();
    for (const [number, text] of tabStops(byPrefix.get(suiteSnippetPrefix)!.body.join('\n'))) {
      texts.set(number, (texts.get(number) ?? new Set()).add(text));
    }
    for (const [number, offered] of texts) {
      assert.equal(offered.size, 1, `tab stop ${number} is ${[...offered].join(' and ')}`);
    }
  });
});

describe('the kb-suite snippet as a regression suite', () => {
  let exchange: PracticeServer;
  let postfix: PracticeServer;
  let open: PracticeServer;

  before(async () => {
    [exchange, postfix, open] = await Promise.all([startPracticeServer({ persona: 'exchange' }), startPracticeServer({ persona: 'postfix' }), startPracticeServer({ persona: 'open' })]);
  });

  after(async () => {
    await Promise.all([exchange.close(), postfix.close(), open.close()]);
  });

  /** The suite accepted as offered, aimed at the server, run as Run File runs it. */
  async function runSuite(server: PracticeServer) {
    const text = expand(byPrefix.get(suiteSnippetPrefix)!.body, { server_ip: server.host, '25': String(server.port), local_domain: server.localDomains[0] });
    const document = parseSmtpDocument(`# @tls none\n${text}`);
    assert.deepEqual(document.problems, []);
    const target = targetOfFile(document.directives, [])!;
    const conversation = new SmtpFileConversation({ target, fileName: 'kb-suite.smtp' });
    try {
      const indices = document.blocks.map((block) => block.index);
      const results = await conversation.runBlocks(document, indices);
      return judgeBlocks(document, indices, results, conversation.connectionFacts, target.localDomains);
    } finally {
      conversation.close();
    }
  }

  test('a closed server (exchange, postfix) meets every expectation of the suite', async () => {
    for (const server of [exchange, postfix]) {
      const blocks = await runSuite(server);
      const failed = blocks.flatMap((block) => block.expectations.filter((verdict) => !verdict.passed).map((verdict) => `${block.title}: ${verdict.message}`));
      assert.deepEqual(failed, [], server.persona);
      assert.equal(blocks.flatMap((block) => block.expectations).length, selectRelayTests('kb').length);
    }
  });

  test('an open relay fails KB test 1, and the control still passes', async () => {
    const blocks = await runSuite(open);
    const passedOf = (id: string) => blocks.find((block) => block.title.endsWith(`(${id})`))!.expectations.every((verdict) => verdict.passed);
    assert.equal(passedOf('control'), true);
    assert.equal(passedOf('kb1'), false);
  });
});
