import * as vscode from 'vscode';
import { describeTarget, type TlsMode } from '../core/sessionOptions';
import { DisposableStore, toDisposable } from './disposableStore';
import { storageKeys } from './ids';
import { pickPracticePersona } from './practicePersonaPick';
import type { LabSettings } from './settings';
import {
  newTarget,
  parseHostPort,
  readTarget,
  readTargetList,
  suggestedTlsMode,
  targetIdentity,
  type PracticePersona,
  type Target,
} from './target';

/** How many targets the picker remembers across windows. */
const recentTargetLimit = 10;

/**
 * Starts the practice server (if it is not already running with that persona) and says where it listens.
 * Provided by the practice-server feature through `TargetCatalog.usePracticeServer`.
 */
export type PracticeServerLauncher = (
  persona: PracticePersona,
) => Promise<Pick<Target, 'host' | 'port'> & Partial<Omit<Target, 'practicePersona'>>>;

interface TargetPickItem extends vscode.QuickPickItem {
  pick: () => Promise<Target | undefined>;
}

/**
 * Where the user can connect: recent targets, the `targets` setting, the practice server, or a new host:port.
 * Nothing here connects; it only answers "which server?".
 */
export class TargetCatalog implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly currentChangeEmitter = this.store.add(new vscode.EventEmitter<Target | undefined>());
  private practiceServerLauncher: PracticeServerLauncher | undefined;

  /** Fires when the user chose another target with "Choose Target". */
  readonly onDidChangeCurrent = this.currentChangeEmitter.event;

  constructor(
    private readonly settings: LabSettings,
    private readonly globalState: vscode.Memento,
    private readonly workspaceState: vscode.Memento,
  ) {}

  /** The targets from settings; in an untrusted workspace only the user-level list (see LabSettings). */
  get configured(): readonly Target[] {
    return this.settings.targets.value;
  }

  get recent(): readonly Target[] {
    return readTargetList(this.globalState.get(storageKeys.recentTargets)) ?? [];
  }

  /** The target chosen in this workspace, if any. */
  get current(): Target | undefined {
    return readTarget(this.workspaceState.get(storageKeys.currentTarget));
  }

  usePracticeServer(launcher: PracticeServerLauncher): vscode.Disposable {
    this.practiceServerLauncher = launcher;
    return toDisposable(() => {
      if (this.practiceServerLauncher === launcher) {
        this.practiceServerLauncher = undefined;
      }
    });
  }

  /** Asks the user for a target and makes it the current one. */
  async choose(): Promise<Target | undefined> {
    const target = await this.pickTarget();
    if (target) {
      await this.setCurrent(target);
    }
    return target;
  }

  /**
   * The current target, ready to connect to, or asks for one. A practice target is (re)started here,
   * because its port changes from one run to the next.
   */
  async resolve(): Promise<Target | undefined> {
    const current = this.current;
    if (!current) {
      return this.choose();
    }
    return current.practicePersona ? this.startPractice(current.practicePersona) : current;
  }

  async setCurrent(target: Target): Promise<void> {
    await this.workspaceState.update(storageKeys.currentTarget, target);
    await this.remember(target);
    this.currentChangeEmitter.fire(target);
  }

  /** Puts the target first in the recent list (shared by all windows), without duplicates. */
  async remember(target: Target): Promise<void> {
    const identity = targetIdentity(target);
    const others = this.recent.filter((known) => targetIdentity(known) !== identity);
    await this.globalState.update(storageKeys.recentTargets, [target, ...others].slice(0, recentTargetLimit));
  }

  /** The quick pick: recent, settings, practice server, new host:port. Resolves undefined when dismissed. */
  async pickTarget(): Promise<Target | undefined> {
    const items: (TargetPickItem | vscode.QuickPickItem)[] = [];
    const recent = this.recent;
    if (recent.length > 0) {
      items.push({ label: 'Recent', kind: vscode.QuickPickItemKind.Separator });
      items.push(...recent.map((target) => this.itemFor(target)));
    }
    const configured = this.configured;
    if (configured.length > 0) {
      items.push({ label: 'From settings', kind: vscode.QuickPickItemKind.Separator });
      items.push(...configured.map((target) => this.itemFor(target)));
    }
    items.push({ label: 'Other', kind: vscode.QuickPickItemKind.Separator });
    const practice: TargetPickItem = {
      label: '$(beaker) Practice server (persona…)',
      detail: 'A local server on 127.0.0.1 that behaves like Exchange, Postfix, an open relay…',
      pick: () => this.pickPracticeTarget(),
    };
    const fresh: TargetPickItem = {
      label: '$(add) New host:port…',
      detail: 'Type a server address, then choose how it speaks TLS',
      pick: () => this.askNewTarget(),
    };
    items.push(practice, fresh);

    const placeHolder = vscode.workspace.isTrusted
      ? 'Choose the SMTP server to talk to'
      : 'Choose the SMTP server to talk to (targets from this untrusted workspace are ignored; user settings only)';
    const chosen = await vscode.window.showQuickPick(items, { title: 'SMTP Target', placeHolder, matchOnDescription: true });
    return chosen && 'pick' in chosen ? chosen.pick() : undefined;
  }

  dispose(): void {
    this.store.dispose();
  }

  private itemFor(target: Target): TargetPickItem {
    const where = target.practicePersona ? `practice server, ${target.practicePersona}` : describeTarget(target);
    const details = [
      target.localDomains.length > 0 ? `local domains: ${target.localDomains.join(', ')}` : undefined,
      target.username ? `AUTH as ${target.username}` : undefined,
      target.rejectUnauthorized ? undefined : 'certificate not verified',
    ].filter((detail) => detail !== undefined);
    return {
      label: target.label,
      description: `${where} · ${tlsLabels[target.tls]}`,
      detail: details.length > 0 ? details.join(' · ') : undefined,
      pick: async () => (target.practicePersona ? this.startPractice(target.practicePersona) : target),
    };
  }

  private async pickPracticeTarget(): Promise<Target | undefined> {
    const chosen = await pickPracticePersona(this.settings.practicePersona.value, 'Practice Server Persona');
    return chosen ? this.startPractice(chosen) : undefined;
  }

  private async startPractice(persona: PracticePersona): Promise<Target | undefined> {
    if (!this.practiceServerLauncher) {
      void vscode.window.showErrorMessage('The practice server is not available in this build of SMTP Relay Lab.');
      return undefined;
    }
    const address = await this.practiceServerLauncher(persona);
    return {
      ...newTarget(address.host, address.port, 'none'),
      label: `Practice server (${persona})`,
      // The practice server's certificate is self-signed: checking it would only ever fail.
      rejectUnauthorized: false,
      ...address,
      practicePersona: persona,
    };
  }

  private async askNewTarget(): Promise<Target | undefined> {
    const text = await vscode.window.showInputBox({
      title: 'New SMTP Target',
      prompt: 'Host name or address, optionally with :port (25 when omitted). IPv6: [::1]:25',
      placeHolder: 'mail.example.com:25',
      validateInput: (value) => {
        const parsed = parseHostPort(value);
        return 'error' in parsed ? parsed.error : undefined;
      },
    });
    if (text === undefined) {
      return undefined;
    }
    const parsed = parseHostPort(text);
    if ('error' in parsed) {
      return undefined;
    }
    const tls = await pickTlsMode(parsed.port);
    if (!tls) {
      return undefined;
    }
    return { ...newTarget(parsed.host, parsed.port, tls.mode), rejectUnauthorized: tls.rejectUnauthorized };
  }
}

