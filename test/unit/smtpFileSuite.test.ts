import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { classifyReply } from '../../src/core/relay/classifyReply';
import type { SmtpReply } from '../../src/core/protocol/reply';
import { judgeExpectations, missingRsetFindings } from '../../src/core/smtpFile/blockVerdicts';
import { parseDotenv } from '../../src/core/smtpFile/dotenv';
import { parseJsonWithComments, readEnvironments, variablesOfEnvironment } from '../../src/core/smtpFile/environments';
import { parseExpectation, replyFindingCodes, replyMeets, type Expectation } from '../../src/core/smtpFile/expectations';
import { escapeXml, junitXml } from '../../src/core/smtpFile/fileRunReport';
import { diagnosticCodes } from '../../src/extension/ids';
import { blocksNeedingConfirmation, isRemoteRecipient } from '../../src/core/smtpFile/guardRails';
import { pinnedEnvironmentOf } from '../../src/core/smtpFile/fileRun';
import { parseSmtpDocument, problemsStoppingBlock, splitDocumentLines } from '../../src/core/smtpFile/smtpDocument';
import { VariableScope } from '../../src/core/smtpFile/variableReferences';
import { dynamicVariableResolver } from '../../src/core/smtpFile/dynamicVariables';
import { askedVariablesOf } from '../../src/core/smtpFile/smtpFileConversation';
import { newTarget } from '../../src/core/relay/target';

function file(...lines: string[]): string {
  return lines.join('\n');
}

function reply(code: number, text: string, enhanced?: string): SmtpReply {
  return { code, ...(enhanced ? { enhanced } : {}), lines: [`${enhanced ? `${enhanced} ` : ''}${text}`], text };
}

function expectation(text: string): Expectation {
  const parsed = parseExpectation(text);
  assert.ok(!('error' in parsed), JSON.stringify(parsed));
  return parsed;
}

function meets(text: string, answer: SmtpReply, command = 'RCPT TO:<relay-test@example.net>'): boolean {
  return replyMeets(expectation(text), answer, classifyReply(answer, { command, localDomains: ['corp.example'] }));
}

const relayDenied = reply(454, '<relay-test@example.net>: Relay access denied', '4.7.1');
const relayed = reply(250, 'Ok', '2.1.5');

