import * as vscode from 'vscode';
import { classifyReply } from '../../core/relay/classifyReply';
import { relayParameterDefaults } from '../../core/relay/relayParameters';
import { describeTarget } from '../../core/protocol/sessionOptions';
import type { RelayReport } from '../../core/relay/relayTypes';
import type { Transcript } from '../../core/transcript/transcriptEvent';
import { authPromptsFor } from '../authPrompts';
import { commandIds } from '../ids';
import type { PracticeDeliveryEvidence } from '../labContext';
import type { AuthPasswords } from '../secrets';
import type { LabSettings } from '../settings';
import { sessionOptionsFor, type Target } from '../target';
import type { TranscriptRecording, TranscriptStore } from '../transcripts/transcriptStore';
import { confirmDataSending } from '../verdict/relayRun';
import type { RelayVerdicts } from '../verdict/relayVerdicts';
import { CatalogueRelayTests } from './catalogueRelayTests';
import { SessionConsole, sessionTerminalTool, transcriptExtra, type ConsoleConnection } from './sessionConsole';

/** What a session terminal needs from the extension, beyond its target. */
export interface SessionTerminalServices {
  settings: LabSettings;
  passwords: AuthPasswords;
  /** Keeps every session's transcript; /save and "SMTP: Save Transcript" save from it. */
  transcripts: TranscriptStore;
  /** The window's last verdict: each /test run publishes the verdict of the tests counted in this terminal. */
  relayVerdicts: Pick<RelayVerdicts, 'publish'>;
  /** The practice server's outbox, for a terminal connected to it (see LabContext.practiceDeliveryEvidence). */
  practiceDeliveryEvidence?: PracticeDeliveryEvidence;
}

/**
 * One SMTP conversation in a terminal, telnet-like. A Pseudoterminal has no process behind it: this class
 * owns its emitters and the SessionConsole, starts connecting in open(), closes the socket in close(),
 * and reports exit code 0 after /quit.
 */
