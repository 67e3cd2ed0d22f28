import * as vscode from 'vscode';
import { DisposableStore } from '../disposableStore';
import { contextKeys } from '../ids';
import type { ConnectionStatusItem } from '../statusBar';
import type { Target } from '../target';
import type { ConsoleConnection } from './sessionConsole';
import { SessionTerminal, type SessionTerminalServices } from './sessionTerminal';

/**
 * Every open session terminal of this window, which one is active (the one "Run Relay Test" uses), and the
 * status bar item and context key that follow the active one's connection.
 */
export class SessionTerminalRegistry implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly open = new Map<SessionTerminal, vscode.Terminal | undefined>();
  /** Most recently used last. */
  private readonly usage: SessionTerminal[] = [];

  constructor(
    private readonly services: SessionTerminalServices,
    private readonly status: ConnectionStatusItem,
  ) {
    // Profile terminals are created by VS Code from our pty: their Terminal is known only when it opens.
    vscode.window.onDidOpenTerminal((terminal) => this.adopt(terminal), undefined, this.store.listenerArray);
    vscode.window.onDidChangeActiveTerminal(
      (terminal) => {
        const session = this.sessionOf(terminal);
        if (session) {
          this.markUsed(session);
          this.showStatus();
        }
      },
      undefined,
      this.store.listenerArray,
    );
  }

  /** The session terminal the user last worked in, if any is open. */
  get active(): SessionTerminal | undefined {
    return this.usage[this.usage.length - 1];
  }

  /** A pty for a new session terminal, tracked from now on; VS Code (or `show`) makes the terminal. */
  create(target: Target): SessionTerminal {
    const session = new SessionTerminal(target, this.services);
    this.open.set(session, undefined);
    this.markUsed(session);
    session.onDidChangeConnection(() => this.showStatus());
    session.onDidDispose(() => this.forget(session));
    return session;
  }

  /** Creates a session terminal and shows it in the panel. */
  show(target: Target): SessionTerminal {
    const session = this.create(target);
    const terminal = vscode.window.createTerminal({
      name: SessionTerminal.titleFor(target),
      pty: session,
      iconPath: new vscode.ThemeIcon('mail'),
    });
    this.open.set(session, terminal);
    terminal.show();
    return session;
  }

  /** Brings a session's terminal to the front. */
  reveal(session: SessionTerminal): void {
    this.open.get(session)?.show();
  }

  dispose(): void {
    for (const [session, terminal] of [...this.open]) {
      session.dispose();
      terminal?.dispose();
    }
    this.status.hide();
    this.store.dispose();
  }

  private adopt(terminal: vscode.Terminal): void {
    const options = terminal.creationOptions;
    const pty = 'pty' in options ? options.pty : undefined;
    if (pty instanceof SessionTerminal && this.open.has(pty)) {
      this.open.set(pty, terminal);
    }
  }

  private sessionOf(terminal: vscode.Terminal | undefined): SessionTerminal | undefined {
    for (const [session, known] of this.open) {
      if (known === terminal) {
        return session;
      }
    }
    return undefined;
  }

  private markUsed(session: SessionTerminal): void {
    const index = this.usage.indexOf(session);
    if (index >= 0) {
      this.usage.splice(index, 1);
    }
    this.usage.push(session);
  }

  private forget(session: SessionTerminal): void {
    this.open.delete(session);
    const index = this.usage.indexOf(session);
    if (index >= 0) {
      this.usage.splice(index, 1);
    }
    this.showStatus();
  }

  private showStatus(): void {
    const anyConnected = [...this.open.keys()].some((session) => session.connection.kind === 'connected');
    void vscode.commands.executeCommand('setContext', contextKeys.sessionConnected, anyConnected);
    const active = this.active;
    if (!active) {
      this.status.hide();
      return;
    }
    this.status.show(statusOf(active.target, active.connection));
  }
}

function statusOf(target: Target, connection: ConsoleConnection): Parameters<ConnectionStatusItem['show']>[0] {
  switch (connection.kind) {
    case 'connecting':
      return { kind: 'connecting', target: target.label };
    case 'connected':
      return { kind: 'connected', target: target.label, tls: connection.tls };
    case 'closed':
      return connection.reason === undefined
        ? { kind: 'closed', target: target.label }
        : { kind: 'closed', target: target.label, reason: connection.reason };
  }
}
