import { defaultRelayTestSelection } from '../core/relay/relayParameters';
import type { RelayTestParameters } from '../core/relay/relayTypes';
import type { PracticePersona } from './target';

/**
 * The allowed values and defaults of our settings, without `vscode`, so test/unit/manifest.test.ts can check
 * that package.json declares the same ones.
 */
export const diagnosticsLevels = ['all', 'relevant', 'off'] as const;
export type DiagnosticsLevel = (typeof diagnosticsLevels)[number];

export const relayTestSelections = ['kb', 'all'] as const;
export type RelayTestSelection = (typeof relayTestSelections)[number];

export type AddressForm = RelayTestParameters['addressForm'];
export const addressForms: readonly AddressForm[] = ['bracketed', 'bare'];

/** Range of every timeout, in seconds. */
export const timeoutSecondsRange = { min: 1, max: 600 } as const;

/** Range of relay.confirmTimeoutSeconds: how long a catcher run waits after the tests. */
export const confirmTimeoutSecondsRange = { min: 1, max: 3600 } as const;

/** Range of transcripts.keepRecent. */
export const keepRecentRange = { min: 0, max: 500 } as const;

/** Defaults, keyed by the part of the setting key after "smtpRelayLab.". */
export const settingDefaults = {
  targets: [] as const,
  'timeouts.connectSeconds': 10,
  'timeouts.greetingSeconds': 30,
  'timeouts.replySeconds': 30,
  'diagnostics.level': 'relevant' as DiagnosticsLevel,
  'transcripts.keepRecent': 20,
  addressForm: 'bracketed' as AddressForm,
  'practiceServer.persona': 'exchange' as PracticePersona,
  'relay.tests': defaultRelayTestSelection as RelayTestSelection,
  'relay.confirmByDelivery': false,
  'relay.catcher': '',
  'relay.mailFrom': '',
  'relay.confirmTimeoutSeconds': 60,
  dnsResolver: '',
};