export class SessionTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly nameEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  private readonly connectionEmitter = new vscode.EventEmitter<ConsoleConnection>();
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  private readonly textEmitter = new vscode.EventEmitter<string>();
  private readonly console: SessionConsole;
  private connectionValue: ConsoleConnection = { kind: 'connecting' };
  /** What was written, without colours and cursor moves: for tests, and for whoever asks what is on screen. */
  private screen = '';
  private disposed = false;
  private recording: TranscriptRecording | undefined;

  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidChangeName = this.nameEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  /** Connecting, connected (with or without TLS), closed: for the status bar and the context key. */
  readonly onDidChangeConnection = this.connectionEmitter.event;
  /** The terminal was closed, by the user or by /quit. */
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly target: Target,
    private readonly services: SessionTerminalServices,
  ) {
    const settings = services.settings;
    this.console = new SessionConsole(
      {
        target,
        sessionOptions: sessionOptionsFor(target, settings.sessionTimeouts()),
        classify: classifyReply,
        relayTests: new CatalogueRelayTests({
          confirmByDelivery: () => settings.confirmByDelivery.value,
          consentToData: () => confirmDataSending(target),
          practiceDeliveryEvidence: () => (target.practicePersona ? services.practiceDeliveryEvidence?.(target) : undefined),
        }),
        addressForm: settings.addressForm.value,
        remoteUser: relayParameterDefaults.remoteUser,
      },
      {
        write: (output) => this.write(output),
        connectionChanged: (connection) => this.connectionChanged(connection),
        authPrompts: authPromptsFor(services.passwords, target),
        openRecording: () => this.openRecording(),
        saveTranscript: () => this.saveTranscript(),
        relayReportChanged: (report) => this.publishVerdict(report),
        exit: (code) => this.closeEmitter.fire(code),
      },
    );
  }

  /** "SMTP Practice server (exchange)", then the state once it is known. */
  static titleFor(target: Target, connection?: ConsoleConnection): string {
    const base = `SMTP ${target.label}`;
    switch (connection?.kind) {
      case 'connecting':
        return `${base} (connecting…)`;
      case 'connected':
        return connection.tls ? `${base} (TLS)` : base;
      case 'closed':
        return `${base} (closed)`;
      default:
        return base;
    }
  }

  get connection(): ConsoleConnection {
    return this.connectionValue;
  }

  get screenText(): string {
    return this.screen;
  }

  get transcript(): Transcript {
    return this.console.transcript;
  }

  open(): void {
    this.console.start();
  }

  close(): void {
    this.dispose();
  }

  handleInput(data: string): void {
    this.console.handleInput(data);
  }

  /** Runs relay tests in this session as if /test had been typed; resolves when they are done. */
  runTests(ids: readonly string[]): Promise<void> {
    return this.console.runTests(ids);
  }

  /** Resolves once everything typed, pasted or queued so far has been handled. */
  whenIdle(): Promise<void> {
    return this.console.whenIdle();
  }

  /** Resolves with the screen text once it matches; driven by writes, not by a clock. */
  waitForText(pattern: RegExp): Promise<string> {
    if (pattern.test(this.screen)) {
      return Promise.resolve(this.screen);
    }
    return new Promise((resolve) => {
      const listener = this.textEmitter.event((screen) => {
        if (pattern.test(screen)) {
          listener.dispose();
          resolve(screen);
        }
      });
    });
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    // The console first: the session's "connection closed" still reaches the recording, which then finishes.
    this.console.dispose();
    void this.recording?.finish();
    this.disposeEmitter.fire();
    for (const emitter of [
      this.writeEmitter,
      this.nameEmitter,
      this.closeEmitter,
      this.connectionEmitter,
      this.disposeEmitter,
      this.textEmitter,
    ]) {
      emitter.dispose();
    }
  }

  private write(output: string): void {
    if (this.disposed) {
      return;
    }
    this.writeEmitter.fire(output);
    this.screen = (this.screen + plainText(output)).slice(-screenTextLimit);
    this.textEmitter.fire(this.screen);
  }

  /**
   * The terminal's one recording, in the transcript store: the console follows each of its sessions there
   * (a /reconnect goes on in the same transcript) and draws the screen from it, so the screen, /save and the
   * stored file are one record.
   */
  private openRecording(): TranscriptRecording {
    const target = this.target;
    this.recording ??= this.services.transcripts.track(`Session terminal: ${target.label}`, describeTarget(target), undefined, {
      tool: sessionTerminalTool,
      extra: transcriptExtra(target),
      ...(target.localDomains.length > 0 ? { localDomains: target.localDomains } : {}),
    });
    return this.recording;
  }

  /** Through "SMTP: Save Transcript", so /save and the command write the same file the same way. */
  private async saveTranscript(): Promise<string | undefined> {
    if (!this.recording) {
      return undefined;
    }
    const uri = await vscode.commands.executeCommand<vscode.Uri | undefined>(commandIds.saveTranscript, undefined, this.recording.id);
    return uri === undefined ? undefined : uri.scheme === 'file' ? uri.fsPath : uri.toString();
  }

  /** "Show Relay Verdict" then shows this terminal's tests; its "Save Transcript" saves this terminal's recording. */
  private publishVerdict(report: RelayReport): void {
    if (this.disposed) {
      return;
    }
    this.services.relayVerdicts.publish({
      report,
      target: this.target,
      source: 'session terminal',
      transcript: this.console.transcript,
      ...(this.recording ? { recordingId: this.recording.id } : {}),
    });
  }

  private connectionChanged(connection: ConsoleConnection): void {
    if (this.disposed) {
      return;
    }
    this.connectionValue = connection;
    this.nameEmitter.fire(SessionTerminal.titleFor(this.target, connection));
    this.connectionEmitter.fire(connection);
  }
}

/** The transcript keeps everything; the screen text is for a look at what is shown, so it keeps the end. */
const screenTextLimit = 1024 * 1024;

/** Terminal output as a person reads it (approximately, once lines were edited with the cursor keys): no SGR colours, no cursor moves, CR LF kept. */
function plainText(output: string): string {
  return output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}
