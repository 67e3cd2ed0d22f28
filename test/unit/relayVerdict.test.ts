import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { detectTarpit } from '../../src/core/relay/relayTarpit';
import type { ClassifiedReplyRecord, RelayTestOutcome, RelayTestResult } from '../../src/core/relay/relayTypes';
import { decideRelayVerdict, noControlWarning, relayWarnings, trustedNetworkWarning } from '../../src/core/relay/relayVerdict';

/** A needs-confirmation result proven by the server's echo of its local domain (the KB Exchange case). */
function proven(id: string): RelayTestResult {
  return { ...result(id, 'needs-confirmation'), proof: 'echo' };
}

function result(id: string, outcome: RelayTestOutcome, replies: ClassifiedReplyRecord[] = []): RelayTestResult {
  return {
    id,
    title: id,
    group: id === 'control' ? 'control' : id.startsWith('x-') ? 'extended' : 'kb',
    mailFrom: '<a@example.net>',
    rcptTo: '<b@example.net>',
    outcome,
    reason: `${id} ${outcome}`,
    replies,
    durationMs: 1,
  };
}

describe('decideRelayVerdict', () => {
  test('one failed test makes the server open, whatever else happened', () => {
    assert.equal(decideRelayVerdict([result('control', 'inconclusive'), result('kb1', 'failed'), result('kb2', 'error')]), 'open');
  });

  test('passed and NDR-pending tests proven by the echo, with a passed control, are closed (the KB Exchange case)', () => {
    assert.equal(decideRelayVerdict([result('control', 'passed'), result('kb1', 'passed'), proven('kb6')]), 'closed');
  });

  test('a needs-confirmation result that nothing proves keeps the verdict from closed', () => {
    // Evidence rules: an ambiguous acceptance (R%RD@S with a bare 250) is never enough for "closed".
    assert.equal(
      decideRelayVerdict([result('control', 'passed'), result('kb1', 'passed'), { ...result('x-percent-server-name', 'needs-confirmation'), proof: 'none' }]),
      'inconclusive',
    );
    assert.equal(decideRelayVerdict([result('control', 'passed'), result('kb6', 'needs-confirmation')]), 'inconclusive');
  });

  test('results without a proof field are judged by their replies: an echoed local domain proves local handling', () => {
    const echoed: ClassifiedReplyRecord = {
      command: 'RCPT TO:<victim%example.net>',
      code: 250,
      enhanced: '2.1.5',
      text: 'victim%example.net@example.com',
      class: 'ndr-pending',
      temporary: false,
      reason: 'appended',
      signals: ['local-domain-appended'],
    };
    assert.equal(decideRelayVerdict([result('control', 'passed'), result('kb6', 'needs-confirmation', [echoed])]), 'closed');
  });

  test('a server that names itself inside the remote test domain is never closed', () => {
    assert.equal(
      decideRelayVerdict([result('control', 'passed'), result('kb1', 'passed')], { remoteDomainClaimed: 'mx.example.net', remoteDomain: 'example.net' }),
      'inconclusive',
    );
  });

  test('without a control, refusals alone are closed', () => {
    assert.equal(decideRelayVerdict([result('kb1', 'passed')]), 'closed');
  });

  test('a refused control makes the verdict inconclusive', () => {
    assert.equal(decideRelayVerdict([result('control', 'inconclusive'), result('kb1', 'inconclusive')]), 'inconclusive');
  });

  test('an error makes the verdict inconclusive', () => {
    assert.equal(decideRelayVerdict([result('control', 'passed'), result('kb1', 'passed'), result('kb2', 'error')]), 'inconclusive');
  });

  test('an inconclusive relay test makes the verdict inconclusive', () => {
    assert.equal(decideRelayVerdict([result('kb1', 'passed'), result('kb2', 'inconclusive')]), 'inconclusive');
  });

  test('the control alone proves nothing about relay', () => {
    assert.equal(decideRelayVerdict([result('control', 'passed')]), 'inconclusive');
  });
});

