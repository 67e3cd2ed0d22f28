import * as vscode from 'vscode';
import type { DeliveryEvidence } from '../core/relay/relayTypes';
import { DisposableStore } from './disposableStore';
import { log } from './log';
import { AuthPasswords, ImapCatcherPasswords } from './secrets';
import { LabSettings } from './settings';
import { ConnectionStatusItem } from './statusBar';
import { TargetCatalog } from './targets';
import type { TestExplorerHandle } from './testing/domainTree';
import { RelayVerdicts } from './verdict/relayVerdicts';
import { TranscriptStore } from './transcripts/transcriptStore';

/** What the practice server's outbox shows for a test's message, when `target` is that server. */
export type PracticeDeliveryEvidence = (
  target: { host: string; port: number },
) => ((test: { id: string }) => DeliveryEvidence | undefined) | undefined;

/**
 * Owns every resource of one activation. Features receive it in `registerX(lab)` and take what they need;
 * whatever they create is theirs to dispose, through the Disposable their register function returns.
 */
export class LabContext implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly notStarted: string[] = [];

  readonly log = log;
  readonly settings: LabSettings;
  readonly passwords: AuthPasswords;
  /** The IMAP catcher's mailbox password (SMTP: Set IMAP Catcher Password). */
  readonly imapCatcherPasswords: ImapCatcherPasswords;
  readonly targets: TargetCatalog;
  readonly connectionStatus: ConnectionStatusItem;
  /** The last relay verdict of any face (Test Explorer, Run Relay Suite, session terminal): what Show Relay Verdict shows. */
  readonly relayVerdicts: RelayVerdicts;
  /** Every session's transcript: `lab.transcripts.track(label, target, session)` (see transcriptStore.ts). */
  readonly transcripts: TranscriptStore;
  /**
   * Set by the practice-server feature: for a target that is the running practice server, what its outbox
   * holds for a test's message. Delivery there is safe (nothing leaves the machine), so relay runs against it
   * confirm by delivery what the replies cannot prove, as the CLI's `relay --lab` does.
   */
  practiceDeliveryEvidence: PracticeDeliveryEvidence | undefined;
  /**
   * Set by the practice-server feature: while a run with a built-in catcher tests the practice server, its
   * would-relay copies and NDRs are handed to the catcher on loopback (lab/outboxForwarding.ts). Returns the
   * stop function, or undefined when `target` is not the running practice server.
   */
  practiceForwarding: ((target: { host: string; port: number }, to: { host: string; port: number }) => (() => void) | undefined) | undefined;
  /** Set by the Test Explorer face: the run profiles it offers, its test items and domain nodes (for the in-VS-Code suite). */
  testExplorer: (TestExplorerHandle & { testItem(testId: string): vscode.TestItem | undefined; whenListed(): Promise<void> }) | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.store.add(log);
    this.settings = this.store.add(new LabSettings());
    this.passwords = new AuthPasswords(extension.secrets);
    this.imapCatcherPasswords = new ImapCatcherPasswords(extension.secrets);
    this.targets = this.store.add(new TargetCatalog(this.settings, extension.globalState, extension.workspaceState));
    this.connectionStatus = this.store.add(new ConnectionStatusItem(this.targets));
    this.relayVerdicts = this.store.add(new RelayVerdicts());
    this.transcripts = this.store.add(
      new TranscriptStore(extension.globalStorageUri, this.settings, `smtp-relay-lab ${String(extension.extension.packageJSON.version)}`),
    );
  }

  /** The features whose registration threw ("Could not start …" was reported): empty when every face is up. */
  get featuresNotStarted(): readonly string[] {
    return this.notStarted;
  }

  /** Resolves a file shipped with the extension (media/, syntaxes/). */
  asAbsoluteUri(relativePath: string): vscode.Uri {
    return vscode.Uri.joinPath(this.extension.extensionUri, relativePath);
  }

  /**
   * Registers one feature. If it throws, the user is told which feature is missing and why, and the others
   * still register: one broken face must not take the terminal or the Test Explorer down with it.
   */
  register(feature: string, registerFeature: (lab: LabContext) => vscode.Disposable): void {
    try {
      this.store.add(registerFeature(this));
    } catch (error) {
      this.notStarted.push(feature);
      reportActivationFailure(feature, error);
    }
  }

  dispose(): void {
    this.store.dispose();
  }
}

export function reportActivationFailure(feature: string, error: unknown): void {
  log.error(`Could not start ${feature}`, error);
  const message = error instanceof Error ? error.message : String(error);
  void vscode.window
    .showErrorMessage(`SMTP Relay Lab could not start ${feature}: ${message}`, 'Show Log')
    .then((choice) => (choice === 'Show Log' ? log.show(false) : undefined));
}
