import * as vscode from 'vscode';
import { environmentNames, readEnvironments, sharedEnvironmentName, variablesOfEnvironment, type Environments } from '../../core/smtpFile/environments';
import { ConfigValue } from '../configValue';
import { DisposableStore } from '../disposableStore';
import { commandIds, languageIds, settingKeys, storageKeys } from '../ids';
import { pinnedEnvironmentOf } from '../../core/smtpFile/fileRun';

/**
 * `smtpRelayLab.environments` for .smtp files: the set chosen in the status bar (kept per workspace), or the
 * one a file pins with `# @env name`, over `$shared`. In an untrusted workspace only the user's own
 * environments count (the setting is restricted), so the workspace cannot change where a file connects.
 */
export class SmtpFileEnvironments implements vscode.Disposable {
  private readonly store = new DisposableStore();
  // Kept as plain objects: ConfigValue compares values as JSON, and a Map is always "{}" there.
  private readonly setting = this.store.add(
    new ConfigValue<Record<string, Record<string, string>>>(settingKeys.environments, {}, {
      read: (raw) => Object.fromEntries([...readEnvironments(raw)].map(([name, variables]) => [name, Object.fromEntries(variables)])),
      userLevelOnlyWhenUntrusted: true,
    }),
  );
  private readonly item = this.store.add(vscode.window.createStatusBarItem('smtpRelayLab.environment', vscode.StatusBarAlignment.Left, 49));
  private readonly changeEmitter = this.store.add(new vscode.EventEmitter<void>());

  /** Fires when the chosen environment or the setting changed: parses and diagnostics are stale. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(private readonly workspaceState: vscode.Memento) {
    this.item.name = 'SMTP .smtp Environment';
    this.item.command = commandIds.chooseEnvironment;
    this.setting.onDidChange(() => this.changed(), this, this.store.listenerArray);
    vscode.window.onDidChangeActiveTextEditor(() => this.updateItem(), this, this.store.listenerArray);
    this.store.add(vscode.commands.registerCommand(commandIds.chooseEnvironment, (name?: unknown) => this.choose(typeof name === 'string' ? name : undefined)));
    this.updateItem();
  }

  private get environments(): Environments {
    return readEnvironments(this.setting.value);
  }

  /** The name chosen in the status bar; undefined for "no environment" ($shared only). */
  get chosen(): string | undefined {
    const name = this.workspaceState.get<string>(storageKeys.chosenEnvironment);
    return name !== undefined && this.environments.has(name) ? name : undefined;
  }

  /** The environment a file uses: its `# @env`, else the chosen one. */
  environmentNameFor(text: string): string | undefined {
    return pinnedEnvironmentOf(text) ?? this.chosen;
  }

  /** The variables for a file's text; a pinned environment that does not exist gives `$shared` only (the parse then names what is missing). */
  variablesFor(text: string): Map<string, string> {
    return variablesOfEnvironment(this.environments, this.environmentNameFor(text));
  }

  dispose(): void {
    this.store.dispose();
  }

  /** Sets the environment; with no name, asks with a quick pick. Resolves with the name chosen ("" for none), or undefined if cancelled. */
  private async choose(name?: string): Promise<string | undefined> {
    const names = environmentNames(this.environments);
    let picked = name;
    if (picked === undefined) {
      const none = 'No environment';
      const items: vscode.QuickPickItem[] = [
        ...names.map((environment) => ({
          label: environment,
          description: environment === this.chosen ? 'current' : undefined,
          detail: [...(this.environments.get(environment)?.keys() ?? [])].map((variable) => `{{${variable}}}`).join(' '),
        })),
        { label: none, description: `${sharedEnvironmentName} only` },
      ];
      const choice = await vscode.window.showQuickPick(items, {
        title: 'Environment for .smtp files',
        placeHolder: names.length > 0 ? 'Variables come from this set, over $shared; a file\'s # @env wins' : 'No environments yet: add them to the smtpRelayLab.environments setting',
      });
      if (!choice) {
        return undefined;
      }
      picked = choice.label === none ? '' : choice.label;
    }
    if (picked !== '' && !names.includes(picked)) {
      void vscode.window.showWarningMessage(`There is no environment "${picked}" in smtpRelayLab.environments.`);
      return undefined;
    }
    await this.workspaceState.update(storageKeys.chosenEnvironment, picked === '' ? undefined : picked);
    this.changed();
    return picked;
  }

  private changed(): void {
    this.updateItem();
    this.changeEmitter.fire();
  }

  /** Shown while a .smtp file is the active editor: the environment it will use, and whether the file pins it. */
  private updateItem(): void {
    const editor = vscode.window.activeTextEditor;
    if (editor?.document.languageId !== languageIds.smtp) {
      this.item.hide();
      return;
    }
    const pinned = pinnedEnvironmentOf(editor.document.getText());
    const name = pinned ?? this.chosen;
    this.item.text = `$(symbol-variable) ${name ?? 'no environment'}`;
    this.item.tooltip = pinned
      ? `This file pins the environment "${pinned}" with # @env. Click to choose the one other .smtp files use.`
      : 'The environment of smtpRelayLab.environments that .smtp files use. Click to choose another.';
    this.item.show();
  }
}
