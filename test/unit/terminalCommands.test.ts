import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isMetaCommandLine, metaCommandHelp, parseMetaCommand } from '../../src/extension/terminal/metaCommands';
import { completeCommandLine } from '../../src/extension/terminal/commandCompletion';
import { classificationTag, reasonAfterTag, renderError, renderReply, replyStyle } from '../../src/extension/terminal/replyRendering';
import { ansi, terminalSafe } from '../../src/extension/terminal/terminalText';
import type { Classification } from '../../src/core/relay/classification';

describe('meta-commands: which lines are for the terminal', () => {
  test('a line starting with "/" is a meta-command; SMTP verbs never are', () => {
    assert.equal(isMetaCommandLine('/help'), true);
    assert.equal(isMetaCommandLine('  /quit'), true);
    assert.equal(isMetaCommandLine('HELP'), false);
    assert.equal(isMetaCommandLine('MAIL FROM:</tmp@example.com>'), false);
  });

  test('/test takes one or more test ids or groups, in any case', () => {
    assert.deepEqual(parseMetaCommand('/test kb6'), { ok: true, command: { name: 'test', selectors: ['kb6'] } });
    assert.deepEqual(parseMetaCommand('/TEST KB1  kb2'), { ok: true, command: { name: 'test', selectors: ['kb1', 'kb2'] } });
  });

  test('/test without an id says how to find one', () => {
    const parsed = parseMetaCommand('/test');
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.problem, /\/tests lists them/);
  });

  test('/auth takes PLAIN or LOGIN and an optional user name, never a password', () => {
    assert.deepEqual(parseMetaCommand('/auth plain'), { ok: true, command: { name: 'auth', mechanism: 'PLAIN' } });
    assert.deepEqual(parseMetaCommand('/auth LOGIN alice'), {
      ok: true,
      command: { name: 'auth', mechanism: 'LOGIN', username: 'alice' },
    });
    const withPassword = parseMetaCommand('/auth plain alice hunter2');
    assert.equal(withPassword.ok, false);
    assert.match(withPassword.ok ? '' : withPassword.problem, /password is asked for separately/);
    assert.equal(parseMetaCommand('/auth cram-md5').ok, false);
  });

  test('/xclient takes one IP address, IPv4 or IPv6 (bracketed or not), and nothing else', () => {
    assert.deepEqual(parseMetaCommand('/xclient 203.0.113.9'), { ok: true, command: { name: 'xclient', address: '203.0.113.9' } });
    assert.deepEqual(parseMetaCommand('/XCLIENT 2001:db8::9'), { ok: true, command: { name: 'xclient', address: '2001:db8::9' } });
    assert.deepEqual(parseMetaCommand('/xclient [2001:db8::9]'), { ok: true, command: { name: 'xclient', address: '2001:db8::9' } });
    for (const line of ['/xclient', '/xclient mail.example.com', '/xclient 203.0.113.9 NAME=x', '/xclient 203.0.113.999', '/xclient ADDR=203.0.113.9']) {
      const parsed = parseMetaCommand(line);
      assert.ok(!parsed.ok, line);
      assert.match(parsed.problem, /\/xclient takes one IP address to act as, e\.g\. \/xclient 203\.0\.113\.9/, line);
    }
  });

  test('commands without arguments refuse extra words', () => {
    assert.deepEqual(parseMetaCommand('/starttls'), { ok: true, command: { name: 'starttls' } });
    assert.deepEqual(parseMetaCommand('/quit now'), { ok: false, problem: '/quit takes no arguments' });
  });

  test('/exit and /? are kept as the names people try first', () => {
    assert.deepEqual(parseMetaCommand('/exit'), { ok: true, command: { name: 'quit' } });
    assert.deepEqual(parseMetaCommand('/?'), { ok: true, command: { name: 'help' } });
  });

  test('an unknown command points to /help', () => {
    assert.deepEqual(parseMetaCommand('/frobnicate'), {
      ok: false,
      problem: 'unknown command /frobnicate: /help lists the commands',
    });
    assert.equal(parseMetaCommand('/').ok, false);
  });

  test('every command /help lists can be parsed by its own usage line', () => {
    for (const entry of metaCommandHelp) {
      const example = entry.usage.replace('<id|kb|extended|all> ...', 'kb1').replace('plain|login [user]', 'plain').replace('<ip>', '203.0.113.9');
      const parsed = parseMetaCommand(example);
      assert.ok(parsed.ok && parsed.command.name === entry.name, `${entry.usage} parses as /${entry.name}`);
    }
  });
});

