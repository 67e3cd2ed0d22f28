import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandInjectionError } from '../../src/core/protocol/errors';
import {
  parseSmtpDocument,
  problemsStoppingBlock,
  type SmtpDataStep,
  type SmtpDocument,
} from '../../src/core/smtpFile/smtpDocument';
import { UnresolvedVariableError, VariableScope } from '../../src/core/smtpFile/variableReferences';

/** Lines joined with LF, so a test reads like the file it parses. */
function file(...lines: string[]): string {
  return lines.join('\n');
}

function commandsOf(document: SmtpDocument, index: number): string[] {
  return document.blocks[index].steps.map((step) => step.text);
}

describe('.smtp blocks', () => {
  test('lines starting with ### separate blocks, and the rest of the line names the block', () => {
    const document = parseSmtpDocument(
      file('### greet', 'EHLO client.example.org', '', '###   kb1: remote to remote  ', 'RSET', 'MAIL FROM:<a@example.net>'),
    );
    assert.deepEqual(
      document.blocks.map((block) => ({ title: block.title, startLine: block.startLine, endLine: block.endLine })),
      [
        { title: 'greet', startLine: 0, endLine: 2 },
        { title: 'kb1: remote to remote', startLine: 3, endLine: 5 },
      ],
    );
    assert.deepEqual(commandsOf(document, 1), ['RSET', 'MAIL FROM:<a@example.net>']);
  });

  test('text before the first ### is a block only when it holds a command', () => {
    const headerOnly = parseSmtpDocument(file('# @target 127.0.0.1:2525', '@user = postmaster', '', '### one', 'NOOP'));
    assert.deepEqual(headerOnly.blocks.map((block) => block.startLine), [3]);

    const leadingCommands = parseSmtpDocument(file('# @target 127.0.0.1:2525', 'EHLO client.example.org', '### two', 'NOOP'));
    assert.deepEqual(
      leadingCommands.blocks.map((block) => [block.startLine, block.endLine]),
      [
        [1, 1],
        [2, 3],
      ],
    );
  });

  test('comments, blank lines and a trailing ### give no command and no empty block', () => {
    const document = parseSmtpDocument(file('### one', '# just a note', '', '  NOOP  ', '###', '# nothing here', '###'));
    assert.equal(document.blocks.length, 1);
    assert.deepEqual(commandsOf(document, 0), ['NOOP']);
  });

  test('CRLF, CR and LF line endings give the same line numbers', () => {
    const lines = ['### one', 'EHLO client.example.org', '### two', 'NOOP'];
    const crlf = parseSmtpDocument(lines.join('\r\n'));
    const cr = parseSmtpDocument(lines.join('\r'));
    const lf = parseSmtpDocument(lines.join('\n'));
    assert.deepEqual(crlf.blocks, lf.blocks);
    assert.deepEqual(cr.blocks, lf.blocks);
    assert.equal(lf.blocks[1].steps[0].line, 3);
  });
});

