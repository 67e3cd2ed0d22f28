import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { codeServerEntry } from './repoPaths';

export interface CodeServerHostOptions {
  /** Written to the user's settings.json before start, e.g. to make the terminal render to the DOM. */
  readonly userSettings?: Readonly<Record<string, unknown>>;
  /** Extension folders to link into the extensions dir, installed for this session only. */
  readonly extensionFolders?: readonly string[];
  /** Receives code-server's own log lines; silent when absent. */
  readonly onLog?: (line: string) => void;
  readonly startTimeoutMs?: number;
  /**
   * 'disabled' (the default): every folder is trusted, as in @vscode/test-electron's test mode.
   * 'restricted': workspace trust is on and the folder opens in Restricted Mode without asking, as a user who
   * did not trust it sees it.
   */
  readonly workspaceTrust?: 'disabled' | 'restricted';
  /** Files written into the workspace folder before start, by relative path (e.g. ".vscode/settings.json"). */
  readonly workspaceFiles?: Readonly<Record<string, string>>;
}

/** User settings that open an unknown folder in Restricted Mode and skip the "Do you trust…?" dialog. */
const restrictedModeSettings = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.emptyWindow': false,
} as const;

/** How code-server 4.100.3 reports its address; with port 0 the kernel picks a free port, so no race. */
const listeningLine = /HTTP server listening on (http:\/\/127\.0\.0\.1:(\d+))\//;

/**
 * One code-server process on loopback with throwaway user data, extensions and workspace folders,
 * and nothing that reaches the network: no telemetry, no update check, no marketplace.
 */
export class CodeServerHost {
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly scratchDir: string,
    /** http://127.0.0.1:<port> */
    readonly origin: string,
    /** The folder the workbench opens; empty, and deleted with the host. */
    readonly workspaceFolder: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    // If the runner exits without calling stop() (a timeout, Ctrl+C), the server must not outlive it: in
    // its own process group, it would not receive the terminal's SIGINT.
    process.once('exit', this.killProcessGroup);
    process.once('SIGINT', this.exitOnSignal);
    process.once('SIGTERM', this.exitOnSignal);
  }

  static async start(options: CodeServerHostOptions = {}): Promise<CodeServerHost> {
    if (!fs.existsSync(codeServerEntry)) {
      throw new Error(`code-server is not installed (${codeServerEntry}): run \`bash scripts/install-code-server.sh\``);
    }
    const scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtp-relay-lab-code-server-'));
    const userDataDir = path.join(scratchDir, 'user-data');
    const extensionsDir = path.join(scratchDir, 'extensions');
    const workspaceFolder = path.join(scratchDir, 'workspace');
    for (const dir of [userDataDir, extensionsDir, workspaceFolder]) {
      fs.mkdirSync(dir, { recursive: true });
    }
    const restricted = options.workspaceTrust === 'restricted';
    writeUserSettings(userDataDir, { ...options.userSettings, ...(restricted ? restrictedModeSettings : {}) });
    writeWorkspaceFiles(workspaceFolder, options.workspaceFiles ?? {});
    for (const folder of options.extensionFolders ?? []) {
      linkExtension(extensionsDir, folder);
    }

    const args = [
      codeServerEntry,
      '--bind-addr', '127.0.0.1:0',
      '--auth', 'none',
      // Our own config file: without it code-server writes one into ~/.config.
      '--config', path.join(scratchDir, 'config.yaml'),
      '--user-data-dir', userDataDir,
      '--extensions-dir', extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      // Test mode refuses the trust dialog; @vscode/test-electron passes the same switch. Restricted Mode keeps
      // trust on and avoids the dialog with the startup prompt off (restrictedModeSettings).
      ...(restricted ? [] : ['--disable-workspace-trust']),
      workspaceFolder,
    ];
    const child = spawn(process.execPath, args, {
      // Its own process group, so that stop() ends the extension host, terminals and watchers too.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        // A gallery without a serviceUrl is a disabled gallery: no marketplace look-ups.
        EXTENSIONS_GALLERY: '{}',
        // code-server keeps its own state (last opened folder, heartbeat) under XDG_DATA_HOME.
        XDG_DATA_HOME: path.join(scratchDir, 'xdg-data'),
      },
    });

    try {
      const origin = await waitForListening(child, options.onLog, options.startTimeoutMs ?? 60_000);
      const host = new CodeServerHost(child, scratchDir, origin, workspaceFolder);
      await host.waitUntilWorkbenchServes();
      return host;
    } catch (error) {
      killGroup(child);
      fs.rmSync(scratchDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** vscode-remote authority of this server: the workbench resolves payload paths against it. */
  get remoteAuthority(): string {
    return `vscode-remote://${new URL(this.origin).host}`;
  }

  /** The workbench page on the workspace folder, with an optional `payload` of [key, value] pairs. */
  workbenchUrl(payload?: ReadonlyArray<readonly [string, string]>): string {
    const url = new URL(this.origin);
    url.searchParams.set('folder', this.workspaceFolder);
    if (payload) {
      url.searchParams.set('payload', JSON.stringify(payload));
    }
    return url.toString();
  }

  async stop(): Promise<void> {
    process.removeListener('exit', this.killProcessGroup);
    process.removeListener('SIGINT', this.exitOnSignal);
    process.removeListener('SIGTERM', this.exitOnSignal);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      signalGroup(this.child, 'SIGTERM');
      const gaveUp = setTimeout(() => signalGroup(this.child, 'SIGKILL'), 5_000);
      await this.exited;
      clearTimeout(gaveUp);
    }
    // Children that ignored SIGTERM (a shell in a terminal) would otherwise keep the scratch dir busy.
    signalGroup(this.child, 'SIGKILL');
    fs.rmSync(this.scratchDir, { recursive: true, force: true });
  }

  private readonly exitOnSignal = (signal: NodeJS.Signals): void => {
    // The 'exit' listener does the cleaning; 128 + signal number is the shell's convention.
    process.exit(128 + os.constants.signals[signal]);
  };

  private readonly killProcessGroup = (): void => {
    killGroup(this.child);
    fs.rmSync(this.scratchDir, { recursive: true, force: true });
  };

  private async waitUntilWorkbenchServes(): Promise<void> {
    // The VS Code part of code-server loads on the first request; a 200 for the page means it is ready.
    const deadline = Date.now() + 60_000;
    let lastProblem = '';
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) {
        throw new Error(`code-server exited with code ${this.child.exitCode} before it served the workbench`);
      }
      try {
        const response = await fetch(this.workbenchUrl());
        if (response.ok) {
          return;
        }
        lastProblem = `HTTP ${response.status}`;
      } catch (error) {
        lastProblem = String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`code-server did not serve the workbench within 60 s (${lastProblem})`);
  }
}

