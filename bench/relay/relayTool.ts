import type { RelayVerdict } from '../../src/core/relay/relayTypes';
import type { BenchTarget } from './benchTargets';

/** What one run of one tool against one target concluded, and how long it took. */
export interface RelayToolRun {
  seconds: number;
  /** 'error' when the tool gave no verdict at all. */
  verdict: RelayVerdict | 'error';
  /** The tool's own words for its verdict ("Server is an open relay (10/16 tests)"). */
  detail: string;
  /** The tests (or address pairs) the tool counted as relayed. */
  counted: string[];
  /** Warnings the tool gave with its verdict (only ours gives any). */
  warnings?: string[];
  /** Tests the tool left open: accepted for local delivery, an NDR to follow (only ours tells these apart). */
  pending?: string[];
}

export interface RelayTool {
  /** For the table: smtp-relay-lab, nmap smtp-open-relay, swaks loop. */
  readonly name: string;
  run(target: BenchTarget): Promise<RelayToolRun>;
}

/** The parameters every tool uses, so that they send the same addresses (the CLI's defaults). */
export const benchRelayParameters = {
  localUser: 'postmaster',
  remoteDomain: 'example.net',
  remoteUser: 'relay-test',
  heloName: 'relay-lab.example.com',
};

/** Tests of the catalogue that are not relay attempts: acceptance there says nothing about relay. */
export const notRelayAttempts: ReadonlySet<string> = new Set(['control', 'x-unknown-local-user']);