describe('relayWarnings', () => {
  test('an accepted relay warns that the client may be inside trusted networks', () => {
    assert.ok(relayWarnings([result('control', 'passed'), result('kb1', 'failed')]).includes(trustedNetworkWarning));
  });

  test('NDR-pending tests are named, with how to confirm them', () => {
    const warnings = relayWarnings([result('control', 'passed'), proven('kb6'), proven('kb7')]);
    const pending = warnings.find((warning) => warning.includes('NDR-pending'));
    assert.ok(pending);
    assert.match(pending, /^Tests kb6 and kb7 were accepted for local delivery/);
    assert.ok(!warnings.includes(trustedNetworkWarning));
  });

  test('the NDR-pending warning shows in the terminal and the verdict document too, so it names no command-line flag', () => {
    const [pending] = relayWarnings([result('control', 'passed'), proven('kb6')]);
    assert.match(pending!, /re-run with confirmation by delivery \(sends DATA\) against a server you own\.$/);
    assert.doesNotMatch(pending!, /--/);
  });

  test('no control: the warning says a rejecting server would look closed', () => {
    assert.ok(relayWarnings([result('kb1', 'passed')]).includes(noControlWarning));
    assert.ok(!relayWarnings([result('control', 'passed'), result('kb1', 'passed')]).includes(noControlWarning));
  });

  test('a harvest signal in any reply gives the KB advice once', () => {
    const harvest: ClassifiedReplyRecord = {
      command: 'RCPT TO:<nobody@example.com>',
      code: 550,
      enhanced: '5.1.1',
      text: 'User unknown',
      class: 'rejection',
      temporary: false,
      reason: 'unknown user',
      signals: ['harvest'],
    };
    const warnings = relayWarnings([result('control', 'passed'), result('x-unknown-local-user', 'passed', [harvest]), result('kb6', 'passed', [harvest])]);
    const harvestWarnings = warnings.filter((warning) => warning.includes('harvest'));
    assert.equal(harvestWarnings.length, 1);
    assert.match(harvestWarnings[0], /^RCPT TO:<nobody@example\.com> got 550 5\.1\.1/);
  });

  test('errors are named', () => {
    assert.ok(relayWarnings([result('kb1', 'passed'), result('kb2', 'error')]).some((warning) => warning.startsWith('Test kb2 could not be completed')));
  });
});

describe('detectTarpit: reply delays that grow after refused recipients', () => {
  test('refusals answered ever slower than an accepted recipient are a tarpit', () => {
    const finding = detectTarpit([
      { latencyMs: 2, rejected: false },
      { latencyMs: 201, rejected: true },
      { latencyMs: 402, rejected: true },
      { latencyMs: 603, rejected: true },
    ]);
    assert.deepEqual(finding, { baselineMs: 2, slowestMs: 603 });
  });

  test('without a fast accepted reply, growing delays still show', () => {
    const finding = detectTarpit([200, 400, 600, 800, 1000].map((latencyMs) => ({ latencyMs, rejected: true })));
    assert.ok(finding);
    assert.equal(finding.slowestMs, 1000);
  });

  test('uniformly fast replies are no tarpit', () => {
    assert.equal(detectTarpit([3, 4, 2, 5, 3].map((latencyMs) => ({ latencyMs, rejected: true }))), undefined);
  });

  test('one slow refusal is not enough', () => {
    assert.equal(detectTarpit([{ latencyMs: 2, rejected: false }, { latencyMs: 900, rejected: true }, { latencyMs: 3, rejected: true }]), undefined);
  });

  test('slow accepted replies are not a tarpit (the delay must follow refusals)', () => {
    assert.equal(
      detectTarpit([{ latencyMs: 2, rejected: true }, { latencyMs: 900, rejected: false }, { latencyMs: 950, rejected: false }]),
      undefined,
    );
  });

  test('delays that shrink again are not called a tarpit', () => {
    assert.equal(
      detectTarpit([{ latencyMs: 2, rejected: false }, { latencyMs: 900, rejected: true }, { latencyMs: 400, rejected: true }]),
      undefined,
    );
  });
});
