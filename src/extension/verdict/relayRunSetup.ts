import { planCatcher, type CatcherOptionNames, type CatcherPlan } from '../../core/reach/catcherSpec';
import type { RelayRunOptions, RelayTestParameters } from '../../core/relay/relayTypes';
import { describeTarget, type SessionTimeouts } from '../../core/protocol/sessionOptions';
import type { Transcript } from '../../core/transcript/transcriptEvent';
import { settingKeys } from '../ids';
import { sessionOptionsFor, type Target } from '../target';

/**
 * What a relay run from VS Code (the Test Explorer or Run Relay Suite) hands to the core runner, built from
 * the target and the settings. No `vscode` here, so the same mapping is tested with plain node.
 */
export interface RelayRunSetup {
  target: Target;
  timeouts: Partial<SessionTimeouts>;
  addressForm: RelayTestParameters['addressForm'];
  /** Local part of the remote recipient; the session terminal uses the same one. */
  remoteUser: string;
  confirmByDelivery: boolean;
}

export function relayParametersFor(setup: RelayRunSetup): RelayTestParameters {
  const { target } = setup;
  return {
    localDomains: [...target.localDomains],
    localUser: target.localUser,
    remoteDomain: target.remoteDomain,
    remoteUser: setup.remoteUser,
    // Empty: the runner takes the address it actually connected to, which the IP-literal tests need.
    serverAddress: '',
    heloName: target.heloName,
    addressForm: setup.addressForm,
  };
}

export function relayRunOptionsFor(
  setup: RelayRunSetup,
  testIds: readonly string[],
  hooks: Pick<RelayRunOptions, 'signal' | 'onEvent' | 'onTestStarted' | 'onTestFinished'> = {},
): RelayRunOptions {
  return {
    session: sessionOptionsFor(setup.target, setup.timeouts),
    parameters: relayParametersFor(setup),
    testIds: [...testIds],
    confirmByDelivery: setup.confirmByDelivery,
    ...hooks,
  };
}

/** The header lines a relay run's transcript carries besides target and start: how, which tests, which persona. */
export function transcriptExtras(target: Target, testIds: readonly string[]): Record<string, string> {
  const extra: Record<string, string> = { tls: target.tls, tests: testIds.join(',') };
  if (target.practicePersona) {
    extra.persona = target.practicePersona;
  }
  return extra;
}

/** A relay run's transcript with its header, so a saved file says which run it was. */
export function relayRunTranscript(
  target: Target,
  run: { startedAt: number; events: Transcript['events']; tool: string; testIds: readonly string[] },
): Transcript {
  return {
    header: { target: describeTarget(target), startedAt: run.startedAt, tool: run.tool, extra: transcriptExtras(target, run.testIds) },
    events: [...run.events],
  };
}

/** The editor's names for the CLI's --catcher, --mail-from, --confirm-timeout, --confirm-by-delivery. */
export const catcherSettingNames: CatcherOptionNames = {
  catcher: settingKeys.catcher,
  mailFrom: settingKeys.mailFrom,
  confirmTimeout: settingKeys.confirmTimeoutSeconds,
  confirmByDelivery: settingKeys.confirmByDelivery,
};

/** The catcher settings as the window has them (typed values from settings.ts). */
export interface CatcherSettings {
  catcher: string;
  mailFrom: string;
  confirmTimeoutSeconds: number;
}

/**
 * What a run from the editor confirms with, read by the CLI's own code (core/reach/catcherSpec.ts). The
 * catcher is used only when the run confirms by delivery; the sender applies to every run, as --mail-from
 * does. Throws CatcherSpecError, naming the setting, for a catcher or sender that cannot be used.
 */
export function windowCatcherPlan(settings: CatcherSettings, confirmByDelivery: boolean): CatcherPlan {
  return planCatcher(
    {
      ...(confirmByDelivery && settings.catcher.trim() !== '' ? { catcher: settings.catcher } : {}),
      ...(settings.mailFrom.trim() === '' ? {} : { mailFrom: settings.mailFrom }),
      confirmTimeoutMs: settings.confirmTimeoutSeconds * 1000,
      confirmByDelivery,
    },
    catcherSettingNames,
    false,
  );
}
