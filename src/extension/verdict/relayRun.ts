import * as vscode from 'vscode';
import { CatcherSpecError, describeCatcherSpec, imapPasswordFor, openCatcherSession, type CatcherPlan, type CatcherSession } from '../../core/reach/catcherSpec';
import { imapPasswordVariable } from '../../core/reach/imapCatcher';
import { relayParameterDefaults } from '../../core/relay/relayParameters';
import { runRelaySuite } from '../../core/relay/relayRunner';
import type { RelayReport, RelayRunOptions } from '../../core/relay/relayTypes';
import { describeTarget } from '../../core/protocol/sessionOptions';
import type { LabContext } from '../labContext';
import { asClientProblem, type Target } from '../target';
import { commandIds } from '../ids';
import { relayRunOptionsFor, relayRunTranscript, transcriptExtras, windowCatcherPlan } from './relayRunSetup';
import type { RelayRunSource, RelayVerdictRecord } from './relayVerdictRecord';

export interface RelayRunRequest {
  target: Target;
  testIds: readonly string[];
  confirmByDelivery: boolean;
  source: RelayRunSource;
  /** From prepareDelivery: the catcher (if any), the sender and the confirm timeout the user agreed to. */
  delivery?: PreparedDelivery;
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
  const problem = asClientProblem(target);
  if (problem !== undefined) {
    // Before the recording and the connection: a run from here would show the trust asClient is meant to avoid.
    throw new Error(problem);
  }
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
  const plan = request.delivery?.plan;
  if (plan?.mailFrom !== undefined) {
    options.mailFrom = plan.mailFrom;
  }
  lab.log.info(
    `${request.source}: relay tests ${request.testIds.join(', ')} against ${target.label} (${where})` +
      (request.confirmByDelivery ? ', with delivery confirmation (DATA)' : '') +
      (plan?.spec ? `, looking for the messages at the ${describeCatcherSpec(plan.spec)}` : ''),
  );
  let report: RelayReport;
  // The catcher lives exactly as long as the run: opened here, closed in `finally` (end, cancel or error).
  let catcher: CatcherSession | undefined;
  let stopForwarding: (() => void) | undefined;
  try {
    if (plan?.spec) {
      catcher = await openCatcherSession(plan.spec, {
        ...(request.delivery?.imapPassword === undefined ? {} : { imapPassword: request.delivery.imapPassword }),
        missingPasswordHint: `set ${imapPasswordVariable} or run "SMTP: Set IMAP Catcher Password"`,
        rejectUnauthorized: target.rejectUnauthorized,
      });
      Object.assign(options, catcher.runOptions(target.remoteDomain, plan.mailFrom));
      if (target.practicePersona && catcher.listening) {
        // The practice relay hands what it would send on to the catcher, on loopback only, for this run.
        stopForwarding = lab.practiceForwarding?.(target, loopbackOf(catcher.listening));
      }
    }
    report = await runRelaySuite(options);
    if (catcher && !options.signal?.aborted) {
      const before = new Set(report.transcript);
      report = await catcher.confirm(report, {
        timeoutMs: plan!.confirmTimeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
        parameters: { addressForm: options.parameters.addressForm },
      });
      // What arrived (and each test's confirmation) goes into the recording and the run's output too.
      for (const event of report.transcript.filter((candidate) => !before.has(candidate))) {
        recording.record(event);
        hooks.onEvent?.(event);
      }
    }
  } finally {
    stopForwarding?.();
    await catcher?.close();
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

/** The built-in catcher as the practice server reaches it: a wildcard bind is reached on loopback. */
function loopbackOf(listening: { host: string; port: number }): { host: string; port: number } {
  const host = listening.host === '0.0.0.0' ? '127.0.0.1' : listening.host === '::' ? '::1' : listening.host;
  return { host, port: listening.port };
}

/**
 * Sending DATA through a server that turns out to be open really relays a message to the remote domain,
 * so a run that would do it against anything but the practice server asks first, every time.
 */
export async function confirmDataSending(target: Target, catcher?: string): Promise<boolean> {
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
        'towards a remote mailbox you own.' +
        (catcher ? ` The run then looks for the messages and their NDRs at the ${catcher}.` : ''),
    },
    send,
  );
  return choice === send;
}

/** What a run confirms with, once the user agreed: see prepareDelivery. */
export interface PreparedDelivery {
  plan: CatcherPlan;
  /** For an IMAP catcher: SMTP_RELAY_LAB_IMAP_PASSWORD, else SecretStorage. Passed to the catcher once, kept nowhere. */
  imapPassword?: string;
}

/**
 * Before a run: read the catcher settings with the CLI's rules, find the IMAP password, and ask before any
 * DATA is sent: whenever the run confirms by delivery (the delivery profile, or relay.confirmByDelivery),
 * with or without a catcher, since the setting alone is no consent to relay a message through a real
 * server. Undefined when the run must not start: a setting that cannot be used (said in an error message),
 * no password, or the modal declined.
 */
export async function prepareDelivery(lab: LabContext, target: Target, confirmByDelivery: boolean): Promise<PreparedDelivery | undefined> {
  let plan: CatcherPlan;
  try {
    plan = windowCatcherPlan(
      { catcher: lab.settings.catcher.value, mailFrom: lab.settings.mailFrom.value, confirmTimeoutSeconds: lab.settings.confirmTimeoutSeconds.value },
      confirmByDelivery,
    );
  } catch (error) {
    if (error instanceof CatcherSpecError) {
      void offerSettings(error.message);
      return undefined;
    }
    throw error;
  }
  let imapPassword: string | undefined;
  if (plan.spec?.kind === 'imap') {
    imapPassword = await imapPasswordFor(plan.spec.address, (address) => lab.imapCatcherPasswords.get(address));
    if (imapPassword === undefined) {
      void offerPasswordCommand(`The ${describeCatcherSpec(plan.spec)} needs its password: set ${imapPasswordVariable} or run "SMTP: Set IMAP Catcher Password".`);
      return undefined;
    }
  }
  if (confirmByDelivery && !(await confirmDataSending(target, plan.spec ? describeCatcherSpec(plan.spec) : undefined))) {
    return undefined;
  }
  return { plan, ...(imapPassword === undefined ? {} : { imapPassword }) };
}

async function offerSettings(message: string): Promise<void> {
  const open = 'Open Settings';
  if ((await vscode.window.showErrorMessage(message, open)) === open) {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'smtpRelayLab.relay');
  }
}

async function offerPasswordCommand(message: string): Promise<void> {
  const set = 'Set IMAP Catcher Password';
  if ((await vscode.window.showErrorMessage(message, set)) === set) {
    await vscode.commands.executeCommand(commandIds.setImapCatcherPassword);
  }
}