const tlsLabels: Record<TlsMode, string> = {
  starttls: 'STARTTLS',
  implicit: 'implicit TLS',
  none: 'no TLS',
};

async function pickTlsMode(port: number): Promise<{ mode: TlsMode; rejectUnauthorized: boolean } | undefined> {
  const suggested = suggestedTlsMode(port);
  const choices: (vscode.QuickPickItem & { mode: TlsMode; rejectUnauthorized: boolean })[] = [
    { label: 'STARTTLS', detail: 'Plain connection, upgraded with STARTTLS (ports 25, 587)', mode: 'starttls', rejectUnauthorized: true },
    { label: 'Implicit TLS', detail: 'TLS from the first byte (port 465)', mode: 'implicit', rejectUnauthorized: true },
    { label: 'No TLS', detail: 'Everything in clear text, as telnet does', mode: 'none', rejectUnauthorized: true },
    { label: 'STARTTLS, certificate not verified', detail: 'For a lab server with a self-signed certificate', mode: 'starttls', rejectUnauthorized: false },
    { label: 'Implicit TLS, certificate not verified', detail: 'For a lab server with a self-signed certificate', mode: 'implicit', rejectUnauthorized: false },
  ];
  const ordered = [...choices.filter((choice) => choice.mode === suggested && choice.rejectUnauthorized),
    ...choices.filter((choice) => !(choice.mode === suggested && choice.rejectUnauthorized))];
  return vscode.window.showQuickPick(ordered, { title: `TLS for port ${port}`, placeHolder: 'How does this server speak TLS?' });
}
