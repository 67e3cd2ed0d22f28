import * as path from 'node:path';
import * as vscode from 'vscode';
import { ConnectError, InvalidStateError } from '../../core/protocol/errors';
import { describeTarget } from '../../core/protocol/sessionOptions';
import { authPromptsFor } from '../authPrompts';
import { DisposableStore, toDisposable } from '../disposableStore';
import type { LabContext } from '../labContext';
import { ConfigValue } from '../configValue';
import { languageIds, settingKeys, storageKeys } from '../ids';
import { readBoolean } from '../settingReaders';
import type { Target } from '../target';
import type { TranscriptRecording } from '../transcripts/transcriptStore';
import { outcomeOfBlock, type BlockOutcome } from '../../core/smtpFile/blockOutcome';
import { runAndJudge, type JudgedBlock } from '../../core/smtpFile/fileRun';
import { dynamicVariableResolver } from '../../core/smtpFile/dynamicVariables';
import { SecretRedactor } from '../../core/smtpFile/secretRedaction';
import type { DynamicVariableResolver } from '../../core/smtpFile/variableReferences';
import { blocksNeedingConfirmation } from '../../core/smtpFile/guardRails';
import { LiveTranscriptDocuments } from './liveTranscripts';
import type { ParsedSmtpDocuments } from './parsedSmtpDocuments';
import { askedVariablesOf, SmtpFileConversation, SmtpFileProblemError, type BlockRunResult, type SmtpFileRunValues } from '../../core/smtpFile/smtpFileConversation';
import type { SmtpFileRunDiagnostics } from './smtpFileRunDiagnostics';
import { connectionKeyOf, targetOfFile } from '../../core/smtpFile/smtpFileTarget';
import { problemsStoppingBlock, splitDocumentLines, type SmtpDocument } from '../../core/smtpFile/smtpDocument';

/** What Send and Run file resolve with: the live transcript beside the file, each block's replies, and what its `# @expect` lines came to. */
export interface SmtpFileRun {
  transcript: vscode.Uri;
  results: BlockRunResult[];
  /** The same blocks judged, as the CLI's run judges them. */
  blocks: JudgedBlock[];
}

/** What the CodeLens shows for one file. */
export interface SmtpFileState {
  /** Blocks being sent now, or waiting for the ones before them. */
  isRunning(blockIndex: number): boolean;
  /** The outcome of each block's last run on the current target. */
  outcomes: ReadonlyMap<number, BlockOutcome>;
  /** Each block's last run judged against its `# @expect` lines. */
  verdicts: ReadonlyMap<number, JudgedBlock>;
}

/** One open .smtp document: its conversation (while it has one), and what the CodeLens shows. */
class SmtpFileEntry implements SmtpFileState {
  conversation: SmtpFileConversation | undefined;
  connectionKey: string | undefined;
  /** For a file without `# @target`: what the user picked, asked once per open document. */
  pickedTarget: Target | undefined;
  /** Where the last run connected, as the status bar may show it (secrets redacted). */
  lastTarget: { where: string; tls: Target['tls'] } | undefined;
  /** The last run's prompts and secrets: directives that use them are read again with these after an edit. */
  lastValues: SmtpFileRunValues | undefined;
  readonly outcomes = new Map<number, BlockOutcome>();
  readonly verdicts = new Map<number, JudgedBlock>();
  blockCount = 0;
  private readonly running = new Map<number, number>();
  private conversationResources: DisposableStore | undefined;

  isRunning(blockIndex: number): boolean {
    return (this.running.get(blockIndex) ?? 0) > 0;
  }

  markRunning(indices: readonly number[], delta: 1 | -1): void {
    for (const index of indices) {
      this.running.set(index, (this.running.get(index) ?? 0) + delta);
    }
  }

  /** Owns what lives as long as the current conversation: the recording, the live document binding. */
  startConversation(conversation: SmtpFileConversation, key: string): DisposableStore {
    this.conversation = conversation;
    this.connectionKey = key;
    this.outcomes.clear();
    this.verdicts.clear();
    this.conversationResources = new DisposableStore();
    return this.conversationResources;
  }

