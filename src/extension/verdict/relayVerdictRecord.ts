import type { DomainReport } from '../../core/reach/domainRun';
import type { RelayReport } from '../../core/relay/relayTypes';
import type { Transcript } from '../../core/transcript/transcriptEvent';
import type { Target } from '../target';
import type { TestItemState } from '../testing/testResultMapping';

/** Which face ran the tests; the verdict document says so. */
export type RelayRunSource = 'Test Explorer' | 'Run Relay Suite' | 'session terminal';

/** One finished relay run, as "Show Relay Verdict" and "Save Transcript" need it. No `vscode` here. */
export interface RelayVerdictRecord {
  report: RelayReport;
  target: Target;
  source: RelayRunSource;
  /** The run's transcript with its header (target, start, tool), ready to save. */
  transcript: Transcript;
  /** The run's recording in the transcripts store, while this window still holds it. */
  recordingId?: string;
  /** For a Test Explorer run: the state each test item was given, by test id. */
  testItems?: Readonly<Record<string, TestItemState>>;
}

/**
 * One finished mail-domain run (every address of its MX hosts), as "Show Relay Verdict" shows it. Apart from
 * RelayVerdictRecord (`kind` tells them apart): its report is the domain's, each address has its own record.
 */
export interface DomainVerdictRecord {
  kind: 'domain';
  report: DomainReport;
  /** The mail-domain target. */
  target: Target;
  source: RelayRunSource;
  startedAt: number;
  /** Each tested address's own run (its host target, transcript and recording), by address. */
  records: ReadonlyMap<string, RelayVerdictRecord>;
}

/** What "Show Relay Verdict" shows: the last run of one host, or of a mail domain. */
export type ShownVerdictRecord = RelayVerdictRecord | DomainVerdictRecord;

export function isDomainVerdict(record: ShownVerdictRecord): record is DomainVerdictRecord {
  return 'kind' in record && record.kind === 'domain';
}
