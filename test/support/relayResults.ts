import assert from 'node:assert/strict';
import type { RelayReport, RelayTestParameters, RelayTestResult } from '../../src/core/relay/relayTypes';

/** Parameters for relay runs against scripted loopback servers (example names only). */
export const scriptedRelayParameters: RelayTestParameters = {
  localDomains: ['example.com'],
  localUser: 'postmaster',
  remoteDomain: 'example.net',
  remoteUser: 'victim',
  serverAddress: '',
  heloName: 'client.example.org',
  addressForm: 'bracketed',
};

/** What KB 304897 says a closed Exchange server gives: 1-5 refused, 6 and 7 accepted for local delivery. */
export const closedKbOutcomes: Readonly<Record<string, string>> = {
  control: 'passed',
  kb1: 'passed',
  kb2: 'passed',
  kb3: 'passed',
  kb4: 'passed',
  kb5: 'passed',
  kb6: 'needs-confirmation',
  kb7: 'needs-confirmation',
};

export function outcomesOf(report: RelayReport): Record<string, string> {
  return Object.fromEntries(report.tests.map((result) => [result.id, result.outcome]));
}

export function resultFor(report: RelayReport, id: string): RelayTestResult {
  const result = report.tests.find((candidate) => candidate.id === id);
  assert.ok(result, `no result for ${id}`);
  return result;
}
