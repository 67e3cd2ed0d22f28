import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RelayReport, RelayTestResult } from '../../src/core/relay/relayTypes';
import { trustedNetworkWarning } from '../../src/core/relay/relayVerdict';
import { runDomain } from '../../src/core/reach/domainRun';
import type { MailDomainResolution } from '../../src/core/reach/mxResolution';
import { newTarget, type Target } from '../../src/extension/target';
import type { DomainVerdictRecord, RelayVerdictRecord } from '../../src/extension/verdict/relayVerdictRecord';
import { escapeMarkdown, inlineCode, renderDomainVerdictMarkdown, renderNoVerdictMarkdown, renderVerdictMarkdown } from '../../src/extension/verdict/verdictMarkdown';

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

/**
 * A mail domain's page, from the domain run the CLI and the editor share (core/reach/domainRun.ts): the worst-of
 * verdict is computed there, the page must show it, the table and the details of each address not closed.
 */
describe('verdict document of a mail domain', () => {
  const unreachable: RelayTestResult = { ...control, outcome: 'error', replies: [], reason: 'Not run: connect ECONNREFUSED 127.0.0.3:2525.' };

  async function domainRecord(resolution: MailDomainResolution, reports: Record<string, Partial<RelayReport>>): Promise<DomainVerdictRecord> {
    const records = new Map<string, RelayVerdictRecord>();
    const report = await runDomain(resolution, 2525, 2, async ({ address }) => {
      const record = recordOf({ target: { host: address, port: 2525 }, ...reports[address] });
      const target: Target = { ...newTarget(address, 2525, 'none'), label: `mx for ${address}` };
      records.set(address, { ...record, target, source: 'Run Relay Suite' });
      return record.report;
    });
    return {
      kind: 'domain',
      report,
      target: { ...newTarget('two.test', 2525, 'none'), label: 'two.test (mail domain)' },
      source: 'Run Relay Suite',
      startedAt,
      records,
    };
  }

  const twoHosts: MailDomainResolution = {
    domain: 'two.test',
    source: 'mx',
    addresses: [
      { names: ['mx1.two.test'], preference: 10, address: '127.0.0.1' },
      // DNS answers are a stranger's text too.
      { names: ['mx2.two.test', 'evil|`x`.two.test'], preference: 20, address: '::1' },
    ],
    problems: [],
  };

  test('open beats closed: the domain heading, the worst-of verdict, one row per address, then only the open address in detail', async () => {
    const record = await domainRecord(twoHosts, {
      '127.0.0.1': { verdict: 'closed', warnings: [], tests: [control] },
      '::1': { verdict: 'open', tests: [control, relayed] },
    });
    const text = renderDomainVerdictMarkdown(record);
    assert.match(text, /^# Relay verdict for the mail domain `two\.test`: OPEN RELAY\n/);
    assert.match(text, /The worst of its 2 addresses: open beats inconclusive beats closed/);
    assert.match(text, /\*\*Target:\*\* two\.test \(mail domain\) · 2 addresses \(of its MX hosts\) from the Run Relay Suite · started 2026-11-28 22:30:00 UTC\n/);
    const table = text.slice(text.indexOf('## Hosts'));
    assert.ok(table.startsWith('## Hosts\n\n| MX names | Preference | Address | Port | Verdict |\n| --- | --- | --- | --- | --- |\n'));
    const rows = table.split('\n').filter((line) => line.startsWith('| `'));
    assert.deepEqual(rows, [
      '| `mx1.two.test` | 10 | `127.0.0.1` | 2525 | closed |',
      '| `mx2.two.test`, ``evil\\|`x`.two.test`` | 20 | `::1` | 2525 | **OPEN RELAY** |',
    ]);
    // The open address: its own verdict document, one level down, with its tests.
    assert.match(text, /\n## ::1 \(mx2\.two\.test, evil\\\|\\`x\\`\.two\.test\): \*\*OPEN RELAY\*\*\n\n### Relay verdict: OPEN RELAY\n/);
    assert.match(text, /\n#### Tests\n\n\| Test \| Outcome \| Deciding reply \|\n/);
    assert.match(text, /\n\| \*\*kb1\*\* KB test 1: remote sender to remote recipient \| \*\*FAILED: relayed\*\* \|/);
    assert.match(text, /\n##### kb1: KB test 1: remote sender to remote recipient\n/);
    // The closed address is a table row only.
    assert.doesNotMatch(text, /\n## 127/);
    assert.equal(text.match(/^# /gm)?.length, 1, 'one document heading');
    assert.match(text, /transcripts are per address: \*\*SMTP: Show Relay Verdict\*\* offers \*Save Transcripts\*/);
  });

  test('an unreachable address is an error, so closed and unreachable read inconclusive, never closed; the warning comes before the table', async () => {
    const record = await domainRecord(
      {
        domain: 'down.test',
        source: 'mx',
        addresses: [
          { names: ['mx.down.test'], preference: 10, address: '127.0.0.1' },
          { names: ['gone.down.test'], preference: 20, address: '127.0.0.3' },
        ],
        problems: [{ name: 'lost.down.test', preference: 30, problem: 'no address (NXDOMAIN)' }],
      },
      {
        '127.0.0.1': { verdict: 'closed', warnings: [], tests: [control] },
        '127.0.0.3': { verdict: 'inconclusive', warnings: [], tests: [unreachable] },
      },
    );
    const text = renderDomainVerdictMarkdown(record);
    assert.match(text, /^# Relay verdict for the mail domain `down\.test`: Inconclusive\n/);
    const warnings = text.indexOf('## Warnings');
    assert.ok(warnings > 0 && warnings < text.indexOf('## Hosts'));
    assert.match(text, /\n- ⚠ 127\\\.0\.0\.3 could not be tested \(connect ECONNREFUSED 127\.0\.0\.3:2525\): the domain's verdict cannot be "closed"\.\n/);
    assert.deepEqual(
      text.split('\n').filter((line) => line.startsWith('| `')),
      [
        '| `mx.down.test` | 10 | `127.0.0.1` | 2525 | closed |',
        '| `gone.down.test` | 20 | `127.0.0.3` | 2525 | error: not tested (counts as inconclusive) |',
        '| `lost.down.test` | 30 | none | 2525 | error: not tested (counts as inconclusive) |',
      ],
    );
    assert.match(text, /\n## 127\\\.0\.0\.3 \(gone\.down\.test\): error: not tested \(counts as inconclusive\)\n\nNot tested: connect ECONNREFUSED 127\.0\.0\.3:2525\.\n/);
    assert.match(text, /\n## lost\.down\.test \(lost\.down\.test\): error: not tested/);
  });

  test('all addresses closed: the domain is closed, and no address is detailed', async () => {
    const record = await domainRecord(twoHosts, {
      '127.0.0.1': { verdict: 'closed', warnings: [], tests: [control] },
      '::1': { verdict: 'closed', warnings: [], tests: [control] },
    });
    const text = renderDomainVerdictMarkdown(record);
    assert.match(text, /^# Relay verdict for the mail domain `two\.test`: Closed: not an open relay\n/);
    assert.doesNotMatch(text, /\n## Warnings/);
    assert.doesNotMatch(text, /\n### Relay verdict/);
  });
});