describe('# @expect', () => {
  test('a code, a code class, a reply class, relay-denied or a diagnostic code; alternatives joined by |', () => {
    assert.equal(meets('454', relayDenied), true);
    assert.equal(meets('550', relayDenied), false);
    assert.equal(meets('4xx', relayDenied), true);
    assert.equal(meets('5xx', relayDenied), false);
    assert.equal(meets('5xx|4xx', relayDenied), true);
    assert.equal(meets('rejection', relayDenied), true);
    assert.equal(meets('acceptance', relayDenied), false);
    assert.equal(meets('relay-denied', relayDenied), true);
    assert.equal(meets('temporary-failure', relayDenied), true);
    assert.equal(meets('rejected', relayDenied), false, 'rejected is the permanent kind');
    assert.equal(meets('relayed', relayed), true, 'a remote recipient accepted');
    assert.equal(meets('rejection|relay-denied', relayed), false);
    // NDR-pending needs the proof (issue 7's evidence rules): the server echoes the local domain it appended.
    assert.equal(meets('ndr-pending', reply(250, 'nobody%example.net@corp.example', '2.1.5'), 'RCPT TO:<nobody%example.net>'), true);
    assert.equal(meets('harvest', reply(550, 'User unknown', '5.1.1'), 'RCPT TO:<nobody@corp.example>'), true);
    assert.equal(meets('2XX', relayed), true, 'case does not matter');
  });

  test('every diagnostic code of a reply in the README table can be expected', () => {
    const replyCodes = Object.values(diagnosticCodes).filter(
      (code) => !['unknown-directive', 'invalid-directive', 'invalid-variable', 'undefined-variable', 'unterminated-data', 'credential-in-file', 'unfilled-placeholder', 'expectation-failed', 'missing-rset',
        // Not a reply's own: "unsolicited" comes from pairing (no command was waiting), "inconclusive" from a saved run's test.
        'unsolicited', 'inconclusive'].includes(code),
    );
    assert.deepEqual([...replyFindingCodes].sort(), [...replyCodes].sort());
  });

  test('an empty @expect, an empty alternative and an unknown word are errors that say what is allowed', () => {
    assert.match((parseExpectation('') as { error: string }).error, /needs what the reply must be/);
    assert.match((parseExpectation('250|') as { error: string }).error, /empty alternative/);
    assert.match((parseExpectation('relay-ok') as { error: string }).error, /"relay-ok" is not a reply code/);
    assert.match((parseExpectation('6xx') as { error: string }).error, /"6xx"/);
  });

  test('an @expect applies to the next command of its block; for DATA, to the reply to the message', () => {
    const document = parseSmtpDocument(
      file('### one', '# @expect 250', 'EHLO client.example.org', 'MAIL FROM:<a@corp.example>', '# @expect 2xx', '# @expect 250', 'DATA', 'Subject: x', '', 'hi', '.'),
    );
    const [block] = document.blocks;
    assert.deepEqual(
      block.expectations.map((item) => [item.line, item.commandLine, item.expectation.text]),
      [
        [1, 2, '250'],
        [4, 6, '2xx'],
        [5, 6, '250'],
      ],
    );
    const verdicts = judgeExpectations(
      block.expectations,
      [
        { command: 'EHLO client.example.org', line: 2, reply: reply(250, 'mail.corp.example') },
        { command: 'MAIL FROM:<a@corp.example>', line: 3, reply: reply(250, 'Ok', '2.1.0') },
        { command: 'DATA', line: 6, reply: reply(354, 'End data with <CR><LF>.<CR><LF>') },
        { command: '.', line: 6, reply: reply(250, 'Ok: queued as 4BXkQ', '2.0.0') },
      ],
      ['corp.example'],
    );
    assert.deepEqual(
      verdicts.map((verdict) => verdict.passed),
      [true, true, true],
    );
  });

  test('an @expect with no command after it in its block is an error on its line, and stops the file', () => {
    const document = parseSmtpDocument(file('### one', 'NOOP', '# @expect 250', '### two', 'NOOP'));
    const [problem] = document.problems;
    assert.equal(problem.line, 2);
    assert.match(problem.message, /no command follows it/);
    assert.equal(problemsStoppingBlock(document, document.blocks[1]).length, 1);
  });

  test('a command that got no reply fails its expectation, saying why', () => {
    const document = parseSmtpDocument(file('### one', 'NOOP', '# @expect 250', 'RSET'));
    const [verdict] = judgeExpectations(document.blocks[0].expectations, [{ command: 'NOOP', line: 1, reply: reply(250, 'Ok') }], [], 'the connection closed');
    assert.equal(verdict.passed, false);
    assert.match(verdict.message, /expected 250, got no reply: the command on line 4 was not answered \(the connection closed\)/);
  });
});

describe('a missing RSET', () => {
  test('503 5.5.1 nested MAIL after a MAIL is found on that MAIL line; 503 for a missing EHLO is not', () => {
    const findings = missingRsetFindings([
      { command: 'MAIL FROM:<a@example.net>', line: 3, reply: reply(250, 'Ok', '2.1.0') },
      { command: 'MAIL FROM:<b@example.net>', line: 7, reply: reply(503, 'Error: nested MAIL command', '5.5.1') },
      { command: 'MAIL FROM:<c@example.net>', line: 9, reply: reply(503, 'Error: send HELO/EHLO first', '5.5.1') },
    ]);
    assert.deepEqual(
      findings.map((finding) => finding.line),
      [7],
    );
    assert.match(findings[0].message, /503 5\.5\.1 Error: nested MAIL command: the server still holds an earlier transaction/);
    assert.match(findings[0].message, /RSET before MAIL FROM/);
  });
});

