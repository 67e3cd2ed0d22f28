import * as vscode from 'vscode';
import type { SessionTimeouts } from '../core/sessionOptions';
import type { RelayTestParameters } from '../core/relayTypes';
import { ConfigValue } from './configValue';
import { DisposableStore } from './disposableStore';
import { settingKeys } from './ids';
import { readBoolean, readNumberInRange, readOneOf } from './settingReaders';
import { practicePersonas, readTargetList, type PracticePersona, type Target } from './target';

export const diagnosticsLevels = ['all', 'relevant', 'off'] as const;
export type DiagnosticsLevel = (typeof diagnosticsLevels)[number];

export const relayTestSelections = ['kb', 'all'] as const;
export type RelayTestSelection = (typeof relayTestSelections)[number];

export const addressForms: readonly RelayTestParameters['addressForm'][] = ['bracketed', 'bare'];

/** Range the manifest advertises for every timeout, in seconds. */
export const timeoutSecondsRange = { min: 1, max: 600 } as const;

/**
 * Every `smtpRelayLab.*` setting as a typed value with a change event. Defaults here match package.json.
 * Subscribe with `settings.replySeconds.onDidChange(listener, this, store.listenerArray)`.
 */
export class LabSettings implements vscode.Disposable {
  private readonly store = new DisposableStore();

  /** Restricted: in an untrusted workspace only the user-level list is used. */
  readonly targets = this.store.add(
    new ConfigValue<Target[]>(settingKeys.targets, [], { read: readTargetList, userLevelOnlyWhenUntrusted: true }),
  );
  readonly connectSeconds = this.seconds(settingKeys.connectSeconds, 10);
  readonly greetingSeconds = this.seconds(settingKeys.greetingSeconds, 30);
  readonly replySeconds = this.seconds(settingKeys.replySeconds, 30);
  readonly diagnosticsLevel = this.store.add(
    new ConfigValue<DiagnosticsLevel>(settingKeys.diagnosticsLevel, 'relevant', { read: readOneOf(diagnosticsLevels) }),
  );
  readonly keepRecentTranscripts = this.store.add(
    new ConfigValue<number>(settingKeys.keepRecentTranscripts, 20, { read: readNumberInRange(0, 500) }),
  );
  readonly addressForm = this.store.add(
    new ConfigValue<RelayTestParameters['addressForm']>(settingKeys.addressForm, 'bracketed', {
      read: readOneOf(addressForms),
    }),
  );
  readonly practicePersona = this.store.add(
    new ConfigValue<PracticePersona>(settingKeys.practicePersona, 'exchange', { read: readOneOf(practicePersonas) }),
  );
  readonly relayTests = this.store.add(
    new ConfigValue<RelayTestSelection>(settingKeys.relayTests, 'kb', { read: readOneOf(relayTestSelections) }),
  );
  /** Restricted: sending DATA through a server that turns out to be open really relays a message. */
  readonly confirmByDelivery = this.store.add(
    new ConfigValue<boolean>(settingKeys.confirmByDelivery, false, { read: readBoolean, userLevelOnlyWhenUntrusted: true }),
  );

  /** The session timeouts the user configured; DATA's end keeps the engine's default. */
  sessionTimeouts(): Partial<SessionTimeouts> {
    return {
      connectMs: this.connectSeconds.value * 1000,
      greetingMs: this.greetingSeconds.value * 1000,
      replyMs: this.replySeconds.value * 1000,
    };
  }

  dispose(): void {
    this.store.dispose();
  }

  private seconds(key: string, defaultValue: number): ConfigValue<number> {
    return this.store.add(
      new ConfigValue<number>(key, defaultValue, {
        read: readNumberInRange(timeoutSecondsRange.min, timeoutSecondsRange.max),
      }),
    );
  }
}
