import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RelayReport, RelayTestResult } from '../../src/core/relay/relayTypes';
import { trustedNetworkWarning } from '../../src/core/relay/relayVerdict';
import { newTarget } from '../../src/extension/target';
import type { RelayVerdictRecord } from '../../src/extension/verdict/relayVerdictRecord';
import { escapeMarkdown, inlineCode, renderNoVerdictMarkdown, renderVerdictMarkdown } from '../../src/extension/verdict/verdictMarkdown';

const startedAt = Date.UTC(2026, 10, 28, 22, 30, 0);

const relayed: RelayTestResult = {
  id: 'kb1',
  title: 'KB test 1: remote sender to remote recipient',
  group: 'kb',
  mailFrom: '<admin@example.net>',
  rcptTo: '<relay-test@example.net>',
  outcome: 'failed',
  reason: 'Relayed: 250 2.1.5: accepted for remote recipient relay-test@example.net: this server relays to example.net.',
  durationMs: 3,
  replies: [
    { command: 'MAIL FROM:<admin@example.net>', code: 250, enhanced: '2.1.0', text: 'Ok', class: 'acceptance', temporary: false, reason: 'ok' },
    {
      command: 'RCPT TO:<relay-test@example.net>',
      code: 250,
      enhanced: '2.1.5',
      // Server text is a stranger's: Markdown in it must stay text.
      text: '**Ok** [click](command:workbench.action.quit) | `x` <img src=x>',
      class: 'acceptance',
      temporary: false,
      reason: 'relay',
      signals: ['relay'],
    },
  ],
};

const pending: RelayTestResult = {
  id: 'kb6',
  title: 'KB test 6: percent hack (R%RD)',
  group: 'kb',
  mailFrom: '<admin>',
  rcptTo: '<relay-test%example.net>',
  outcome: 'needs-confirmation',
  reason: 'NDR-pending: accepted for local delivery.',
  durationMs: 2,
  replies: [{ command: 'RCPT TO:<relay-test%example.net>', code: 250, enhanced: '2.1.5', text: 'Ok', class: 'ndr-pending', temporary: false, reason: 'local' }],
};

const control: RelayTestResult = {
  id: 'control',
  title: 'Control: remote sender to a local user',
  group: 'control',
  mailFrom: '<relay-test@example.net>',
  rcptTo: '<postmaster@corp.example>',
  outcome: 'passed',
  reason: 'Accepted: ordinary inbound mail.',
  durationMs: 2,
  replies: [{ command: 'RCPT TO:<postmaster@corp.example>', code: 250, enhanced: '2.1.5', text: 'Ok', class: 'acceptance', temporary: false, reason: 'local' }],
};

function recordOf(report: Partial<RelayReport>): RelayVerdictRecord {
  const full: RelayReport = {
    target: { host: '127.0.0.1', port: 2525 },
    verdict: 'open',
    warnings: [trustedNetworkWarning],
    tests: [relayed, pending],
    transcript: [],
    startedAt,
    durationMs: 420,
    ...report,
  };
  return {
    report: full,
    target: { ...newTarget('127.0.0.1', 2525, 'none'), label: 'Practice server (open)' },
    source: 'Test Explorer',
    transcript: { header: { tool: 't', startedAt }, events: [] },
  };
}

