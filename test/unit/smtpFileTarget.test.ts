import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSmtpDocument } from '../../src/core/smtpFile/smtpDocument';
import { connectionKeyOf, targetOfFile } from '../../src/core/smtpFile/smtpFileTarget';
import { newTarget, type Target } from '../../src/core/relay/target';

const configured: Target = {
  ...newTarget('mail.example.com', 25),
  label: 'Corp mail',
  localDomains: ['corp.example'],
  localUser: 'admin',
  username: 'alice',
};

function directivesOf(...lines: string[]) {
  return parseSmtpDocument(lines.join('\n')).directives;
}

describe('where a .smtp file connects', () => {
  test('# @target names a new server: port and TLS mode as written, defaults for the rest', () => {
    const target = targetOfFile(directivesOf('# @target 192.0.2.7:465'), []);
    assert.equal(target?.host, '192.0.2.7');
    assert.equal(target?.port, 465);
    assert.equal(target?.tls, 'implicit', 'port 465 speaks TLS from the first byte');
    assert.equal(target?.rejectUnauthorized, true);
    assert.deepEqual(target?.localDomains, []);
  });

  test('# @target naming a server from the settings keeps what the settings know about it', () => {
    const target = targetOfFile(directivesOf('# @target MAIL.example.com:25'), [configured]);
    assert.equal(target?.label, 'Corp mail');
    assert.deepEqual(target?.localDomains, ['corp.example']);
    assert.equal(target?.username, 'alice');
  });

  test('without # @target the picked target is used, and none picked means ask', () => {
    assert.equal(targetOfFile(directivesOf('### one', 'NOOP'), [configured]), undefined);
    assert.equal(targetOfFile(directivesOf('### one', 'NOOP'), [], configured)?.label, 'Corp mail');
  });

  test('the other directives apply on top of either: TLS mode, local domains, no certificate check, EHLO name', () => {
    const target = targetOfFile(
      directivesOf('# @tls none', '# @local-domain example.org', '# @insecure', '# @helo probe.example.net'),
      [],
      configured,
    );
    assert.equal(target?.tls, 'none');
    assert.deepEqual(target?.localDomains, ['example.org']);
    assert.equal(target?.rejectUnauthorized, false);
    assert.equal(target?.heloName, 'probe.example.net');
    assert.deepEqual(configured.localDomains, ['corp.example'], 'the picked target itself is not changed');
  });

  test('a connection is kept while address, TLS mode and certificate check stay the same', () => {
    const key = (...lines: string[]) => connectionKeyOf(targetOfFile(directivesOf(...lines), [])!);
    const base = key('# @target 127.0.0.1:2525');
    assert.equal(key('# @target 127.0.0.1:2525', '# @helo other.example.org', '# @local-domain corp.example'), base);
    assert.notEqual(key('# @target 127.0.0.1:2526'), base);
    assert.notEqual(key('# @target 127.0.0.1:2525', '# @tls none'), base);
    assert.notEqual(key('# @target 127.0.0.1:2525', '# @insecure'), base);
  });

  test('# @user names who AUTH logs in as; another user is another connection, since AUTH is once per connection', () => {
    assert.equal(targetOfFile(directivesOf('# @target mail.example.com:25', '# @user bob'), [configured])?.username, 'bob');
    assert.equal(targetOfFile(directivesOf('# @target mail.example.com:25'), [configured])?.username, 'alice', "else the target's user");
    const key = (...lines: string[]) => connectionKeyOf(targetOfFile(directivesOf(...lines), [])!);
    assert.equal(key('# @target 127.0.0.1:2525', '# @user bob'), key('# @target 127.0.0.1:2525', '# @user bob # the admin'));
    assert.notEqual(key('# @target 127.0.0.1:2525', '# @user bob'), key('# @target 127.0.0.1:2525', '# @user carol'));
    assert.notEqual(key('# @target 127.0.0.1:2525', '# @user bob'), key('# @target 127.0.0.1:2525'));
  });
});
