import * as vscode from 'vscode';
import type { SessionTimeouts } from '../core/protocol/sessionOptions';
import { ConfigValue } from './configValue';
import { DisposableStore } from './disposableStore';
import { settingKeys } from './ids';
import { readBoolean, readNumberInRange, readOneOf, readString } from './settingReaders';
import {
  addressForms,
  confirmTimeoutSecondsRange,
  diagnosticsLevels,
  keepRecentRange,
  relayTestSelections,
  settingDefaults,
  timeoutSecondsRange,
  type AddressForm,
  type DiagnosticsLevel,
  type RelayTestSelection,
} from './settingValues';
import { practicePersonas, readTargetList, type PracticePersona, type Target } from './target';

export type { AddressForm, DiagnosticsLevel, RelayTestSelection } from './settingValues';

/**
 * Every `smtpRelayLab.*` setting as a typed value with a change event; defaults come from settingValues.ts,
 * which the manifest test compares with package.json.
 * Subscribe with `settings.replySeconds.onDidChange(listener, this, store.listenerArray)`.
 */
export class LabSettings implements vscode.Disposable {
  private readonly store = new DisposableStore();

  /** Restricted: in an untrusted workspace only the user-level list is used. */
  readonly targets = this.store.add(
    new ConfigValue<Target[]>(settingKeys.targets, [], { read: readTargetList, userLevelOnlyWhenUntrusted: true }),
  );
  readonly connectSeconds = this.seconds(settingKeys.connectSeconds, settingDefaults['timeouts.connectSeconds']);
  readonly greetingSeconds = this.seconds(settingKeys.greetingSeconds, settingDefaults['timeouts.greetingSeconds']);
  readonly replySeconds = this.seconds(settingKeys.replySeconds, settingDefaults['timeouts.replySeconds']);
  readonly diagnosticsLevel = this.store.add(
    new ConfigValue<DiagnosticsLevel>(settingKeys.diagnosticsLevel, settingDefaults['diagnostics.level'], {
      read: readOneOf(diagnosticsLevels),
    }),
  );
  readonly keepRecentTranscripts = this.store.add(
    new ConfigValue<number>(settingKeys.keepRecentTranscripts, settingDefaults['transcripts.keepRecent'], {
      read: readNumberInRange(keepRecentRange.min, keepRecentRange.max),
    }),
  );
  readonly addressForm = this.store.add(
    new ConfigValue<AddressForm>(settingKeys.addressForm, settingDefaults.addressForm, { read: readOneOf(addressForms) }),
  );
  readonly practicePersona = this.store.add(
    new ConfigValue<PracticePersona>(settingKeys.practicePersona, settingDefaults['practiceServer.persona'], {
      read: readOneOf(practicePersonas),
    }),
  );
  readonly relayTests = this.store.add(
    new ConfigValue<RelayTestSelection>(settingKeys.relayTests, settingDefaults['relay.tests'], {
      read: readOneOf(relayTestSelections),
    }),
  );
  /** Restricted: sending DATA through a server that turns out to be open really relays a message. */
  readonly confirmByDelivery = this.store.add(
    new ConfigValue<boolean>(settingKeys.confirmByDelivery, settingDefaults['relay.confirmByDelivery'], {
      read: readBoolean,
      userLevelOnlyWhenUntrusted: true,
    }),
  );

  /**
   * Restricted, as typed: parsed when a run uses it (core/reach/catcherSpec.ts, the CLI's --catcher reading),
   * so a mistake is said to the user then instead of silently falling back.
   */
  readonly catcher = this.store.add(
    new ConfigValue<string>(settingKeys.catcher, settingDefaults['relay.catcher'], { read: readString, userLevelOnlyWhenUntrusted: true }),
  );
  /** Restricted: NDRs go to this sender. */
  readonly mailFrom = this.store.add(
    new ConfigValue<string>(settingKeys.mailFrom, settingDefaults['relay.mailFrom'], { read: readString, userLevelOnlyWhenUntrusted: true }),
  );
  /** Restricted with the catcher it goes with. */
  readonly confirmTimeoutSeconds = this.store.add(
    new ConfigValue<number>(settingKeys.confirmTimeoutSeconds, settingDefaults['relay.confirmTimeoutSeconds'], {
      read: readNumberInRange(confirmTimeoutSecondsRange.min, confirmTimeoutSecondsRange.max),
      userLevelOnlyWhenUntrusted: true,
    }),
  );

  /**
   * Restricted: the DNS server a domain typed in the target picker is resolved with ("host[:port]"); empty
   * for the system's. A workspace could otherwise send the tests to addresses of its choosing.
   */
  readonly dnsResolver = this.store.add(
    new ConfigValue<string>(settingKeys.dnsResolver, settingDefaults.dnsResolver, {
      read: readString,
      userLevelOnlyWhenUntrusted: true,
    }),
  );

  /** The session timeouts the user configured; the end of DATA keeps the engine's default. */
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
