import * as vscode from 'vscode';
import { describeTarget, type TlsMode } from '../core/protocol/sessionOptions';
import { DisposableStore, toDisposable } from './disposableStore';
import { storageKeys } from './ids';
import { singleHostOf } from './mailDomainHosts';
import { pickPracticePersona } from './practicePersonaPick';
import type { LabSettings } from './settings';
import {
  asClientProblem,
  newTarget,
  parseHostPort,
  readTarget,
  readTargetList,
  suggestedTlsMode,
  targetIdentity,
  typedMailDomain,
  typedTargetChoices,
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

export interface TargetPickOptions {
  title?: string;
  /** Shown first, so Enter keeps it: the target a command is about to use. */
  current?: Target;
}

/** The target for "Test the mail servers of <domain>" (a mail-domain target); provided by the target commands. */
export type MailDomainTester = (domain: string) => Promise<Target | undefined>;

/**
 * The open target picker: its rows follow what the user types. Enter on a typed address connects to it,
 * even when the rows have not caught up with the last keystroke: the value at the time of Enter decides.
 */
export class TargetPickerHandle {
  private typedItems: TargetPickItem[] = [];
  /** Every typed row ever shown, to recognise one made for an earlier value. */
  private readonly typedRows = new WeakSet<object>();

  constructor(
    private readonly picker: vscode.QuickPick<TargetPickItem | vscode.QuickPickItem>,
    private readonly fixedItems: readonly (TargetPickItem | vscode.QuickPickItem)[],
    private readonly mailDomainTester: MailDomainTester | undefined,
  ) {}

  /** The rows now shown, labels only (what the in-VS-Code suite checks). */
  get labels(): string[] {
    return this.picker.items.map((item) => item.label);
  }

  get activeLabel(): string | undefined {
    return this.picker.activeItems[0]?.label;
  }

  /** Fires with the label of the row the workbench highlights, each time it changes. */
  onDidChangeActive(listener: (label: string | undefined) => void): vscode.Disposable {
    return this.picker.onDidChangeActive((items) => listener(items[0]?.label));
  }

  /** As if typed: the rows follow. */
  type(value: string): void {
    this.picker.value = value;
    this.refresh();
  }

  /** Set by the picker: what Enter does. */
  acceptHandler: (() => TargetPickItem | undefined) | undefined;

  /** As if Enter was pressed; resolves with the row taken. */
  accept(): TargetPickItem | undefined {
    return this.acceptHandler?.();
  }

  /** As if Escape was pressed. */
  hide(): void {
    this.picker.hide();
  }

  refresh(): void {
    const value = this.picker.value.trim();
    const [suggested] = typedTargetChoices(value);
    // One row carries the text exactly as typed: VS Code ranks an exact label match first, so it is the top
    // row Enter takes (other rows whose label is that same text are left out, so none can tie with it).
    this.typedItems = suggested
      ? [
          {
            label: value,
            description: `$(plug) ${suggested.label} · ${suggested.description}`,
            alwaysShow: true,
            pick: async () => suggested.target,
          },
          {
            label: `Other TLS modes for ${describeTarget(suggested.target)}…`,
            description: 'implicit TLS, no TLS, or without checking the certificate',
            alwaysShow: true,
            pick: async () => {
              const tls = await pickTlsMode(suggested.target.port);
              return tls ? { ...suggested.target, tls: tls.mode, rejectUnauthorized: tls.rejectUnauthorized } : undefined;
            },
          },
        ]
      : [];
    const domain = typedMailDomain(value);
    const domainItems: TargetPickItem[] =
      domain && this.mailDomainTester
        ? [
            {
              label: `$(globe) Test the mail servers of ${domain}`,
              description: 'every address of its MX hosts (relay runs test them all; the terminal asks which)',
              alwaysShow: true,
              pick: () => this.mailDomainTester!(domain),
            },
          ]
        : [];
    this.typedItems.forEach((item) => this.typedRows.add(item));
    const typed = [...this.typedItems.slice(0, 1), ...domainItems, ...this.typedItems.slice(1)];
    const others = typed.length > 0 ? this.fixedItems.filter((item) => item.label.toLowerCase() !== value.toLowerCase()) : this.fixedItems;
    this.picker.items = typed.length > 0 ? [...typed, { label: '', kind: vscode.QuickPickItemKind.Separator }, ...others] : [...others];
    if (typed.length > 0) {
      this.picker.activeItems = [typed[0]!];
    }
  }

  /** The rows now shown as "label — description", for the in-VS-Code suite. */
  get rows(): string[] {
    return this.picker.items
      .filter((item) => item.kind !== vscode.QuickPickItemKind.Separator)
      .map((item) => (item.description ? `${item.label} — ${item.description}` : item.label));
  }

  /**
   * The row Enter takes: the active one, unless it is a typed row made for an earlier value (fast typing),
   * in which case the current value's suggested row.
   */
  accepted(): TargetPickItem | undefined {
    const active = this.picker.activeItems[0] ?? this.picker.selectedItems[0];
    const value = this.picker.value.trim();
    const typedNow = typedTargetChoices(value);
    // A typed row made for an earlier value (Enter came before the rows caught up with the last keystroke).
    const staleTypedRow = active !== undefined && this.typedRows.has(active) && !this.typedItems.includes(active as TargetPickItem);
    if (typedNow.length > 0 && (active === undefined || staleTypedRow)) {
      const suggested = typedNow[0]!;
      return { label: value, pick: async () => suggested.target };
    }
    return active && 'pick' in active ? active : undefined;
  }
}

/**
 * Where the user can connect: recent targets, the `targets` setting, the practice server, or a new host:port.
 * Nothing here connects; it only answers "which server?".
 */
export class TargetCatalog implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly currentChangeEmitter = this.store.add(new vscode.EventEmitter<Target | undefined>());
  private readonly pickerEmitter = this.store.add(new vscode.EventEmitter<TargetPickerHandle>());
  private practiceServerLauncher: PracticeServerLauncher | undefined;
  private mailDomainTester: MailDomainTester | undefined;

  private readonly hostPickerEmitter = this.store.add(new vscode.EventEmitter<vscode.QuickPick<vscode.QuickPickItem>>());

  /** Fires when the picker of a mail domain's addresses opens (terminal, .smtp files): the in-VS-Code suite drives it. */
  readonly onDidShowHostPicker = this.hostPickerEmitter.event;

  /** Fires when the target picker opens, with a handle to it: the in-VS-Code suite types through it. */
  readonly onDidShowPicker = this.pickerEmitter.event;

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
    return this.ready(current);
  }

  /**
   * resolve() for a face that talks to one server (the terminal, a .smtp file): a mail-domain target asks
   * which of its MX addresses, resolved now.
   */
  async resolveSingleHost(): Promise<Target | undefined> {
    const target = await this.resolve();
    return target ? this.singleHost(target) : undefined;
  }

  /** For a mail-domain target, the one address the user picks (resolved now); any other target as it is. */
  singleHost(target: Target): Promise<Target | undefined> {
    return singleHostOf(target, (picker) => this.hostPickerEmitter.fire(picker));
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

  /**
   * The quick pick: what the user types ("host", "host:port", "[v6]:port") first, as "Connect to host:port"
   * with the TLS mode the port suggests, so Enter connects; then the current target (when `options.current`),
   * recent, settings, practice server, "New host:port…". Resolves undefined when dismissed.
   */
  async pickTarget(options: TargetPickOptions = {}): Promise<Target | undefined> {
    const fixedItems = this.fixedItems(options);
    const picker = vscode.window.createQuickPick<TargetPickItem | vscode.QuickPickItem>();
    picker.title = options.title ?? 'SMTP Target';
    picker.placeholder = vscode.workspace.isTrusted
      ? 'Type host, host:port or [v6]:port and press Enter, or choose a server'
      : 'Type host:port or choose a server (targets from this untrusted workspace are ignored; user settings only)';
    picker.matchOnDescription = true;
    const handle = new TargetPickerHandle(picker, fixedItems, this.mailDomainTester);
    handle.refresh();
    const chosen = new Promise<Target | undefined>((resolve) => {
      let settled = false;
      const settle = (value: Promise<Target | undefined> | undefined) => {
        if (settled) {
          return;
        }
        settled = true;
        picker.hide();
        resolve(value ? value.catch((error: unknown) => {
          void vscode.window.showErrorMessage(`SMTP target: ${error instanceof Error ? error.message : String(error)}`);
          return undefined;
        }) : undefined);
      };
      picker.onDidChangeValue(() => handle.refresh());
      handle.acceptHandler = () => {
        const item = handle.accepted();
        if (item) {
          settle(item.pick());
        }
        return item;
      };
      picker.onDidAccept(() => handle.acceptHandler?.());
      picker.onDidHide(() => settle(undefined));
    });
    this.pickerEmitter.fire(handle);
    picker.show();
    try {
      return await chosen;
    } finally {
      picker.dispose();
    }
  }

  /**
   * For a command that is about to connect: the target it will use, shown first ("Enter keeps it"), with the
   * others below. Without a current target it is the plain picker. A practice target is (re)started here.
   */
  async confirmTarget(purpose: string): Promise<Target | undefined> {
    const current = this.current;
    const target = await this.pickTarget({ title: `${purpose}: which server?`, current });
    if (target && (!current || targetIdentity(target) !== targetIdentity(current) || target.label !== current.label)) {
      await this.setCurrent(target);
    }
    return target;
  }

  /**
   * Lets the reach feature offer "Test the mail servers of <domain>" when the user types a domain. The tester
   * resolves with the target to use (or undefined when the user gave up).
   */
  useMailDomainTests(tester: MailDomainTester): vscode.Disposable {
    this.mailDomainTester = tester;
    return toDisposable(() => {
      if (this.mailDomainTester === tester) {
        this.mailDomainTester = undefined;
      }
    });
  }

  private fixedItems(options: TargetPickOptions): (TargetPickItem | vscode.QuickPickItem)[] {
    const items: (TargetPickItem | vscode.QuickPickItem)[] = [];
    const current = options.current;
    const currentIdentity = current ? targetIdentity(current) : undefined;
    if (current) {
      items.push({ label: 'Current target', kind: vscode.QuickPickItemKind.Separator });
      items.push({ ...this.itemFor(current), label: `$(check) ${current.label}` });
    }
    const recent = this.recent.filter((target) => targetIdentity(target) !== currentIdentity);
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
      detail: 'Or type the address straight into this box',
      pick: () => this.askNewTarget(),
    };
    items.push(practice, fresh);
    return items;
  }

  dispose(): void {
    this.store.dispose();
  }

  private itemFor(target: Target): TargetPickItem {
    const where = target.practicePersona
      ? `practice server, ${target.practicePersona}`
      : target.mailDomain
        ? `mail domain: every MX address, port ${target.port}${target.mailDomain.resolver ? `, DNS ${target.mailDomain.resolver}` : ''}`
        : describeTarget(target);
    const details = [
      target.localDomains.length > 0 ? `local domains: ${target.localDomains.join(', ')}` : undefined,
      target.username ? `AUTH as ${target.username}` : undefined,
      target.asClient === undefined
        ? undefined
        : asClientProblem(target) === undefined
          ? `as ${target.asClient} (XCLIENT)`
          : 'asClient is not an IP address: runs stop before connecting',
      target.rejectUnauthorized ? undefined : 'certificate not verified',
    ].filter((detail) => detail !== undefined);
    return {
      label: target.label,
      description: `${where} · ${tlsLabels[target.tls]}`,
      detail: details.length > 0 ? details.join(' · ') : undefined,
      pick: () => this.ready(target),
    };
  }

  /**
   * A stored target ready to connect to: a practice target is (re)started (its port changes from one run to
   * the next) and keeps the client it is tested as (XCLIENT, trusted-network persona); any other as it is.
   */
  private async ready(stored: Target): Promise<Target | undefined> {
    if (!stored.practicePersona) {
      return stored;
    }
    const started = await this.startPractice(stored.practicePersona);
    return started && stored.asClient !== undefined ? { ...started, asClient: stored.asClient } : started;
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

/** How a server at `port` speaks TLS: the port's usual mode first, then the others and the unverified ones. */
export async function pickTlsMode(port: number): Promise<{ mode: TlsMode; rejectUnauthorized: boolean } | undefined> {
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
