/**
 * The .smtp grammar's patterns, read from syntaxes/smtp.tmLanguage.json. They are written so that JavaScript
 * regular expressions read them as TextMate's Oniguruma does, which lets plain node tests check them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface GrammarRule {
  match?: string;
  name?: string;
  patterns?: GrammarRule[];
}

const grammar = JSON.parse(readFileSync(path.resolve(__dirname, '../../../syntaxes/smtp.tmLanguage.json'), 'utf8')) as {
  repository: Record<string, GrammarRule>;
};

describe('the .smtp grammar', () => {
  test('{{name}} and built-ins such as {{$server.address}} are variable references', () => {
    const reference = new RegExp(grammar.repository['variable-reference'].match!);
    assert.equal(reference.exec('MAIL FROM:<postmaster@[{{$server.address}}]>')?.[2], '$server.address');
    assert.equal(reference.exec('RCPT TO:<{{ user }}@example.net>')?.[2], 'user');
    assert.equal(reference.exec('{{$}}'), null, 'a lone $ names nothing');
  });

  test('# @user is a directive of its own, matched before the catch-all for unknown directives', () => {
    const directives = grammar.repository.directive.patterns ?? [];
    const user = directives.findIndex((rule) => rule.name === 'meta.directive.user.smtp');
    const other = directives.findIndex((rule) => rule.name === 'meta.directive.other.smtp');
    assert.ok(user >= 0 && user < other);
    const match = new RegExp(directives[user].match!).exec('# @user alice@corp.example  # the admin');
    assert.deepEqual(match?.slice(1), ['#', '@user', 'alice@corp.example', '  # the admin']);
    assert.equal(new RegExp(directives[user].match!).exec('# @username x'), null);
  });
});
