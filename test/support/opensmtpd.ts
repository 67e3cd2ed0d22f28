// A real OpenSMTPD (Debian bookworm's opensmtpd 6.8) on a loopback port, one private instance per call,
// for the real-server suites. scripts/install-mtas.sh unpacks the package under .cache/mtas/root and adds
// its users (opensmtpd, opensmtpq; smtpd chroots into opensmtpd's home, /var/lib/opensmtpd/empty).
//
// How it runs, and why:
// - A private smtpd.conf in the instance folder, run with `smtpd -d -f FILE` (foreground, the leader of
//   its own process group) as root: smtpd binds the port and drops to its users.
// - smtpd's spool (/var/spool/smtpd) and control socket (/run/smtpd.sock) are compiled in, and two
//   instances would share them. Each instance therefore runs in its own mount namespace
//   (`unshare --mount`), where the instance folder's spool/ and run/ are bind-mounted over those paths:
//   instances never meet, and the machine's own paths are left as they were.
// - closed: `match from any for domain "corp.example" action "local"` only, with an alias table so that
//   postmaster (and the listed users) resolve to root: a remote recipient has no matching rule and gets
//   `550 Invalid recipient`.
// - open: also `match from local for any action "relay"` (127.0.0.1 is "local"), where the relay action
//   sends through `relay host smtp://127.0.0.1:PORT`, a loopback port that nothing listens on: an accepted
//   message could only wait in the instance's own queue. No MX lookups (the relay host is fixed), no DNS
//   for the client (127.0.0.1 resolves through /etc/hosts).
import { promises as fs, realpathSync } from 'node:fs';
import * as path from 'node:path';
import {
  findFreeLoopbackPort,
  makeInstanceDirectory,
  ownDirectory,
  requireUnpackedMta,
  spawnDaemon,
  stopDaemon,
  unpackedLibraryPath,
  waitForGreeting,
  type Daemon,
} from './unpackedMta';

export { MtaUnavailableError } from './unpackedMta';

export type OpenSmtpdMode = 'closed' | 'open';

export interface OpenSmtpdInstance {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly mode: OpenSmtpdMode;
  readonly localDomain: string;
  readonly greeting: string;
  readonly rootDirectory: string;
  /** What smtpd printed in the foreground (-d): one line per failed command, with its reply. */
  log(): string;
  stop(): Promise<void>;
}

export interface StartOpenSmtpdOptions {
  mode: OpenSmtpdMode;
  localDomain?: string;
  /** Local parts accepted in the local domain besides postmaster (aliased to root). */
  localUsers?: string[];
  startTimeoutMs?: number;
}

const DEFAULT_LOCAL_DOMAIN = 'corp.example';
const SERVER_NAME = 'mail.corp.example';
const PORT_ATTEMPTS = 5;

export function renderSmtpdConf(input: { mode: OpenSmtpdMode; port: number; localDomain: string; aliasesFile: string; nowherePort: number }): string {
  return [
    `table aliases file:${input.aliasesFile}`,
    `listen on 127.0.0.1 port ${input.port} hostname ${SERVER_NAME}`,
    'action "local" mbox alias <aliases>',
    ...(input.mode === 'open' ? [`action "relay" relay host smtp://127.0.0.1:${input.nowherePort}`] : []),
    `match from any for domain "${input.localDomain}" action "local"`,
    ...(input.mode === 'open' ? ['match from local for any action "relay"'] : []),
    '',
  ].join('\n');
}

export async function startOpenSmtpd(options: StartOpenSmtpdOptions): Promise<OpenSmtpdInstance> {
  const smtpd = requireUnpackedMta('OpenSMTPD', 'usr/sbin/smtpd');
  const localDomain = options.localDomain ?? DEFAULT_LOCAL_DOMAIN;
  const env = { ...process.env, LD_LIBRARY_PATH: unpackedLibraryPath() };
  // The compiled-in paths the namespace covers; they must exist as mount points.
  const spoolPath = '/var/spool/smtpd';
  await fs.mkdir(spoolPath, { recursive: true });
  const runPath = realpathSync('/var/run');
  let lastError: unknown;
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    const directory = await makeInstanceDirectory('opensmtpd');
    let daemon: Daemon | undefined;
    try {
      const aliasesFile = path.join(directory, 'aliases');
      await fs.writeFile(aliasesFile, ['postmaster', ...(options.localUsers ?? [])].map((user) => `${user}: root\n`).join(''), { mode: 0o644 });
      const port = await findFreeLoopbackPort();
      const nowherePort = await findFreeLoopbackPort();
      const configFile = path.join(directory, 'smtpd.conf');
      await fs.writeFile(configFile, renderSmtpdConf({ mode: options.mode, port, localDomain, aliasesFile, nowherePort }), { mode: 0o600 });
      const spool = path.join(directory, 'spool');
      const runDirectory = path.join(directory, 'run');
      await fs.mkdir(spool, { mode: 0o711 });
      await fs.mkdir(runDirectory, { mode: 0o755 });
      const script = `mount --bind "$1" ${spoolPath} && mount --bind "$2" ${runPath} && exec "$3" -d -f "$4"`;
      daemon = spawnDaemon('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'smtpd-lab', spool, runDirectory, smtpd, configFile], env);
      ownDirectory(daemon, directory);
      const started = daemon;
      const greeting = await waitForGreeting(port, options.startTimeoutMs ?? 30_000, daemon, async () => '');
      let stopped: Promise<void> | undefined;
      return {
        host: '127.0.0.1',
        port,
        mode: options.mode,
        localDomain,
        greeting,
        rootDirectory: directory,
        log: () => started.output(),
        stop() {
          stopped ??= stopDaemon(started, [directory]);
          return stopped;
        },
      };
    } catch (error) {
      lastError = error;
      await stopDaemon(daemon, [directory]);
      if (!String((error as Error).message).includes('Address already in use')) break;
    }
  }
  throw lastError;
}
