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
