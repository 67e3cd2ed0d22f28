import * as vscode from 'vscode';
import { describeError } from '../core/protocol/errors';
import { outputChannelName } from './ids';

/**
 * The extension's one LogOutputChannel, wrapped once so every module writes `log.info(...)` and the channel is
 * created on first use (not at import, which would break modules loaded by tests before activation).
 * Never pass AUTH secrets here: the log is meant to be pasted into tickets.
 */
class ExtensionLog implements vscode.Disposable {
  private channel: vscode.LogOutputChannel | undefined;

  trace(message: string): void {
    this.output.trace(message);
  }

  debug(message: string): void {
    this.output.debug(message);
  }

  info(message: string): void {
    this.output.info(message);
  }

  warn(message: string): void {
    this.output.warn(message);
  }

  /** Logs `message: <error in one line>`, and the stack at debug level for whoever turns that on. */
  error(message: string, error?: unknown): void {
    if (error === undefined) {
      this.output.error(message);
      return;
    }
    this.output.error(`${message}: ${describeError(error)}`);
    if (error instanceof Error && error.stack) {
      this.output.debug(error.stack);
    }
  }

  show(preserveFocus = true): void {
    this.output.show(preserveFocus);
  }

  dispose(): void {
    this.channel?.dispose();
    this.channel = undefined;
  }

  private get output(): vscode.LogOutputChannel {
    this.channel ??= vscode.window.createOutputChannel(outputChannelName, { log: true });
    return this.channel;
  }
}

export const log = new ExtensionLog();
