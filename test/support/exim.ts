// A real Exim 4 (Debian bookworm's exim4-daemon-light) on a loopback port, one private instance per call,
// for the real-server suites. scripts/install-mtas.sh unpacks the packages under .cache/mtas/root.
//
// How it runs, and why:
// - The configuration is Debian's own, as admins run it: the unpacked update-exim4.conf turns the packaged
//   exim4.conf.template and an update-exim4.conf.conf with dc_eximconfig_configtype='local' (mail for
//   local users only) into one config file, exactly as `update-exim4.conf` does in /etc/exim4. Nothing
//   in /etc is read or written: its --confdir and --output point into the instance folder.
// - On top of that, a few local macros, Debian's documented way to adjust the template (its
//   exim4.conf.localmacros, read before the template; the generator looks for that file under /etc only,
//   so we prepend ours the same way): the spool and logs go into the instance folder, DC_minimaldns turns
//   DNS off (no host lookups, a fixed primary hostname), and queue_only keeps every accepted message in
//   that spool. The 'local' config type has no router for remote domains, so nothing can leave the
//   machine even if a message were delivered.
// - closed: Debian's generator always appends 127.0.0.1 and ::1 to dc_relay_nets, so every Debian Exim
//   relays for its own host. The tester IS on loopback, so the closed instance redefines MAIN_RELAY_NETS
//   empty: 127.0.0.1 is an outsider, and Debian's acl_check_rcpt answers a remote recipient
//   `550 relay not permitted`.
// - open: dc_relay_nets='127.0.0.0/8' (hostlist relay_from_hosts), Debian's "relay for these hosts".
// - Started as `exim4 -C FILE -bdf -oX PORT -oP PIDFILE` (a foreground daemon, the leader of its own
//   process group) as root: Exim binds the port and receives as the Debian-exim user
//   (scripts/install-mtas.sh adds it). stop() signals the group and removes the folder.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  findFreeLoopbackPort,
  makeInstanceDirectory,
  ownDirectory,
  requireUnpackedMta,
  spawnDaemon,
  stopDaemon,
  unpackedLibraryPath,
  unpackedRoot,
  waitForGreeting,
  type Daemon,
} from './unpackedMta';

export { MtaUnavailableError } from './unpackedMta';

const run = promisify(execFile);

export type EximMode = 'closed' | 'open';

export interface EximInstance {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly mode: EximMode;
  readonly localDomain: string;
  /** The 220 line the instance greeted with. */
  readonly greeting: string;
  readonly rootDirectory: string;
  readonly configFile: string;
  /** Exim's mainlog: every refusal is logged there with its reason. */
  mainLog(): Promise<string>;
  stop(): Promise<void>;
}

export interface StartEximOptions {
  mode: EximMode;
  /** The domain the instance receives mail for (dc_other_hostnames). Default corp.example. */
  localDomain?: string;
  startTimeoutMs?: number;
}

const PRIMARY_HOSTNAME = 'mail.corp.example';
const DEFAULT_LOCAL_DOMAIN = 'corp.example';
const PORT_ATTEMPTS = 5;

/** update-exim4.conf.conf as debconf writes it for "local delivery only; not on a network". */
export function renderUpdateEximConf(mode: EximMode, localDomain: string): string {
  return [
    "dc_eximconfig_configtype='local'",
    `dc_other_hostnames='${localDomain}'`,
    "dc_local_interfaces='127.0.0.1'",
    "dc_readhost=''",
    "dc_relay_domains=''",
    "dc_minimaldns='false'",
    `dc_relay_nets='${mode === 'open' ? '127.0.0.0/8' : ''}'`,
    "dc_smarthost=''",
    "CFILEMODE='644'",
    "dc_use_split_config='false'",
    "dc_hide_mailname=''",
    "dc_mailname_in_oh='true'",
    "dc_localdelivery='mail_spool'",
    '',
  ].join('\n');
}