describe('.smtp directives', () => {
  test('target, tls, local domains, insecure and helo are read from comment lines', () => {
    const document = parseSmtpDocument(
      file(
        '# @target mail.example.com:587',
        '# @tls starttls',
        '# @local-domain corp.example',
        '#@local-domain example.org   # a second one',
        '# @insecure',
        '# @helo client.example.org',
        '### one',
        'NOOP',
      ),
    );
    assert.deepEqual(document.directives, {
      target: { host: 'mail.example.com', port: 587 },
      tls: 'starttls',
      localDomains: ['corp.example', 'example.org'],
      insecure: true,
      helo: 'client.example.org',
      confirmAll: false,
    });
    assert.deepEqual(document.problems, []);
  });

  test('a target without a port means port 25, and an IPv6 target is written in brackets', () => {
    assert.deepEqual(parseSmtpDocument('# @target mail.example.com').directives.target, { host: 'mail.example.com', port: 25 });
    assert.deepEqual(parseSmtpDocument('# @target [::1]:2525').directives.target, { host: '::1', port: 2525 });
  });

  test('directives count wherever they are written, even inside a block', () => {
    const document = parseSmtpDocument(file('### one', 'NOOP', '# @target 127.0.0.1:2525'));
    assert.deepEqual(document.directives.target, { host: '127.0.0.1', port: 2525 });
    assert.deepEqual(commandsOf(document, 0), ['NOOP']);
  });

  test('a directive value may use a variable', () => {
    const document = parseSmtpDocument(file('@server = 127.0.0.1', '# @target {{server}}:2525'));
    assert.deepEqual(document.directives.target, { host: '127.0.0.1', port: 2525 });
  });

  test('an unknown directive is a warning naming the known ones, with the unknown-directive code', () => {
    const [problem] = parseSmtpDocument(file('# @taget 127.0.0.1', '### one', 'NOOP')).problems;
    assert.equal(problem.code, 'unknown-directive');
    assert.equal(problem.severity, 'warning');
    assert.equal(problem.line, 0);
    assert.match(problem.message, /unknown directive @taget: known are @target, @tls, @local-domain, @insecure, @helo/);
  });

  test('a TLS mode that does not exist is an error on its value', () => {
    const [problem] = parseSmtpDocument('# @tls ssl').problems;
    assert.equal(problem.code, 'invalid-directive');
    assert.equal(problem.severity, 'error');
    assert.deepEqual([problem.startColumn, problem.endColumn], [7, 10]);
    assert.match(problem.message, /@tls is one of starttls, implicit, none, not "ssl"/);
  });

  test('a target that is not host[:port] is an error, and the first of two targets counts', () => {
    const bad = parseSmtpDocument('# @target mail.example.com:99999');
    assert.equal(bad.directives.target, undefined);
    assert.match(bad.problems[0].message, /@target: "99999" is not a port/);

    const twice = parseSmtpDocument(file('# @target 127.0.0.1:2525', '# @target 127.0.0.1:2526'));
    assert.deepEqual(twice.directives.target, { host: '127.0.0.1', port: 2525 });
    assert.equal(twice.problems[0].severity, 'warning');
    assert.match(twice.problems[0].message, /already given on line 1; the first one counts/);
  });
});

describe('.smtp variables', () => {
  test('variables are file-wide: a block may use one defined further down', () => {
    const document = parseSmtpDocument(file('### one', 'MAIL FROM:<{{sender}}>', '@sender = postmaster@corp.example'));
    assert.deepEqual(document.problems, []);
    assert.equal(document.variables.get('sender')?.value, 'postmaster@corp.example');
    assert.equal(document.blocks[0].steps.length, 1, 'the definition is not a command');
  });

  test('an undefined variable is an error on the reference itself', () => {
    const text = file('### one', 'RCPT TO:<{{ recipient }}>');
    const [problem] = parseSmtpDocument(text).problems;
    assert.equal(problem.code, 'undefined-variable');
    assert.equal(problem.line, 1);
    assert.equal(text.split('\n')[1].slice(problem.startColumn, problem.endColumn), '{{ recipient }}');
    assert.match(problem.message, /\{\{recipient\}\} is not defined: add a line "@recipient = value"/);
  });

  test('built-ins such as {{$target.host}} are known; an unknown built-in is an error', () => {
    assert.deepEqual(parseSmtpDocument(file('### one', 'EHLO {{$target.heloName}}', 'MAIL FROM:<x@[{{$server.address}}]>')).problems, []);
    const [problem] = parseSmtpDocument(file('### one', 'EHLO {{$target.nothing}}')).problems;
    assert.equal(problem.code, 'undefined-variable');
    assert.match(problem.message, /not a built-in variable/);
  });

  test('a variable defined in terms of itself is an error, not an endless substitution', () => {
    const document = parseSmtpDocument(file('@a = x{{b}}', '@b = {{a}}', '### one', 'NOOP {{a}}'));
    assert.ok(document.problems.some((problem) => problem.line === 3 && /defined in terms of itself \(a -> b -> a\)/.test(problem.message)));
  });

  test('a line starting with @ that is not "@name = value" is an error, not a command', () => {
    const document = parseSmtpDocument(file('### one', '@sender postmaster', 'NOOP'));
    assert.equal(document.problems[0].code, 'invalid-variable');
    assert.deepEqual(commandsOf(document, 0), ['NOOP']);
  });
});