describe('verdict document', () => {
  test('an open relay is the heading, with the trusted-network warning before the test table', () => {
    const markdown = renderVerdictMarkdown(recordOf({}));
    assert.match(markdown, /^# Relay verdict: OPEN RELAY\n/);
    const warning = markdown.indexOf('The server accepted relay from this client');
    assert.ok(warning > 0, 'the trusted-network warning is shown');
    assert.ok(warning < markdown.indexOf('## Tests'), 'before the tests');
  });

  test('it names the target, where the run came from, and when it started', () => {
    const markdown = renderVerdictMarkdown(recordOf({}));
    assert.match(markdown, /\n\*\*Target:\*\* Practice server \(open\) at `127\.0\.0\.1:2525` · 2 tests from the Test Explorer · started 2026-11-28 22:30:00 UTC · 420 ms\n/);
  });

  test('a run as another client (XCLIENT) says so on the target line', () => {
    const markdown = renderVerdictMarkdown(recordOf({ target: { host: '127.0.0.1', port: 2525, asClient: '203.0.113.9' }, verdict: 'closed' }));
    assert.match(markdown, /\n\*\*Target:\*\* Practice server \(open\) at `127\.0\.0\.1:2525` as client `203\.0\.113\.9` \(XCLIENT\) · 2 tests from the Test Explorer · /);
  });

  test('one table row per test, with its outcome and deciding reply', () => {
    const markdown = renderVerdictMarkdown(recordOf({}));
    const rows = markdown.split('\n').filter((line) => line.startsWith('| **'));
    assert.equal(rows.length, 2);
    assert.match(rows[0]!, /^\| \*\*kb1\*\* KB test 1: remote sender to remote recipient \| \*\*FAILED: relayed\*\* \| ``250 2\.1\.5 /);
    assert.match(rows[1]!, /^\| \*\*kb6\*\* KB test 6: percent hack \(R%RD\) \| NDR-pending: confirm \| `250 2\.1\.5 Ok` \|$/);
  });

  test("a server's reply text cannot add Markdown: links, emphasis, HTML and table cells stay text", () => {
    const markdown = renderVerdictMarkdown(recordOf({}));
    const row = markdown.split('\n').find((line) => line.startsWith('| **kb1**'))!;
    // Three cells: four unescaped pipes.
    assert.equal(row.match(/(?<!\\)\|/g)?.length, 4);
    assert.ok(row.includes('``250 2.1.5 **Ok** [click](command:workbench.action.quit) \\| `x` <img src=x>``'), row);
    const detail = markdown.split('\n').find((line) => line.startsWith('- Reply: ``RCPT'))!;
    assert.ok(detail.startsWith('- Reply: ``RCPT TO:<relay-test@example.net> -> 250 2.1.5 **Ok**'), detail);
  });

  test('each test has a details section with what was sent and why', () => {
    const markdown = renderVerdictMarkdown(recordOf({ verdict: 'closed', warnings: [], tests: [control, pending] }));
    assert.match(markdown, /^# Relay verdict: Closed: not an open relay\n/);
    assert.doesNotMatch(markdown, /## Warnings/);
    assert.match(markdown, /\n### kb6: KB test 6: percent hack \(R%RD\)\n\nOutcome: NDR-pending: confirm\n\n- Sent: `MAIL FROM:<admin>`, `RCPT TO:<relay-test%example\.net>`\n/);
    assert.match(markdown, /\n- Why: NDR-pending: accepted for local delivery\.\n/);
  });

  test('"closed" is never shown without the control: the heading says the verdict is not confirmed', () => {
    const markdown = renderVerdictMarkdown(recordOf({ verdict: 'closed', warnings: [], tests: [pending] }));
    assert.match(markdown, /^# Relay verdict: Not confirmed: no control test ran\n/);
    assert.doesNotMatch(markdown, /Closed/);
  });

  test('a run over a second is in seconds; a fast one in milliseconds, not "0.0 s"', () => {
    assert.match(renderVerdictMarkdown(recordOf({ durationMs: 37_250 })), / · 37\.3 s\n/);
    assert.match(renderVerdictMarkdown(recordOf({ durationMs: 12 })), / · 12 ms\n/);
  });

  test("the terminal's figure says it is the tests' own time, not the pauses between them", () => {
    const record = { ...recordOf({ durationMs: 35 }), source: 'session terminal' as const };
    assert.match(renderVerdictMarkdown(record), / · 35 ms of test time \(pauses between the terminal's tests not counted\)\n/);
  });

  test('without any run, the document says how to get a verdict', () => {
    assert.match(renderNoVerdictMarkdown(), /^# Relay verdict: none yet\n\n.*SMTP: Run Relay Suite/);
  });
});

describe('Markdown escaping', () => {
  test('a code span holds backticks by using a longer fence', () => {
    assert.equal(inlineCode('plain'), '`plain`');
    assert.equal(inlineCode('a `b` c'), '``a `b` c``');
    assert.equal(inlineCode('`edge'), '`` `edge ``');
  });

  test('inline markup is escaped, and block starts only at the start of the text', () => {
    assert.equal(escapeMarkdown('*a* _b_ [c](d) <e> & f|g ~h~ `i`'), '\\*a\\* \\_b\\_ \\[c\\](d) \\<e\\> \\& f\\|g \\~h\\~ \\`i\\`');
    assert.equal(escapeMarkdown('# not a heading'), '\\# not a heading');
    assert.equal(escapeMarkdown('- not a list - really'), '\\- not a list - really');
    assert.equal(escapeMarkdown('1. not a list'), '1\\. not a list');
    assert.equal(escapeMarkdown('550 5.7.1 relay denied.'), '550 5.7.1 relay denied.');
  });
});