  endConversation(reason: string): void {
    this.conversation?.close(reason);
    this.conversation = undefined;
    this.connectionKey = undefined;
    this.conversationResources?.dispose();
    this.conversationResources = undefined;
  }
}

/**
 * The conversations of the open .smtp documents: one connection per document, reused by every Send,
 * kept until the document closes or its target directives change. Each conversation is recorded in the
 * transcripts store and shown live beside the file.
 */
export class SmtpFileSessions implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly entries = new Map<string, SmtpFileEntry>();
  private readonly changeEmitter = this.store.add(new vscode.EventEmitter<vscode.Uri>());
  /** Restricted: a workspace must not turn the guard rails off. */
  private readonly confirmRiskyBlocks = this.store.add(
    new ConfigValue<boolean>(settingKeys.confirmRiskyBlocks, true, { read: readBoolean, userLevelOnlyWhenUntrusted: true }),
  );

  /** Fires with a .smtp document's URI when what its CodeLens shows changed. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(
    private readonly lab: LabContext,
    private readonly parsed: ParsedSmtpDocuments,
    private readonly live: LiveTranscriptDocuments,
    private readonly runDiagnostics: SmtpFileRunDiagnostics,
  ) {
    const listeners = this.store.listenerArray;
    vscode.workspace.onDidCloseTextDocument((document) => this.release(document.uri), this, listeners);
    vscode.window.tabGroups.onDidChangeTabs((event) => this.releaseClosedTabs(event.closed), this, listeners);
    vscode.workspace.onDidChangeTextDocument((event) => this.checkTarget(event.document), this, listeners);
    vscode.window.onDidChangeActiveTextEditor(() => this.showActiveFileTarget(), this, listeners);
    this.store.add(toDisposable(() => this.lab.connectionStatus.showFileTarget(undefined)));
    this.showActiveFileTarget();
  }

  stateOf(uri: vscode.Uri): SmtpFileState | undefined {
    return this.entries.get(uri.toString());
  }

  /**
   * Sends one block, or every block in order (`'all'`, Run file), on the document's connection. Resolves
   * undefined when nothing was sent: the user cancelled the target picker, or the file has a problem (said
   * in a message that offers to show the line).
   */
  async send(uri: vscode.Uri, blocks: number | 'all'): Promise<SmtpFileRun | undefined> {
    const document = await vscode.workspace.openTextDocument(uri);
    const written = this.parsed.get(document);
    const fileName = fileNameOf(uri);
    if (blocks !== 'all' && !written.blocks[blocks]) {
      void vscode.window.showErrorMessage(`${fileName} has no block ${blocks + 1}: it has ${written.blocks.length}.`);
      return undefined;
    }
    const indices = blocks === 'all' ? written.blocks.map((block) => block.index) : [blocks];
    if (indices.length === 0) {
      void vscode.window.showInformationMessage(`${fileName} has nothing to send yet: write SMTP commands, in blocks that start with ###.`);
      return undefined;
    }
    const [problem] = indices.flatMap((index) => problemsStoppingBlock(written, written.blocks[index]));
    if (problem) {
      void this.reportProblem(document, problem.line, `line ${problem.line + 1}: ${problem.message}`);
      return undefined;
    }

    const entry = this.entryFor(uri);
    entry.blockCount = written.blocks.length;
    // {{$prompt}} and {{$secret}} first: a directive may need them to say where the file connects.
    const values = await this.askedValues(written, indices, splitDocumentLines(document.getText()));
    if (!values) {
      return undefined;
    }
    // The directives with the run's built-ins ({{$processEnv NAME}}...), by the resolver the commands use.
    const parsed = this.parsed.parseForRun(document, this.resolverFor(document, values));
    const lines = splitDocumentLines(document.getText());
    if (indices.some((index) => !parsed.blocks[index])) {
      return undefined; // edited while a prompt was open: the blocks asked for are gone
    }
    const runProblems = [...new Set(indices.flatMap((index) => problemsStoppingBlock(parsed, parsed.blocks[index])))];
    this.runDiagnostics.showRunProblems(document, runProblems);
    const [runProblem] = runProblems;
    if (runProblem) {
      void this.reportProblem(document, runProblem.line, runProblem.message, runProblem.startColumn);
      return undefined;
    }
    const redactor = new SecretRedactor(values.secrets?.values() ?? []);
    if (this.refusesUntrustedTarget(document, parsed, redactor)) {
      return undefined;
    }
    const target = await this.targetFor(entry, parsed);
    if (!target) {
      return undefined;
    }
    if (!(await this.confirmed(parsed, indices, target, lines, fileName, redactor))) {
      return undefined;
    }
    entry.lastValues = values;
    entry.lastTarget = { where: redactor.redact(describeTarget(target)), tls: target.tls };
    this.showActiveFileTarget();
    const conversation = this.conversationFor(entry, document, target, redactor);
    const transcript = LiveTranscriptDocuments.uriFor(uri);
    await this.live.show(transcript);

    entry.markRunning(indices, 1);
    const finished = new Set<number>();
    const finish = (index: number): void => {
      if (!finished.has(index)) {
        finished.add(index);
        entry.markRunning([index], -1);
      }
    };
    this.changeEmitter.fire(uri);
    const blockLines = new Map(parsed.blocks.map((block) => [block.index, { startLine: block.startLine, endLine: block.endLine }]));
    try {
      const what = blocks === 'all' ? 'running the file' : `block ${blocks + 1}`;
      // Each block's ✓/✗ is shown as it finishes (CodeLens, Problems, the marks in the live transcript).
      const { results, blocks: judged } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `SMTP ${fileName}: ${what}` }, () =>
        runAndJudge(conversation, parsed, indices, values, target.localDomains, (block, result) => {
          this.noteOutcomes(entry, conversation, [result]);
          if (entry.conversation === conversation) {
            entry.verdicts.set(block.index, block);
          }
          finish(block.index);
          this.runDiagnostics.show(document, [block], blockLines);
          this.changeEmitter.fire(uri);
          this.live.changed(transcript);
        }),
      );
      const stopped = results.find((result) => result.error);
      if (stopped?.error) {
        if (stopped.error instanceof ConnectError && !parsed.directives.target) {
          // A practice server started again listens elsewhere: ask again next time rather than fail forever.
          entry.pickedTarget = undefined;
        }
        void vscode.window.showWarningMessage(`${fileName}, block ${stopped.block.index + 1}: ${stopped.error.message}`);
      }
      return { transcript, results, blocks: judged };
    } catch (error) {
      if (error instanceof SmtpFileProblemError) {
        void this.reportProblem(document, error.line, error.message);
        return undefined;
      }
      if (error instanceof InvalidStateError) {
        // The file was closed, or its target changed, while this run waited for the one before it.
        return undefined;
      }
      throw error;
    } finally {
      // Blocks a stopped run never reached, or a run refused before sending, are not running any more either.
      indices.forEach(finish);
      this.changeEmitter.fire(uri);
    }
  }

  dispose(): void {
    for (const entry of this.entries.values()) {
      entry.endConversation('SMTP Relay Lab is shutting down');
    }
    this.entries.clear();
    this.store.dispose();
  }

  private entryFor(uri: vscode.Uri): SmtpFileEntry {
    const key = uri.toString();
    let entry = this.entries.get(key);
    if (!entry) {
      entry = new SmtpFileEntry();
      this.entries.set(key, entry);
    }
    return entry;
  }

  /**
   * In an untrusted workspace, targets come from the user's settings only (package.json, untrustedWorkspaces):
   * a saved file's `# @target` is the workspace naming a server, so it is refused unless the user's own
   * `targets` list names that server too. An untitled file's directive is the user's own typing.
   * Says why and offers to manage trust; true when nothing may be sent.
   */
  private refusesUntrustedTarget(document: vscode.TextDocument, parsed: SmtpDocument, redactor: SecretRedactor): boolean {
    const named = parsed.directives.target;
    if (!named || vscode.workspace.isTrusted || document.isUntitled) {
      return false;
    }
    const sameServer = (target: Target): boolean => target.host.toLowerCase() === named.host.toLowerCase() && target.port === named.port;
    if (this.lab.targets.configured.some(sameServer)) {
      return false;
    }
    const manageTrust = 'Manage Workspace Trust';
    void vscode.window
      .showWarningMessage(
        `${fileNameOf(document.uri)}: this workspace is not trusted, so its # @target ${redactor.redact(describeTarget(named))} is not used and nothing was sent. ` +
          'Trust the workspace, add that server to smtpRelayLab.targets in your user settings, or remove the directive and choose a target.',
        manageTrust,
      )
      .then((choice) => (choice === manageTrust ? vscode.commands.executeCommand('workbench.trust.manage') : undefined));
    this.lab.log.info(`${fileNameOf(document.uri)}: # @target ${redactor.redact(describeTarget(named))} ignored in an untrusted workspace`);
    return true;
  }

  /** The file's `# @target`, or the target picked for it (asking now if none was). */
  private async targetFor(entry: SmtpFileEntry, parsed: SmtpDocument): Promise<Target | undefined> {
    const target = targetOfFile(parsed.directives, this.knownTargets(), entry.pickedTarget);
    if (target) {
      return target;
    }
    const chosen = await this.lab.targets.pickTarget();
    // A mail domain: a file talks to one of its MX addresses, picked here.
    const picked = chosen ? await this.lab.targets.singleHost(chosen) : undefined;
    if (!picked) {
      return undefined;
    }
    entry.pickedTarget = picked;
    return targetOfFile(parsed.directives, this.knownTargets(), picked);
  }

  /**
   * The answers to `{{$prompt name}}` (asked now) and the values of `{{$secret name}}` (from SecretStorage,
   * asked masked and stored the first time). Undefined when the user cancelled: nothing is sent.
   */
  private async askedValues(parsed: SmtpDocument, indices: readonly number[], lines: readonly string[]): Promise<SmtpFileRunValues | undefined> {
    const asked = askedVariablesOf(parsed, indices, lines);
    const prompts = new Map<string, string>();
    for (const name of asked.prompts) {
      const answer = await vscode.window.showInputBox({ title: `{{$prompt ${name}}}`, prompt: `A value for ${name}, used by this run only`, ignoreFocusOut: true });
      if (answer === undefined) {
        return undefined;
      }
      prompts.set(name, answer);
    }
    const secrets = new Map<string, string>();
    const storage = this.lab.extension.secrets;
    for (const name of asked.secrets) {
      const key = `${storageKeys.fileSecretPrefix}${name}`;
      let value = await storage.get(key);
      if (value === undefined) {
        value = await vscode.window.showInputBox({
          title: `{{$secret ${name}}}`,
          prompt: `The secret "${name}": kept in the OS keychain (SecretStorage), never in a file or transcript`,
          password: true,
          ignoreFocusOut: true,
        });
        if (value === undefined) {
          return undefined;
        }
        await storage.store(key, value);
      }
      secrets.set(name, value);
    }
    return { prompts, secrets };
  }

  /**
   * Blocks that send DATA or name a recipient an open relay would forward run only with `# @confirm`, or
   * after a modal that names the server and what will be sent (unless the user's setting turns this off).
   */
  private async confirmed(
    parsed: SmtpDocument,
    indices: readonly number[],
    target: Target,
    lines: readonly string[],
    fileName: string,
    redactor: SecretRedactor,
  ): Promise<boolean> {
    if (!this.confirmRiskyBlocks.value) {
      return true;
    }
    const risky = blocksNeedingConfirmation(parsed, indices, target, lines);
    if (risky.length === 0) {
      return true;
    }
    const send = 'Send';
    const detail = risky
      .map((block) => `Block ${block.index + 1}${block.title ? ` (${block.title})` : ''}:\n${block.reasons.map((reason) => `  ${reason}`).join('\n')}`)
      .join('\n\n');
    const choice = await vscode.window.showWarningMessage(
      `${fileName} will send this to ${redactor.redact(describeTarget(target))}. Send it?`,
      {
        modal: true,
        detail: `${detail}\n\nIf that server is an open relay, it may forward this. Write "# @confirm" in a block to send it without asking.`,
      },
      send,
    );
    return choice === send;
  }

  private knownTargets(): Target[] {
    return [...this.lab.targets.configured, ...this.lab.targets.recent];
  }

  /**
   * The entry's conversation if it talks to this target; else a new one, recorded and shown live. The
   * run's secrets are redacted from the start: one may be what says where to connect.
   */
  private conversationFor(entry: SmtpFileEntry, document: vscode.TextDocument, target: Target, redactor: SecretRedactor): SmtpFileConversation {
    const key = connectionKeyOf(target);
    const where = redactor.redact(describeTarget(target));
    if (entry.conversation && entry.connectionKey === key) {
      return entry.conversation;
    }
    if (entry.conversation) {
      entry.endConversation(`the file now targets ${where}: this connection is closed`);
    }
    const fileName = fileNameOf(document.uri);
    const conversation = new SmtpFileConversation({
      target,
      fileName,
      timeouts: this.lab.settings.sessionTimeouts(),
      credentials: authPromptsFor(this.lab.passwords, target),
      ...fileDirectoryOf(document),
    });
    conversation.addSecrets(redactor.secrets);
    const resources = entry.startConversation(conversation, key);
    const recording: TranscriptRecording = this.lab.transcripts.track(`.smtp file: ${fileName}`, where, conversation, {
      tool: 'SMTP Relay Lab .smtp file',
      extra: { file: fileName, tls: target.tls, ...(target.practicePersona ? { persona: target.practicePersona } : {}) },
      localDomains: target.localDomains,
    });
    resources.add({ dispose: () => void recording.finish() });
    const transcript = LiveTranscriptDocuments.uriFor(document.uri);
    resources.add(this.live.bind(transcript, () => recording.toText()));
    resources.add(toDisposable(conversation.onEvent(() => this.live.changed(transcript))));
    this.lab.log.info(`${fileName}: talking to ${where} (${target.tls})`);
    return conversation;
  }

  private noteOutcomes(entry: SmtpFileEntry, conversation: SmtpFileConversation, results: readonly BlockRunResult[]): void {
    if (entry.conversation !== conversation) {
      return;
    }
    for (const result of results) {
      const outcome = outcomeOfBlock(result, conversation.connectionFacts, conversation.target.localDomains);
      if (outcome) {
        entry.outcomes.set(result.block.index, outcome);
      } else {
        entry.outcomes.delete(result.block.index);
      }
    }
  }

  /** An edit that changes where the file connects closes its connection; one that adds or removes blocks drops the outcomes. */
  private checkTarget(document: vscode.TextDocument): void {
    const entry = this.entries.get(document.uri.toString());
    if (!entry) {
      return;
    }
    const parsed = this.parsed.get(document);
    if (parsed.blocks.length !== entry.blockCount) {
      entry.blockCount = parsed.blocks.length;
      entry.outcomes.clear();
      entry.verdicts.clear();
      this.changeEmitter.fire(document.uri);
    }
    if (!entry.conversation) {
      return;
    }
    // Directives that use the run's built-ins are read again with the last run's values.
    const resolved = parsed.directives.atRun && entry.lastValues ? this.parsed.parseForRun(document, this.resolverFor(document, entry.lastValues)) : parsed;
    const target = targetOfFile(resolved.directives, this.knownTargets(), entry.pickedTarget);
    if (!target || connectionKeyOf(target) !== entry.connectionKey) {
      entry.lastTarget = undefined;
      this.showActiveFileTarget();
      entry.endConversation('the target directives changed: this connection is closed');
      entry.outcomes.clear();
      entry.verdicts.clear();
      this.changeEmitter.fire(document.uri);
    }
  }

  /**
   * Closing a file's last tab ends its connection at once. VS Code may keep the document itself open for
   * minutes after that (when an extension opened it), and a connection must not outlive what the user sees.
   */
  private releaseClosedTabs(closed: readonly vscode.Tab[]): void {
    for (const tab of closed) {
      const uri = tab.input instanceof vscode.TabInputText ? tab.input.uri : undefined;
      if (uri && this.entries.has(uri.toString()) && !isShownInATab(uri)) {
        this.release(uri);
      }
    }
  }

  private release(uri: vscode.Uri): void {
    const key = uri.toString();
    const entry = this.entries.get(key);
    this.parsed.forget(uri);
    if (entry) {
      this.entries.delete(key);
      entry.endConversation('the .smtp file was closed');
    }
    this.showActiveFileTarget();
  }

  /**
   * "Which server am I probing?": while a .smtp file is the active editor, the status bar names the server
   * its Send and Run file connect to (where its last run connected, else its plain `# @target`), not the
   * terminal's target. A directive that needs the run's values ({{$secret}}, {{$prompt}}…) is not read here.
   */
  private showActiveFileTarget(): void {
    const document = vscode.window.activeTextEditor?.document;
    if (!document || document.languageId !== languageIds.smtp) {
      this.lab.connectionStatus.showFileTarget(undefined);
      return;
    }
    const entry = this.entries.get(document.uri.toString());
    const directives = this.parsed.get(document).directives;
    const named = entry?.lastTarget ?? (directives.atRun ? undefined : targetOfFile(directives, this.knownTargets(), entry?.pickedTarget));
    const shown = named && 'where' in named ? named : named ? { where: describeTarget(named), tls: named.tls } : undefined;
    this.lab.connectionStatus.showFileTarget(shown ? { fileName: fileNameOf(document.uri), ...shown } : undefined);
  }

  /**
   * The `{{$guid}}`, `{{$processEnv NAME}}`, `{{$dotenv NAME}}`, `{{$prompt name}}` and `{{$secret name}}` of a
   * run, for its directives: the resolver the conversation gives its commands (core dynamicVariables.ts).
   */
  private resolverFor(document: vscode.TextDocument, values: SmtpFileRunValues): DynamicVariableResolver {
    return dynamicVariableResolver({ ...fileDirectoryOf(document), ...values });
  }

  /** Says what stops the file, as FILE:line:column when the column is known, with a button to go there. */
  private async reportProblem(document: vscode.TextDocument, line: number, message: string, column?: number): Promise<void> {
    const unsent = /nothing was sent/i.test(message) ? '' : ' (nothing was sent)';
    const where = column === undefined ? `${fileNameOf(document.uri)}: ` : `${fileNameOf(document.uri)}:${line + 1}:${column + 1}: `;
    const choice = await vscode.window.showErrorMessage(`${where}${message}${unsent}`, 'Go to Line');
    if (choice === 'Go to Line') {
      const position = new vscode.Position(line, column ?? 0);
      await vscode.window.showTextDocument(document, { selection: new vscode.Range(position, position) });
    }
  }
}

function isShownInATab(uri: vscode.Uri): boolean {
  const key = uri.toString();
  return vscode.window.tabGroups.all.some((group) =>
    group.tabs.some((tab) => tab.input instanceof vscode.TabInputText && tab.input.uri.toString() === key),
  );
}

function fileNameOf(uri: vscode.Uri): string {
  return path.posix.basename(uri.path) || uri.toString();
}

/** The folder of a saved file, where `{{$dotenv NAME}}` reads `.env`; none for an untitled file. */
function fileDirectoryOf(document: vscode.TextDocument): { fileDirectory?: string } {
  return document.uri.scheme === 'file' ? { fileDirectory: path.dirname(document.uri.fsPath) } : {};
}
