import * as vscode from 'vscode';
import { DisposableStore } from './disposableStore';

/**
 * Turns whatever a user typed into settings.json into a value of type T, or undefined to fall back to the
 * default. Settings are untyped JSON: a typed accessor has to check, not cast.
 */
export type SettingReader<T> = (raw: unknown) => T | undefined;

export interface ConfigValueOptions<T> {
  read: SettingReader<T>;
  /**
   * In an untrusted workspace, ignore workspace and folder values and use only what the user set in user
   * settings. For settings that decide where we connect or what we send.
   */
  userLevelOnlyWhenUntrusted?: boolean;
}

/** One setting as a typed, disposable value with a change event. */
export class ConfigValue<T> implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly changeEmitter = this.store.add(new vscode.EventEmitter<T>());
  private current: T;

  /** Fires with the new value when the effective value changed (settings edit, or workspace trust granted). */
  readonly onDidChange = this.changeEmitter.event;

  constructor(
    /** The full key, e.g. "smtpRelayLab.timeouts.replySeconds". */
    readonly key: string,
    private readonly defaultValue: T,
    private readonly options: ConfigValueOptions<T>,
  ) {
    this.current = this.readCurrent();
    vscode.workspace.onDidChangeConfiguration(this.onConfigurationChanged, this, this.store.listenerArray);
    if (options.userLevelOnlyWhenUntrusted) {
      vscode.workspace.onDidGrantWorkspaceTrust(this.refresh, this, this.store.listenerArray);
    }
  }

  get value(): T {
    return this.current;
  }

  dispose(): void {
    this.store.dispose();
  }

  private onConfigurationChanged(event: vscode.ConfigurationChangeEvent): void {
    if (event.affectsConfiguration(this.key)) {
      this.refresh();
    }
  }

  private refresh(): void {
    const next = this.readCurrent();
    if (JSON.stringify(next) !== JSON.stringify(this.current)) {
      this.current = next;
      this.changeEmitter.fire(next);
    }
  }

  private readCurrent(): T {
    const configuration = vscode.workspace.getConfiguration();
    let raw: unknown;
    if (this.options.userLevelOnlyWhenUntrusted && !vscode.workspace.isTrusted) {
      raw = configuration.inspect(this.key)?.globalValue;
    } else {
      raw = configuration.get(this.key);
    }
    return raw === undefined ? this.defaultValue : (this.options.read(raw) ?? this.defaultValue);
  }
}