describe('JUnit XML', () => {
  test('every piece of server text is escaped, control characters included, so the report is well-formed XML 1.0', () => {
    const hostile = reply(250, 'Ok <b>&"\'\u0000\u0007\u001b[31m\u202e', '2.1.5');
    const xml = junitXml({
      file: 'a&b.smtp',
      target: '127.0.0.1:25',
      blocks: [
        {
          index: 0,
          title: 'kb1 <"quoted"> & \u0001',
          line: 1,
          ran: true,
          replies: [{ command: 'RCPT TO:<x@example.net>', line: 2, reply: hostile }],
          expectations: judgeExpectations([{ line: 1, commandLine: 2, expectation: expectation('rejection') }], [{ command: 'RCPT TO:<x@example.net>', line: 2, reply: hostile }], ['corp.example']),
        },
      ],
    });
    assert.doesNotMatch(xml, /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    assert.match(xml, /<testcase name="kb1 &lt;&quot;quoted&quot;&gt; &amp; \\u0001" classname="a&amp;b\.smtp">/);
    assert.match(xml, /<failure message="expected rejection, got 250 2\.1\.5 Ok &lt;b&gt;&amp;&quot;&apos;\\x00\\x07\\x1B\[31m\\u202E"/);
    assert.equal(escapeXml('\ud800 lone'), '\\ud800 lone');
  });
});

describe('environments and variables', () => {
  test('the chosen environment over $shared; a file variable over both; --var over everything', () => {
    const environments = readEnvironments({ $shared: { mx: 'shared.example', sender: 'a@example.org' }, staging: { mx: 'staging.example', port: 2525 }, broken: 'x' });
    assert.deepEqual([...environments.keys()], ['$shared', 'staging']);
    const variables = variablesOfEnvironment(environments, 'staging');
    assert.deepEqual(Object.fromEntries(variables), { mx: 'staging.example', sender: 'a@example.org', port: '2525' });
    const document = parseSmtpDocument(file('# @target {{mx}}:{{port}}', '@sender = file@example.org', '### one', 'MAIL FROM:<{{sender}}>'), {
      environment: variables,
      overrides: new Map([['port', '25']]),
    });
    assert.deepEqual(document.problems, []);
    assert.deepEqual(document.directives.target, { host: 'staging.example', port: 25 });
    assert.equal(document.values.get('sender'), 'file@example.org');
  });

  test('a variable only an environment defines is unknown without it, with its line', () => {
    const document = parseSmtpDocument(file('# @target {{mx}}:25', '### one', 'NOOP'));
    assert.equal(document.problems[0].line, 0);
    assert.match(document.problems[0].message, /\{\{mx\}\} is not defined/);
  });

  test('# @env pins an environment, read before the parse', () => {
    assert.equal(pinnedEnvironmentOf(file('# @target {{mx}}', '# @env staging', '### one', 'NOOP')), 'staging');
    assert.equal(pinnedEnvironmentOf(file('### one', 'NOOP')), undefined);
    assert.deepEqual(parseSmtpDocument(file('# @env staging', '### one', 'NOOP')).problems, []);
    assert.equal(pinnedEnvironmentOf(file('# @env {{$processEnv SMTP_ENV}}', '### one', 'NOOP')), undefined);
    const chosenByVariable = parseSmtpDocument(file('# @env {{$processEnv SMTP_ENV}}', '### one', 'NOOP'), { dynamic: () => 'staging' });
    assert.equal(chosenByVariable.directives.env, undefined);
    assert.match(chosenByVariable.problems[0]?.message ?? '', /@env takes the name of an environment as written, not a \{\{reference\}\}/);
  });

  test('$guid, $timestamp, $processEnv, $dotenv, $prompt and $secret are known built-ins; the ones that take a name need it', () => {
    const fine = parseSmtpDocument(file('### one', 'NOOP {{$guid}} {{$timestamp}} {{$processEnv HOME}} {{$dotenv TOKEN}} {{$prompt ticket}} {{$secret pw}}'));
    assert.deepEqual(fine.problems, []);
    const missing = parseSmtpDocument(file('### one', 'NOOP {{$processEnv}}'));
    assert.match(missing.problems[0].message, /needs a name after it/);
    const scope = new VariableScope(new Map(), new Map(), (name, argument) => (name === '$processEnv' && argument === 'HOME' ? '/root' : name === '$guid' ? 'g' : undefined));
    assert.equal(scope.substitute('{{$processEnv HOME}} {{$guid}}'), '/root g');
    assert.throws(() => scope.substitute('{{$dotenv NOPE}}'), /\.env file beside the \.smtp file does not set it/);
  });

  test('built-ins resolve in directives with the run\'s values, as in commands; the parse made while typing leaves them for the run', () => {
    const text = file(
      '@mx = 127.0.0.1:{{$processEnv LAB_PORT}}',
      '# @target {{mx}}',
      '# @local-domain {{$dotenv DOMAIN}}',
      '# @helo lab-{{$guid}}.example.org   # a new name for each run',
      '# @user {{$prompt who}}',
      '### one',
      'NOOP',
    );
    const typing = parseSmtpDocument(text);
    assert.deepEqual(typing.problems, []);
    assert.deepEqual(typing.directives.atRun, ['target', 'local-domain', 'helo', 'user']);
    assert.equal(typing.directives.target, undefined);

    const folder = mkdtempSync(path.join(os.tmpdir(), 'smtp-dotenv-'));
    try {
      writeFileSync(path.join(folder, '.env'), 'DOMAIN=corp.example\n');
      const dynamic = dynamicVariableResolver({ processEnv: { LAB_PORT: '2525' }, fileDirectory: folder, prompts: new Map([['who', 'alice']]) });
      const run = parseSmtpDocument(text, { dynamic });
      assert.deepEqual(run.problems, []);
      assert.equal(run.directives.atRun, undefined);
      assert.deepEqual(run.directives.target, { host: '127.0.0.1', port: 2525 });
      assert.deepEqual(run.directives.localDomains, ['corp.example']);
      assert.match(run.directives.helo ?? '', /^lab-[0-9a-f-]{36}\.example\.org$/);
      assert.equal(run.directives.user, 'alice');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('a directive whose environment variable is not set is an error on its value, with the line and column; a target built-in has no value in a directive', () => {
    const run = parseSmtpDocument(file('# @tls none', '# @target 127.0.0.1:{{$processEnv LAB_PORT}}', '### one', 'NOOP'), {
      dynamic: dynamicVariableResolver({ processEnv: {} }),
    });
    assert.equal(run.directives.target, undefined);
    const [problem] = run.problems;
    assert.deepEqual([problem.line, problem.startColumn, problem.severity, problem.code], [1, 10, 'error', 'invalid-directive']);
    assert.match(problem.message, /^@target: \{\{\$processEnv LAB_PORT\}\} has no value: that environment variable is not set$/);
    assert.deepEqual(problemsStoppingBlock(run, run.blocks[0]), [problem]);

    const own = parseSmtpDocument(file('# @helo {{$target.host}}', '### one', 'NOOP'));
    assert.equal(own.problems.length, 1);
    assert.match(own.problems[0].message, /@helo: \{\{\$target\.host\}\} has no value in a directive/);
  });

  test('a directive error never quotes the value of a {{$secret}}', () => {
    const secret = 'secret-host.example:99999';
    const run = parseSmtpDocument(file('# @target {{$secret mx}}', '### one', 'NOOP'), {
      dynamic: dynamicVariableResolver({ secrets: new Map([['mx', secret]]) }),
    });
    assert.equal(run.problems.length, 1);
    assert.match(run.problems[0].message, /@target: \{\{\$secret mx\}\} \(a secret, not shown\) is not host\[:port\]/);
    assert.ok(!run.problems[0].message.includes('99999') && !run.problems[0].message.includes('secret-host'), run.problems[0].message);
  });

  test('the {{$prompt}} and {{$secret}} of directives are asked before the run, like those of commands', () => {
    const text = file('# @target {{$secret mx}}', '# @user {{$prompt who}}', '### one', 'NOOP {{$prompt ticket}}');
    const document = parseSmtpDocument(text);
    assert.deepEqual(askedVariablesOf(document, [0], splitDocumentLines(text)), { prompts: ['who', 'ticket'], secrets: ['mx'] });
  });

  test('.env and settings.json are read as their tools write them', () => {
    assert.deepEqual(Object.fromEntries(parseDotenv('# c\nexport A=1\nB = "two # not a comment"\nC=three # a comment\nD=\'4\'\n')), { A: '1', B: 'two # not a comment', C: 'three', D: '4' });
    assert.deepEqual(parseJsonWithComments('{\n // c\n "a": "http://x/*y*/", /* b */ "b": [1,],\n}'), { a: 'http://x/*y*/', b: [1] });
  });
});

describe('guard rails', () => {
  const target = { ...newTarget('127.0.0.1', 2525), localDomains: ['corp.example'] };

  test('a remote recipient, or a routing form through a local domain, is what an open relay would forward', () => {
    assert.equal(isRemoteRecipient('<relay-test@example.net>', ['corp.example']), true);
    assert.equal(isRemoteRecipient('<postmaster@corp.example>', ['corp.example']), false);
    assert.equal(isRemoteRecipient('<relay-test%example.net@corp.example>', ['corp.example']), true);
    assert.equal(isRemoteRecipient('<"relay-test@example.net"@corp.example>', ['corp.example']), true);
    assert.equal(isRemoteRecipient('<example.net!relay-test@corp.example>', ['corp.example']), true);
    assert.equal(isRemoteRecipient('<@corp.example:relay-test@example.net>', ['corp.example']), true);
  });

  test('blocks with DATA or a remote RCPT and no # @confirm need a confirmation; the server-own built-ins are local', () => {
    const text = file(
      '### control',
      'RCPT TO:<{{$target.localUser}}@{{$target.localDomain}}>',
      '### kb5',
      'RCPT TO:<{{$target.localUser}}@[{{$server.address}}]>',
      '### kb1',
      'RCPT TO:<{{$target.remoteUser}}@{{$target.remoteDomain}}>',
      '### confirmed',
      '# @confirm',
      'RCPT TO:<a@example.net>',
      '### message',
      'DATA',
      'hi',
      '.',
    );
    const document = parseSmtpDocument(text);
    const risky = blocksNeedingConfirmation(document, [0, 1, 2, 3, 4], target, splitDocumentLines(text));
    assert.deepEqual(
      risky.map((block) => [block.title, block.reasons]),
      [
        ['kb1', ['line 6: RCPT TO:<relay-test@example.net>: a recipient an open relay would forward']],
        ['message', ['line 11 sends DATA: a message of 1 line the server may deliver']],
      ],
    );
    const confirmedFile = parseSmtpDocument(`# @confirm\n${text}`);
    assert.deepEqual(blocksNeedingConfirmation(confirmedFile, [0, 1, 2, 3, 4], target, splitDocumentLines(`# @confirm\n${text}`)), []);
  });
});

describe('snippet placeholders', () => {
  test('a placeholder left as the snippet wrote it is an error on its column, and stops the block; inside {{...}} it is a variable', () => {
    const document = parseSmtpDocument(file('# @target server_ip:25', '### kb1', 'MAIL FROM:<local_user@remote_domain>', 'RCPT TO:<{{remote_domain}}@x.example>', '@remote_domain = example.net'));
    const placeholders = document.problems.filter((problem) => problem.code === 'unfilled-placeholder');
    assert.deepEqual(
      placeholders.map((problem) => [problem.line, problem.startColumn, problem.endColumn]),
      [
        [0, 10, 19],
        [2, 11, 21],
        [2, 22, 35],
      ],
    );
    assert.ok(problemsStoppingBlock(document, document.blocks[0]).some((problem) => problem.code === 'unfilled-placeholder'));
  });
});