/** The local macros (and main options) placed before the generated config; see the header comment. */
export function renderLocalMacros(mode: EximMode, directory: string): string {
  return [
    '# Local macros of the lab instance (Debian: exim4.conf.localmacros), before the generated config.',
    ...(mode === 'closed' ? ['# The generator appends 127.0.0.1 : ::1 to dc_relay_nets; the tester is on loopback.', 'MAIN_RELAY_NETS ='] : []),
    `SPOOLDIR = ${path.join(directory, 'spool')}`,
    'DC_minimaldns = 1',
    `MAIN_HARDCODE_PRIMARY_HOSTNAME = ${PRIMARY_HOSTNAME}`,
    `ETC_MAILNAME = ${PRIMARY_HOSTNAME}`,
    `log_file_path = ${path.join(directory, 'log', '%slog')}`,
    'queue_only = true',
    '',
  ].join('\n');
}

export async function startExim(options: StartEximOptions): Promise<EximInstance> {
  const exim = requireUnpackedMta('Exim', 'usr/sbin/exim4');
  const localDomain = options.localDomain ?? DEFAULT_LOCAL_DOMAIN;
  const env = { ...process.env, LD_LIBRARY_PATH: unpackedLibraryPath() };
  let lastError: unknown;
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    const directory = await makeInstanceDirectory('exim');
    let daemon: Daemon | undefined;
    try {
      const configFile = await writeConfig(directory, options.mode, localDomain, env);
      const port = await findFreeLoopbackPort();
      daemon = spawnDaemon(exim, ['-C', configFile, '-bdf', '-oX', String(port), '-oP', path.join(directory, 'exim.pid')], env);
      ownDirectory(daemon, directory);
      const mainLog = (): Promise<string> => fs.readFile(path.join(directory, 'log', 'mainlog'), 'utf8').catch(() => '');
      const greeting = await waitForGreeting(port, options.startTimeoutMs ?? 30_000, daemon, async () => `mainlog:\n${await mainLog()}`);
      const started = daemon;
      let stopped: Promise<void> | undefined;
      return {
        host: '127.0.0.1',
        port,
        mode: options.mode,
        localDomain,
        greeting,
        rootDirectory: directory,
        configFile,
        mainLog,
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

async function writeConfig(directory: string, mode: EximMode, localDomain: string, env: NodeJS.ProcessEnv): Promise<string> {
  const confdir = path.join(directory, 'confdir');
  await fs.mkdir(confdir);
  await fs.copyFile(path.join(unpackedRoot, 'etc/exim4/exim4.conf.template'), path.join(confdir, 'exim4.conf.template'));
  await fs.writeFile(path.join(confdir, 'update-exim4.conf.conf'), renderUpdateEximConf(mode, localDomain));
  const generated = path.join(directory, 'generated.conf');
  try {
    await run('sh', [path.join(unpackedRoot, 'usr/sbin/update-exim4.conf'), '--confdir', confdir, '--output', generated], { env });
  } catch (error) {
    const failure = error as { stderr?: string; message?: string };
    throw new Error(`update-exim4.conf failed: ${failure.stderr || failure.message}`);
  }
  const configFile = path.join(directory, 'exim4.conf');
  await fs.writeFile(configFile, renderLocalMacros(mode, directory) + (await fs.readFile(generated, 'utf8')), { mode: 0o644 });
  for (const owned of ['spool', 'log']) {
    await fs.mkdir(path.join(directory, owned), { mode: 0o750 });
    await run('chown', ['Debian-exim:Debian-exim', path.join(directory, owned)]);
  }
  // The same check update-exim4.conf runs before installing a config: Exim parses it.
  try {
    await run(requireUnpackedMta('Exim', 'usr/sbin/exim4'), ['-C', configFile, '-bV'], { env });
  } catch (error) {
    const failure = error as { stderr?: string; stdout?: string; message?: string };
    throw new Error(`exim4 -bV refused the generated config: ${failure.stderr || failure.stdout || failure.message}`);
  }
  return configFile;
}