function waitForListening(
  child: ChildProcess,
  onLog: ((line: string) => void) | undefined,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const recentLines: string[] = [];
    const timer = setTimeout(
      () => reject(new Error(`code-server did not start within ${timeoutMs / 1000} s:\n${recentLines.join('\n')}`)),
      timeoutMs,
    );
    const onLine = (line: string): void => {
      onLog?.(line);
      recentLines.push(line);
      recentLines.splice(0, recentLines.length - 20);
      const match = listeningLine.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    forEachLine(child.stdout!, onLine);
    forEachLine(child.stderr!, onLine);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited (${signal ?? code}) before listening:\n${recentLines.join('\n')}`));
    });
  });
}

function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    lines.forEach(onLine);
  });
}

function writeUserSettings(userDataDir: string, settings: Readonly<Record<string, unknown>>): void {
  const userDir = path.join(userDataDir, 'User');
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(path.join(userDir, 'settings.json'), JSON.stringify(settings, null, 2));
}

function writeWorkspaceFiles(workspaceFolder: string, files: Readonly<Record<string, string>>): void {
  for (const [relativePath, text] of Object.entries(files)) {
    const file = path.join(workspaceFolder, relativePath);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
}

/** Extensions dirs name their folders publisher.name-version; VS Code reads the manifest inside. */
function linkExtension(extensionsDir: string, extensionFolder: string): void {
  const manifest = JSON.parse(fs.readFileSync(path.join(extensionFolder, 'package.json'), 'utf8')) as {
    publisher: string;
    name: string;
    version: string;
  };
  const linkName = `${manifest.publisher}.${manifest.name}-${manifest.version}`;
  fs.symlinkSync(extensionFolder, path.join(extensionsDir, linkName), 'dir');
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) {
    return;
  }
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

function killGroup(child: ChildProcess): void {
  signalGroup(child, 'SIGKILL');
}
