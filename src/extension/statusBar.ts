import * as vscode from 'vscode';
import { describeTarget } from '../core/protocol/sessionOptions';
import { DisposableStore } from './disposableStore';
import { commandIds } from './ids';
import { asClientProblem, type Target } from './target';

export type ConnectionState =
  | { kind: 'connecting'; target: string }
  | { kind: 'connected'; target: string; tls: boolean }
  | { kind: 'closed'; target: string; reason?: string };

/** What the status bar needs of the target catalogue. */
export interface ActiveTargetSource {
  readonly current: Target | undefined;
  readonly onDidChangeCurrent: vscode.Event<Target | undefined>;
}

const tlsWords: Record<Target['tls'], string> = { starttls: 'STARTTLS', implicit: 'implicit TLS', none: 'no TLS' };

/**
 * The status bar item that always names the active target (the server the terminal, Run Relay Suite and the
 * Test Explorer will use); clicking it picks another. When the session terminal is talking to that target,
 * its icon shows the connection: connecting, connected (with or without TLS), closed. A terminal on another
 * server never takes the item over: the item names the target, the tooltip names the terminal.
 */
export class ConnectionStatusItem implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly item: vscode.StatusBarItem;
  private readonly fileItem: vscode.StatusBarItem;
  private terminal: ConnectionState | undefined;
  private file: FileTarget | undefined;

  constructor(private readonly targets: ActiveTargetSource) {
    this.item = this.store.add(vscode.window.createStatusBarItem('smtpRelayLab.connection', vscode.StatusBarAlignment.Left, 50));
    this.item.name = 'SMTP Target';
    this.item.command = commandIds.chooseTarget;
    // Beside it, only while a .smtp file is in front: the server that file talks to, which may be another.
    this.fileItem = this.store.add(vscode.window.createStatusBarItem('smtpRelayLab.fileTarget', vscode.StatusBarAlignment.Left, 49));
    this.fileItem.name = 'SMTP File Target';
    targets.onDidChangeCurrent(() => this.render(), this, this.store.listenerArray);
    this.render();
  }

  /** What the item shows now, for the in-VS-Code suite. */
  get text(): string {
    return this.item.text;
  }

  /** The command a click runs. */
  get command(): string | undefined {
    return typeof this.item.command === 'string' ? this.item.command : this.item.command?.command;
  }

  get tooltip(): string {
    return typeof this.item.tooltip === 'string' ? this.item.tooltip : (this.item.tooltip?.value ?? '');
  }

  /** What the .smtp file's item shows now (undefined while it is hidden), for the in-VS-Code suite. */
  get fileText(): string | undefined {
    return this.file ? this.fileItem.text : undefined;
  }

  get fileTooltip(): string {
    return typeof this.fileItem.tooltip === 'string' ? this.fileItem.tooltip : (this.fileItem.tooltip?.value ?? '');
  }

  /** The session terminal's connection changed. */
  show(state: ConnectionState): void {
    this.terminal = state;
    this.render();
  }

  /**
   * The active editor is a .smtp file that talks to its own server (`# @target`, or picked for it): a second
   * item names that server while the file is in front, since that is where Send and Run file connect; the
   * first keeps naming the active target.
   */
  showFileTarget(file: FileTarget | undefined): void {
    this.file = file;
    this.render();
  }

  /** No session terminal any more. */
  hide(): void {
    this.terminal = undefined;
    this.render();
  }

  dispose(): void {
    this.store.dispose();
  }

  private render(): void {
    const presentation = presentationOf(this.targets.current, this.terminal);
    this.item.text = presentation.text;
    this.item.tooltip = presentation.tooltip;
    this.item.backgroundColor = presentation.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
    if (this.file) {
      const file = filePresentationOf(this.file, this.targets.current);
      this.fileItem.text = file.text;
      this.fileItem.tooltip = file.tooltip;
      this.fileItem.show();
    } else {
      this.fileItem.hide();
    }
  }
}

/** Exported for the unit tests: what the item says for a target and a terminal state. */
export function presentationOf(
  target: Pick<Target, 'label' | 'host' | 'port' | 'tls' | 'practicePersona' | 'asClient'> | undefined,
  terminal: ConnectionState | undefined,
): { text: string; tooltip: string; warning: boolean } {
  if (!target) {
    const terminalLine = terminal ? `\nSession terminal: ${terminalSentence(terminal)}` : '';
    return { text: '$(server) SMTP: choose target', tooltip: `No SMTP target chosen yet. Click to choose one.${terminalLine}`, warning: false };
  }
  const where = target.practicePersona ? `practice server on ${describeTarget(target)}` : describeTarget(target);
  const head = `Active SMTP target: ${target.label} (${where}, ${tlsWords[target.tls]}${asClientWords(target)}). Click to choose another.`;
  const onTarget = terminal !== undefined && terminal.target === target.label;
  const terminalLine = terminal ? `\nSession terminal: ${terminalSentence(terminal)}` : '';
  const icon = onTarget ? iconOf(terminal) : '$(server)';
  const invalidAsClient = asClientProblem(target) !== undefined;
  return {
    // "as 203.0.113.9": the tests run as an outside client (XCLIENT), not as this machine.
    text: `${icon} SMTP ${target.label}${target.asClient === undefined ? '' : invalidAsClient ? ' (asClient invalid)' : ` as ${target.asClient}`}`,
    tooltip: head + terminalLine,
    warning: invalidAsClient || (onTarget && terminal.kind === 'closed' && terminal.reason !== undefined),
  };
}

/** A .smtp file in front and the server it connects to, its text already free of secrets. */
export interface FileTarget {
  fileName: string;
  /** "127.0.0.1:2525" or the target's label; `{{$secret}}` parts redacted by the caller. */
  where: string;
  tls: Target['tls'];
}

/** What the file's item says while a .smtp file with its own server is in front. */
export function filePresentationOf(
  file: FileTarget,
  current: Pick<Target, 'label'> | undefined,
): { text: string; tooltip: string; warning: boolean } {
  const others = current ? `The terminal, Run Relay Suite and the Test Explorer use ${current.label}.` : 'No target is chosen for the terminal, Run Relay Suite and the Test Explorer.';
  return {
    text: `$(file-code) ${file.fileName} → ${file.where}`,
    tooltip: `${file.fileName} sends to ${file.where} (${tlsWords[file.tls]}): its # @target, or the server picked for it. ${others}`,
    warning: false,
  };
}

/** ", tested as client 203.0.113.9 through XCLIENT", or why that cannot be. */
function asClientWords(target: Pick<Target, 'asClient' | 'label'>): string {
  if (target.asClient === undefined) {
    return '';
  }
  const problem = asClientProblem(target);
  return problem === undefined ? `, tested as client ${target.asClient} through XCLIENT` : `; ${problem}`;
}

function iconOf(state: ConnectionState): string {
  switch (state.kind) {
    case 'connecting':
      return '$(sync~spin)';
    case 'connected':
      return state.tls ? '$(lock)' : '$(plug)';
    case 'closed':
      return '$(debug-disconnect)';
  }
}

function terminalSentence(state: ConnectionState): string {
  switch (state.kind) {
    case 'connecting':
      return `connecting to ${state.target}…`;
    case 'connected':
      return state.tls
        ? `connected to ${state.target}, inside TLS`
        : `connected to ${state.target} without TLS: what you type crosses the network in clear text`;
    case 'closed':
      return state.reason ? `closed (${state.reason})` : `connection to ${state.target} closed`;
  }
}