describe('Tab completion candidates', () => {
  const choices = { testSelectors: ['kb', 'kb1', 'kb6', 'control'] };

  test('SMTP verbs complete whatever the case typed, in capitals', () => {
    assert.deepEqual(completeCommandLine('rc', choices), ['RCPT TO:']);
    assert.deepEqual(completeCommandLine('EH', choices), ['EHLO ']);
    assert.deepEqual(completeCommandLine('auth', choices), ['AUTH PLAIN', 'AUTH LOGIN']);
  });

  test('nothing is offered for an empty line or a finished verb', () => {
    assert.deepEqual(completeCommandLine('', choices), []);
    assert.deepEqual(completeCommandLine('DATA', choices), []);
    assert.deepEqual(completeCommandLine('MAIL FROM:<a@', choices), []);
  });

  test('/test completes test ids and groups from the catalogue it is given', () => {
    assert.deepEqual(completeCommandLine('/test kb', choices), ['/test kb', '/test kb1', '/test kb6']);
    assert.deepEqual(completeCommandLine('/test kb1 c', choices), ['/test kb1 control']);
  });

  test('/auth completes its mechanism only in first place', () => {
    assert.deepEqual(completeCommandLine('/auth p', choices), ['/auth plain']);
    assert.deepEqual(completeCommandLine('/auth plain p', choices), []);
  });

  test('/xclient completes to documentation addresses (TEST-NET-3, 2001:db8::/32), nobody\'s outside clients', () => {
    assert.deepEqual(completeCommandLine('/xc', choices), ['/xclient']);
    assert.deepEqual(completeCommandLine('/xclient ', choices), ['/xclient 203.0.113.9', '/xclient 2001:db8::9']);
    assert.deepEqual(completeCommandLine('/xclient 2', choices), ['/xclient 203.0.113.9', '/xclient 2001:db8::9']);
    assert.deepEqual(completeCommandLine('/xclient 203.0.113.9 ', choices), []);
  });
});

const relayDenied: Classification = {
  class: 'rejection',
  temporary: false,
  enhanced: '5.7.1',
  enhancedMeaning: 'delivery not authorized',
  reason: '554 5.7.1: relay denied: the server refused to forward to a domain it does not host',
  signals: ['relay-denied'],
};

