import * as vscode from 'vscode';
import { relayParameterDefaults } from '../../core/relay/relayParameters';
import { runRelaySuite } from '../../core/relay/relayRunner';
import type { RelayReport, RelayRunOptions } from '../../core/relay/relayTypes';
import { describeTarget } from '../../core/protocol/sessionOptions';
import type { LabContext } from '../labContext';
import type { Target } from '../target';
import { relayRunOptionsFor, relayRunTranscript, transcriptExtras } from './relayRunSetup';
import type { RelayRunSource, RelayVerdictRecord } from './relayVerdictRecord';

export interface RelayRunRequest {
  target: Target;
  testIds: readonly string[];
  confirmByDelivery: boolean;
  source: RelayRunSource;
  hooks?: Pick<RelayRunOptions, 'signal' | 'onEvent' | 'onTestStarted' | 'onTestFinished'>;
}

const toolNames: Record<RelayRunSource, string> = {
  'Test Explorer': 'SMTP Relay Lab Test Explorer',
  'Run Relay Suite': 'SMTP Relay Lab relay suite',
  'session terminal': 'SMTP Relay Lab session terminal',
};

/**
 * One relay run from VS Code, for the Test Explorer and Run Relay Suite alike: the same runner as the CLI
 * and the terminal, with the window's settings (timeouts, address form) and the same remote recipient as
 * the terminal. Resolves with the record to publish; the caller decides whether to (not after a cancel).
 */
export async function runRelayTestsInWindow(lab: LabContext, request: RelayRunRequest): Promise<RelayVerdictRecord> {
  const { target } = request;
  const tool = toolNames[request.source];
  const where = describeTarget(target);
  // Recorded as it happens, so the transcript is on disk even if the window closes mid-run.
  const recording = lab.transcripts.track(`${request.source}: ${target.label}`, where, undefined, {
    tool,
    extra: transcriptExtras(target, request.testIds),
    ...(target.localDomains.length > 0 ? { localDomains: target.localDomains } : {}),
  });
  const hooks = request.hooks ?? {};
  const options = relayRunOptionsFor(
    {
      target,
      timeouts: lab.settings.sessionTimeouts(),
      addressForm: lab.settings.addressForm.value,
      remoteUser: relayParameterDefaults.remoteUser,
      confirmByDelivery: request.confirmByDelivery,
    },
    request.testIds,
    {
      ...hooks,
      onEvent: (event) => {
        recording.record(event);
        hooks.onEvent?.(event);
      },
    },
  );
  // The practice server's own outbox settles what its replies cannot prove (no DATA leaves the machine).
  const practiceEvidence = target.practicePersona ? lab.practiceDeliveryEvidence?.(target) : undefined;
  if (practiceEvidence) {
    options.confirmUnprovenByDelivery = true;
    options.deliveryEvidence = practiceEvidence;
  }
  lab.log.info(
    `${request.source}: relay tests ${request.testIds.join(', ')} against ${target.label} (${where})` +
      (request.confirmByDelivery ? ', with delivery confirmation (DATA)' : ''),
  );
  let report: RelayReport;
  try {
    report = await runRelaySuite(options);
  } finally {
    await recording.finish();
  }
  lab.log.info(`${request.source}: ${target.label}: ${report.verdict}`);
  return {
    report,
    target,
    source: request.source,
    transcript: relayRunTranscript(target, {
      startedAt: report.startedAt,
      events: report.transcript,
      tool,
      testIds: request.testIds,
    }),
    recordingId: recording.id,
  };
}

/**
 * Sending DATA through a server that turns out to be open really relays a message to the remote domain,
 * so a run that would do it against anything but the practice server asks first, every time.
 */
export async function confirmDataSending(target: Target): Promise<boolean> {
  if (target.practicePersona) {
    return true;
  }
  const send = 'Send DATA';
  const choice = await vscode.window.showWarningMessage(
    `Confirm by delivery on ${target.label}?`,
    {
      modal: true,
      detail:
        `For every test the server accepts, a short test message is sent to ${target.remoteDomain}. ` +
        'If the server is an open relay, that message is really relayed. Do this only for a server you own, ' +
        'towards a remote mailbox you own.',
    },
    send,
  );
  return choice === send;
}
