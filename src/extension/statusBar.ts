import * as vscode from 'vscode';
import { commandIds } from './ids';

export type ConnectionState =
  | { kind: 'connecting'; target: string }
  | { kind: 'connected'; target: string; tls: boolean }
  | { kind: 'closed'; target: string; reason?: string };

/**
 * The status bar item that shows the session terminal's connection: connecting, connected (with or without
 * TLS), closed. The terminal drives it; hidden while no session exists.
 */
export class ConnectionStatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('smtpRelayLab.connection', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'SMTP Connection';
    this.item.command = commandIds.openSessionTerminal;
  }

  show(state: ConnectionState): void {
    const presentation = presentationOf(state);
    this.item.text = presentation.text;
    this.item.tooltip = presentation.tooltip;
    this.item.backgroundColor = presentation.warning
      ? new vscode.ThemeColor('statusBarItem.warningBackground')
      : undefined;
    this.item.show();
  }

  hide(): void {
    this.item.hide();
  }

  dispose(): void {
    this.item.dispose();
  }
}

function presentationOf(state: ConnectionState): { text: string; tooltip: string; warning: boolean } {
  switch (state.kind) {
    case 'connecting':
      return { text: `$(sync~spin) SMTP ${state.target}`, tooltip: `Connecting to ${state.target}…`, warning: false };
    case 'connected':
      return state.tls
        ? { text: `$(lock) SMTP ${state.target}`, tooltip: `Connected to ${state.target}, inside TLS`, warning: false }
        : {
            text: `$(plug) SMTP ${state.target}`,
            tooltip: `Connected to ${state.target} without TLS: what you type crosses the network in clear text`,
            warning: false,
          };
    case 'closed':
      return {
        text: `$(debug-disconnect) SMTP ${state.target}`,
        tooltip: state.reason ? `Closed: ${state.reason}` : `Connection to ${state.target} closed`,
        warning: state.reason !== undefined,
      };
  }
}