describe('reply rendering', () => {
  test('a relay denial is tagged with its class, enhanced code and what it means', () => {
    assert.equal(classificationTag(relayDenied), '[rejection 5.7.1: relay denied]');
  });

  test('a temporary rejection says so in its tag and is yellow, not red', () => {
    const greylisted: Classification = { ...relayDenied, temporary: true, enhanced: '4.7.1' };
    assert.equal(classificationTag(greylisted), '[rejection 4.7.1 temporary: relay denied]');
    assert.equal(replyStyle(454, greylisted), 'yellow');
    assert.equal(replyStyle(554, relayDenied), 'red');
  });

  test('a refusal without signals is labelled with the meaning of its enhanced code', () => {
    const full: Classification = {
      class: 'rejection',
      temporary: false,
      enhanced: '5.2.2',
      enhancedMeaning: 'mailbox full',
      reason: '552 5.2.2: rejected (mailbox full): the server refused this recipient.',
      signals: [],
    };
    assert.equal(classificationTag(full), '[rejection 5.2.2: mailbox full]');
  });

  test('a plain acceptance carries only its class and code, not the boilerplate meaning of 2.1.0', () => {
    const accepted: Classification = {
      class: 'acceptance',
      temporary: false,
      enhanced: '2.1.0',
      enhancedMeaning: 'success: other address status',
      reason: '250 2.1.0: sender accepted.',
      signals: [],
    };
    assert.equal(classificationTag(accepted), '[acceptance 2.1.0]');
    assert.equal(classificationTag({ ...accepted, enhanced: undefined }), '[acceptance]');
  });

  test('a reply that decides nothing about relay (greeting, EHLO, RSET, MAIL accepted) is tagged [ok], with no relay class', () => {
    const accepted: Classification = { class: 'acceptance', temporary: false, enhanced: '2.1.0', reason: '250 2.1.0: sender accepted.', signals: [] };
    assert.equal(classificationTag(accepted, { neutral: true }), '[ok]');
    const screen = renderReply(['250 2.1.0 Ok'], 250, accepted, { neutral: true });
    assert.match(screen, /\[ok\]/);
    assert.doesNotMatch(screen, /acceptance/);
  });

  test('a reply no command asked for is shown, tagged [unsolicited] and said to be kept, whatever it says', () => {
    const relayed: Classification = { class: 'acceptance', temporary: false, reason: '250: accepted', signals: ['relay'] };
    assert.equal(classificationTag(relayed, { unsolicited: true }), '[unsolicited]');
    const screen = renderReply(['250 2.1.5 Ok'], 250, relayed, { unsolicited: true });
    assert.match(screen, /250 2\.1\.5 Ok/);
    assert.match(screen, /\[unsolicited\][^\n]*no command was waiting for this reply[^\n]*kept in the transcript/);
  });

  test('the reason under a reply drops the code and the label the tag already shows', () => {
    assert.equal(reasonAfterTag(relayDenied), 'the server refused to forward to a domain it does not host');
    const accepted: Classification = { class: 'acceptance', temporary: false, reason: '250 2.1.0: sender accepted.', signals: [] };
    assert.equal(reasonAfterTag(accepted), 'sender accepted.');
  });

  test('an accepted remote recipient is the loudest thing on screen, though its code is a 250', () => {
    const relayed: Classification = {
      class: 'acceptance',
      temporary: false,
      reason: '250: the server accepted a remote recipient: it relays',
      signals: ['relay'],
    };
    assert.equal(replyStyle(250, relayed), 'boldRed');
    assert.match(classificationTag(relayed), /RELAYED/);
  });

  test('NDR-pending is coloured apart from a plain acceptance', () => {
    const ndrPending: Classification = { class: 'ndr-pending', temporary: false, reason: 'accepted, NDR to come', signals: [] };
    assert.equal(replyStyle(250, ndrPending), 'magenta');
    assert.equal(replyStyle(250, { ...ndrPending, class: 'acceptance' }), 'green');
  });

  test('354 and 334 are intermediate, whatever the classifier said', () => {
    assert.equal(replyStyle(354, { class: 'acceptance', temporary: false, reason: '', signals: [] }), 'cyan');
  });

  test('a reply is written line by line with CR LF, then its tag and reason', () => {
    const output = renderReply(['554 5.7.1 <b@example.net>: Relay access denied'], 554, relayDenied);
    const rows = output.split('\r\n');
    assert.equal(rows.length, 3, 'two rows and the empty remainder after the last CR LF');
    assert.equal(rows[0], `${ansi.red}554 5.7.1 <b@example.net>: Relay access denied${ansi.reset}`);
    assert.ok(rows[1].includes('[rejection 5.7.1: relay denied]'));
    assert.ok(rows[1].includes('the server refused to forward to a domain it does not host'));
    assert.equal(output.replace(/\r\n/g, '').includes('\n'), false, 'no bare LF');
  });

  test('a server cannot drive the terminal: control bytes in a reply are shown escaped', () => {
    const hostile = '250 ok \x1b]0;pwned\x07 \x9b2J';
    const output = renderReply([hostile], 250);
    assert.equal(output.includes('\x1b]'), false);
    assert.equal(output.includes('\x9b'), false);
    assert.ok(output.includes('\\x1B]0;pwned\\x07 \\u009B2J'));
    assert.equal(terminalSafe('tab\there'), 'tab\\x09here');
  });

  test('errors are written in the swaks manner', () => {
    assert.equal(renderError('connection closed by 127.0.0.1:25'), `${ansi.red}*** connection closed by 127.0.0.1:25${ansi.reset}\r\n`);
  });
});