describe('.smtp DATA', () => {
  test('the lines after DATA up to a lone "." are the message, comments and @ lines included', () => {
    const document = parseSmtpDocument(
      file('### send', 'DATA', 'Subject: hello', '# not a comment here', '@not = a variable', '', 'Body', '.', 'QUIT'),
    );
    const data = document.blocks[0].steps[0] as SmtpDataStep;
    assert.equal(data.kind, 'data');
    assert.deepEqual(data.body, ['Subject: hello', '# not a comment here', '@not = a variable', '', 'Body']);
    assert.equal(data.endLine, 7);
    assert.deepEqual(commandsOf(document, 0), ['DATA', 'QUIT']);
    assert.equal(document.variables.size, 0);
  });

  test('the message is written as on the wire: a leading ".." is one "."', () => {
    const data = parseSmtpDocument(file('DATA', '..hidden', '...', 'x.y', '.')).blocks[0].steps[0] as SmtpDataStep;
    assert.deepEqual(data.body, ['.hidden', '..', 'x.y']);
  });

  test('DATA without its "." before the next ### is an error that stops only its own block', () => {
    const document = parseSmtpDocument(file('### one', 'DATA', 'Subject: x', '### two', 'NOOP'));
    const [problem] = document.problems;
    assert.equal(problem.code, 'unterminated-data');
    assert.equal(problem.line, 1);
    assert.equal(document.blocks.length, 2);
    assert.deepEqual(commandsOf(document, 1), ['NOOP'], 'the ### still starts the next block');
    assert.equal(problemsStoppingBlock(document, document.blocks[0]).length, 1);
    assert.equal(problemsStoppingBlock(document, document.blocks[1]).length, 0);
  });
});

describe('which problems stop a block', () => {
  test('an undefined variable in one block does not stop the others', () => {
    const document = parseSmtpDocument(file('### one', 'NOOP', '### two', 'VRFY {{nobody}}'));
    assert.deepEqual(problemsStoppingBlock(document, document.blocks[0]), []);
    assert.equal(problemsStoppingBlock(document, document.blocks[1])[0].code, 'undefined-variable');
  });

  test('an error in a directive stops every block, and a warning stops none', () => {
    const broken = parseSmtpDocument(file('# @tls ssl', '### one', 'NOOP', '### two', 'NOOP'));
    assert.equal(problemsStoppingBlock(broken, broken.blocks[0]).length, 1);
    assert.equal(problemsStoppingBlock(broken, broken.blocks[1]).length, 1);

    const warned = parseSmtpDocument(file('# @whatever', '### one', 'NOOP'));
    assert.deepEqual(problemsStoppingBlock(warned, warned.blocks[0]), []);
  });
});

describe('variable substitution', () => {
  const scope = (variables: Record<string, string>, builtins: Record<string, string | undefined> = {}) =>
    new VariableScope(new Map(Object.entries(variables)), new Map(Object.entries(builtins)));

  test('references are replaced, also inside other variables, and built-ins come from the target', () => {
    const substituted = scope({ user: 'postmaster', sender: '{{user}}@{{$target.localDomain}}' }, { '$target.localDomain': 'corp.example' })
      .substitute('MAIL FROM:<{{ sender }}>');
    assert.equal(substituted, 'MAIL FROM:<postmaster@corp.example>');
  });

  test('a value holding CR or LF is refused, so it cannot inject a second command', () => {
    const injected = scope({}, { '$target.localUser': 'postmaster>\r\nRCPT TO:<victim@example.net' });
    assert.throws(
      () => injected.substitute('MAIL FROM:<{{$target.localUser}}@corp.example>', 'line 4'),
      (error: unknown) =>
        error instanceof CommandInjectionError &&
        /\{\{\$target\.localUser\}\} holds a line break \(CR or LF\), which would turn line 4 into two SMTP commands; nothing was sent/.test(
          error.message,
        ),
    );
    assert.throws(() => scope({ a: 'x\ny' }).substitute('NOOP {{a}}'), CommandInjectionError);
  });

  test('a built-in with no value yet is refused by name', () => {
    assert.throws(
      () => scope({}, { '$server.name': undefined }).substitute('EHLO {{$server.name}}'),
      (error: unknown) => error instanceof UnresolvedVariableError && error.variable === '$server.name',
    );
  });

  test('text that only looks like a reference is left alone', () => {
    assert.equal(scope({}).substitute('NOOP {{ not closed } {x y}}'), 'NOOP {{ not closed } {x y}}');
  });
});
