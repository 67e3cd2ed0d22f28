// A real Postfix (the Debian package) on a loopback port, one private instance per call, for the server
// tests and the benchmarks. scripts/install-debian-deps.sh installs the package on a fresh machine.
//
// How it runs, and why:
// - Everything lives in one mkdtemp folder: config (main.cf, master.cf), queue, data (master.lock),
//   the maillog and the recorded deliveries. The system instance, /etc/postfix/main.cf (absent when the
//   package was installed with "No configuration") and port 25 are never touched.
// - Started with `postfix -c DIR start` as root. A non-default config_directory must be listed in the
//   default main.cf's alternate_config_directories only for the set-gid programs (postdrop, postqueue)
//   and for non-root callers; root may point `postfix -c` anywhere, which is what we do (tried on
//   Postfix 3.7). The master needs root to bind and to switch to the postfix user, so a non-root caller
//   gets a clear error instead of a half-started instance. `master -w` (used by `postfix start`) returns
//   once the listener is bound, and the master stays in the background as its own process group.
// - No syslog in a container: `maillog_file` sends logs through the postlog service to a file in the
//   folder (maillog_file_prefixes must allow it). Errors quote its tail.
// - main.cf must make Postfix warn about nothing (rejectConfigurationWarnings fails the start otherwise),
//   and so assigns every name once (renderMainCf puts an extraMainCf setting in the place of the default
//   it replaces). Why: each daemon reads main.cf as it starts and logs each warning through the postlog
//   socket, a Unix DATAGRAM socket that holds at most net.unix.max_dgram_qlen messages (10 by default)
//   until postlogd reads them; a send to a full one blocks. postlogd itself, freshly spawned, logs its own
//   startup warnings into that same socket before it starts reading it ("During process initialization,
//   the postlogd daemon will log events to the postlog socket", postlogd.c, Postfix 3.7). If qmgr, smtpd
//   and anvil have filled the socket first, postlogd blocks writing to itself, forever, and everyone else
//   blocks behind it: smtpd never greets and the maillog keeps only "starting the Postfix mail system"
//   (the master's "daemon started" waits in the socket). That was the stall of the closed catcher
//   configurations, which repeated four settings: "daemon started", qmgr's 4 warnings and smtpd's 4 and
//   "connect from" fill the ten slots whenever postlogd happens to be scheduled last (4 of 80 first starts
//   in fresh node processes on this 2-core machine under load, none of 35 without; the open ones repeat
//   two settings and cannot reach ten). Found with /proc/PID/wchan of the stalled instances: postlogd,
//   anvil and smtpd in unix_wait_for_peer, i.e. a blocking send() to the full socket; reproduced every
//   time by repeating eight more settings. Without warnings postlogd logs nothing before it reads, so it
//   always drains the socket (160 of 160 clean first starts under the same load). A start that still gets no greeting fails with the
//   maillog and the state of each process of the instance (describeProcessGroup).
// - The data directory must belong to the postfix user (master.lock); `postfix start` creates and owns
//   the queue subdirectories itself. No service is chrooted: the temporary queue has no etc/ copies.
// - closed: mynetworks is TEST-NET-1 (192.0.2.0/24, RFC 5737), so 127.0.0.1 is an outsider, and
//   smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination answers a relay attempt
//   `554 5.7.1 <x>: Relay access denied` (reject_, not defer_unauth_destination's 454 4.7.1: a
//   permanent answer is what most closed servers give). mynetworks_style = host would not do: we ARE
//   the host. The local domain (corp.example) is in mydestination and its users are in a texthash
//   local_recipient_maps, so the positive control postmaster@corp.example is accepted at RCPT.
// - open: mynetworks = 127.0.0.0/8, so the tester is trusted and RCPT to a remote domain gets 250.
//   The trap: with an `error:` default_transport Postfix refuses remote recipients at RCPT (550 5.1.1),
//   and the open instance would look closed. Instead remote mail goes to `failpipe`, a pipe(8) service
//   that records the envelope and message in the folder and exits 75 (EX_TEMPFAIL): Postfix defers the
//   message and keeps it queued, and no bounce has to be delivered anywhere. master.cf has no smtp,
//   relay or lmtp client service at all, so nothing can ever leave the machine; local mail goes to
//   `localpipe`, which records and exits 0, never to a real mailbox.
// - No DNS: smtp_dns_support_level = disabled, smtpd_peername_lookup = no, no RBLs. Postfix's client
//   slow-down (smtpd_error_sleep_time, smtpd_soft_error_limit) is left at its defaults: the benchmarks
//   measure it.
// - stop() runs `postfix -c DIR stop`, waits until the master's whole process group is gone (killing it
//   if it lingers), and removes the folder. Instances still running when the test process exits are
//   stopped by an exit hook.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, promises as fs, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  renderDeliveryRecorder,
  renderLocalRecipients,
  renderMainCf,
  renderMasterCf,
  type PostfixLayout,
  type PostfixMode,
} from './postfixConfig';
import { readDeliveries, type PostfixDelivery } from './postfixDeliveries';
import { describeProcessGroup, runOnProcessExit, signalGroup, waitUntilGroupGone } from './processGroup';
import { greetingReadMs, readGreeting } from './greeting';

export type { PostfixMode } from './postfixConfig';
export type { PostfixDelivery } from './postfixDeliveries';

const run = promisify(execFile);

export interface StartPostfixOptions {
  mode: PostfixMode;
  /** The domain the instance receives mail for. Default corp.example. */
  localDomain?: string;
  /** Local parts accepted at RCPT in the local domain; postmaster always is. */
  localUsers?: string[];
  /** A fixed port; by default a free one is picked (and another tried if it was taken meanwhile). */
  port?: number;
  /** More main.cf settings, applied after (so overriding) the lab defaults. */
  extraMainCf?: Readonly<Record<string, string>>;
  /** More master.cf service lines, appended (e.g. the smtp client of postfixCatcherConfig.ts; none by default). */
  extraMasterCf?: readonly string[];
  /** How long startup may take before it fails with the maillog tail. Default 30 s. */
  startTimeoutMs?: number;
}

export interface PostfixInstance {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly mode: PostfixMode;
  readonly localDomain: string;
  readonly rootDirectory: string;
  readonly configDirectory: string;
  readonly queueDirectory: string;
  readonly maillogFile: string;
  /** The master daemon; every process of the instance is in its process group. */
  readonly masterPid: number;
  /** What the pipe services received, in arrival order: the proof of where accepted mail went. */
  deliveries(): Promise<PostfixDelivery[]>;
  /** Polls deliveries() until there are at least `count`; rejects with the maillog tail on timeout. */
  waitForDeliveries(count: number, timeoutMs?: number): Promise<PostfixDelivery[]>;
  maillog(): Promise<string>;
  /** Polls the maillog until a line matches (postlogd writes it a moment after the event). */
  waitForMaillogLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Runs postconf against this instance's configuration, e.g. ['-M'] for its master.cf services. */
  postconf(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export class PostfixUnavailableError extends Error {
  override name = 'PostfixUnavailableError';
}

const DEFAULT_LOCAL_DOMAIN = 'corp.example';
const DEFAULT_START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 5;
const POLL_INTERVAL_MS = 50;

/** Folders of instances not stopped yet, for the exit hook. */
const running = new Map<string, { postfixCommand: string; configDirectory: string; masterPid?: number }>();

export async function startPostfix(options: StartPostfixOptions): Promise<PostfixInstance> {
  const postfixCommand = findSystemCommand('postfix');
  const postconfCommand = findSystemCommand('postconf');
  if (process.getuid?.() !== 0) {
    throw new PostfixUnavailableError(
      'a lab Postfix must be started as root (its master binds the port and switches to the postfix user); ' +
        'run the server tests as root, as CI does',
    );
  }
  runOnProcessExit(stopAllSynchronously);
  const localDomain = options.localDomain ?? DEFAULT_LOCAL_DOMAIN;
  const attempts = options.port === undefined ? PORT_ATTEMPTS : 1;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = options.port ?? (await findFreeLoopbackPort());
    const layout = await createLayout();
    running.set(layout.rootDirectory, { postfixCommand, configDirectory: layout.configDirectory });
    try {
      await writeInstanceFiles(layout, { ...options, localDomain, port });
      await rejectConfigurationWarnings(postconfCommand, layout);
      const masterPid = await startMaster(postfixCommand, layout, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
      running.set(layout.rootDirectory, { postfixCommand, configDirectory: layout.configDirectory, masterPid });
      await waitForGreeting(port, layout, masterPid, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
      return makeInstance({ mode: options.mode, localDomain, port, layout, postfixCommand, postconfCommand, masterPid });
    } catch (error) {
      lastError = error;
      await stopAndRemove(postfixCommand, layout, undefined);
      const message = String((error as Error).message);
      // Someone else may have bound the port between our probe and Postfix's bind: try another.
      if (message.includes('Address already in use')) continue;
      break;
    }
  }
  throw lastError;
}

function makeInstance(input: {
  mode: PostfixMode;
  localDomain: string;
  port: number;
  layout: PostfixLayout;
  postfixCommand: string;
  postconfCommand: string;
  masterPid: number;
}): PostfixInstance {
  const { layout } = input;
  let stopped: Promise<void> | undefined;
  const instance: PostfixInstance = {
    host: '127.0.0.1',
    port: input.port,
    mode: input.mode,
    localDomain: input.localDomain,
    rootDirectory: layout.rootDirectory,
    configDirectory: layout.configDirectory,
    queueDirectory: layout.queueDirectory,
    maillogFile: layout.maillogFile,
    masterPid: input.masterPid,
    deliveries: () => readDeliveries(layout.deliveriesDirectory),
    async waitForDeliveries(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const deliveries = await readDeliveries(layout.deliveriesDirectory);
        if (deliveries.length >= count) return deliveries;
        if (Date.now() > deadline) {
          throw new Error(
            `expected ${count} pipe deliveries within ${timeoutMs} ms, got ${deliveries.length}\n` +
              `maillog tail:\n${await maillogTail(layout)}`,
          );
        }
        await delay(POLL_INTERVAL_MS);
      }
    },
    maillog: () => readMaillog(layout),
    async waitForMaillogLine(pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = (await readMaillog(layout)).split('\n').find((candidate) => pattern.test(candidate));
        if (line !== undefined) return line;
        if (Date.now() > deadline) {
          throw new Error(`no maillog line matched ${pattern} within ${timeoutMs} ms\nmaillog tail:\n${await maillogTail(layout)}`);
        }
        await delay(POLL_INTERVAL_MS);
      }
    },
    async postconf(args) {
      const { stdout } = await run(input.postconfCommand, ['-c', layout.configDirectory, ...args]);
      return stdout;
    },
    stop() {
      stopped ??= stopAndRemove(input.postfixCommand, layout, input.masterPid);
      return stopped;
    },
  };
  return instance;
}

async function createLayout(): Promise<PostfixLayout> {
  const rootDirectory = await fs.mkdtemp(path.join(os.tmpdir(), 'smtp-relay-lab-postfix-'));
  const layout: PostfixLayout = {
    rootDirectory,
    configDirectory: path.join(rootDirectory, 'config'),
    queueDirectory: path.join(rootDirectory, 'queue'),
    dataDirectory: path.join(rootDirectory, 'data'),
    deliveriesDirectory: path.join(rootDirectory, 'deliveries'),
    maillogFile: path.join(rootDirectory, 'maillog'),
    localRecipientsFile: path.join(rootDirectory, 'config', 'local_recipients'),
    deliveryRecorderScript: path.join(rootDirectory, 'record-delivery.sh'),
  };
  // mkdtemp makes the folder 0700: the postfix user (daemons) and nobody (the pipes) must get through.
  await fs.chmod(rootDirectory, 0o755);
  for (const directory of [layout.configDirectory, layout.queueDirectory, layout.dataDirectory]) {
    await fs.mkdir(directory, { mode: 0o755 });
  }
  // Sticky and world-writable like /tmp: the pipes run as nobody and write their records here.
  await fs.mkdir(layout.deliveriesDirectory);
  await fs.chmod(layout.deliveriesDirectory, 0o1777);
  return layout;
}

async function writeInstanceFiles(
  layout: PostfixLayout,
  options: StartPostfixOptions & { localDomain: string; port: number },
): Promise<void> {
  await fs.writeFile(
    path.join(layout.configDirectory, 'main.cf'),
    renderMainCf({
      mode: options.mode,
      port: options.port,
      localDomain: options.localDomain,
      layout,
      extraMainCf: options.extraMainCf,
    }),
    { mode: 0o644 },
  );
  const masterCf = renderMasterCf({ port: options.port, layout }) + (options.extraMasterCf ?? []).map((line) => `${line}\n`).join('');
  await fs.writeFile(path.join(layout.configDirectory, 'master.cf'), masterCf, {
    mode: 0o644,
  });
  await fs.writeFile(layout.localRecipientsFile, renderLocalRecipients(options.localUsers ?? []), { mode: 0o644 });
  await fs.writeFile(layout.deliveryRecorderScript, renderDeliveryRecorder(), { mode: 0o755 });
  // master.lock goes in the data directory, and only the postfix user may create it there.
  await run('chown', ['postfix', layout.dataDirectory]);
}

/**
 * Whatever postconf warns about, every daemon of the instance warns about too as it starts, into the
 * postlog socket; enough such lines deadlock postlogd (top of this file), so any warning fails the start.
 * It also catches a misspelt extraMainCf name, which Postfix would only warn about and ignore, leaving an
 * instance that is not the one the test meant to start.
 */
async function rejectConfigurationWarnings(postconfCommand: string, layout: PostfixLayout): Promise<void> {
  const { stderr } = await run(postconfCommand, ['-c', layout.configDirectory, '-n']);
  const warnings = [...new Set(stderr.split('\n').filter((line) => line.includes('warning:')))];
  if (warnings.length > 0) {
    const unknown = warnings.some((line) => line.includes('unused parameter'));
    throw new Error(
      (unknown ? 'main.cf settings this Postfix does not know, or ' : '') +
        'main.cf that Postfix warns about (each daemon would log these at startup into the postlog socket, ' +
        `which can deadlock postlogd: see postfix.ts):\n${warnings.join('\n')}`,
    );
  }
}

/**
 * Starts the master and returns its pid; `postfix start` returns once the master is initialised.
 * Fatal configuration errors found before the master runs go to syslog (or to stderr on a terminal),
 * not to maillog_file: a container without syslog shows none, hence the hint in the error.
 */
async function startMaster(postfixCommand: string, layout: PostfixLayout, timeoutMs: number): Promise<number> {
  try {
    await run(postfixCommand, ['-c', layout.configDirectory, 'start'], { timeout: timeoutMs });
  } catch (error) {
    const maillog = await readMaillog(layout);
    const evidence = maillog
      ? `maillog tail:\n${await maillogTail(layout)}`
      : 'the maillog is empty: a fatal error came before logging started (an unknown mail_owner, say). ' +
        `Run \`postfix -c DIR check\` in a terminal with this main.cf to see it:\n` +
        (await fs.readFile(path.join(layout.configDirectory, 'main.cf'), 'utf8'));
    throw new Error(`postfix -c ${layout.configDirectory} start failed: ${commandOutput(error)}\n${evidence}`);
  }
  const pidText = await fs.readFile(path.join(layout.queueDirectory, 'pid', 'master.pid'), 'utf8');
  const pid = Number.parseInt(pidText.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`unreadable master.pid: ${JSON.stringify(pidText)}`);
  return pid;
}

/** Connects until Postfix's smtpd answers with a 220 greeting, then says QUIT. */
async function waitForGreeting(port: number, layout: PostfixLayout, masterPid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no attempt';
  while (Date.now() < deadline) {
    try {
      // Short reads: a listener that accepts and stays silent is not waited on for the whole start timeout.
      const greeting = await readGreeting(port, Math.max(1, Math.min(greetingReadMs, deadline - Date.now())));
      if (greeting.startsWith('220 ')) return;
      lastProblem = `greeting ${JSON.stringify(greeting)}`;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    // Between our probe of the port and the master's bind, another test's server (suites run two at a time)
    // can take the port: the master then logs "Address already in use" and exits, and what answers there is
    // that other server, silent. startPostfix tries another port when the error says so.
    const log = await readMaillog(layout);
    if (/Address already in use/.test(log)) {
      throw new Error(`Postfix could not bind 127.0.0.1:${port}: Address already in use\nmaillog tail:\n${await maillogTail(layout)}`);
    }
    await delay(POLL_INTERVAL_MS * 2);
  }
  throw new Error(
    `Postfix on 127.0.0.1:${port} gave no 220 greeting within ${timeoutMs} ms (${lastProblem})\n` +
      `maillog tail:\n${await maillogTail(layout)}\n` +
      `processes of the instance (unix_wait_for_peer: blocked on the full postlog socket):\n${describeProcessGroup(masterPid)}`,
  );
}


async function stopAndRemove(postfixCommand: string, layout: PostfixLayout, masterPid: number | undefined): Promise<void> {
  if (masterPid === undefined) masterPid = await readMasterPid(layout);
  if (masterPid !== undefined) {
    // Exits non-zero when the master is already gone: that is the state we want anyway.
    await run(postfixCommand, ['-c', layout.configDirectory, 'stop'], { timeout: STOP_TIMEOUT_MS }).catch(
      () => undefined,
    );
    // The master is a process group leader (setsid), and its daemons stay in its group.
    if (!(await waitUntilGroupGone(masterPid, STOP_TIMEOUT_MS))) {
      signalGroup(masterPid, 'SIGKILL');
      if (!(await waitUntilGroupGone(masterPid, STOP_TIMEOUT_MS))) {
        throw new Error(`Postfix process group ${masterPid} of ${layout.rootDirectory} survived SIGKILL`);
      }
    }
  }
  await fs.rm(layout.rootDirectory, { recursive: true, force: true });
  // Only now: if this process dies during the stop, the exit hook still finds the instance.
  running.delete(layout.rootDirectory);
}

async function readMasterPid(layout: PostfixLayout): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await fs.readFile(path.join(layout.queueDirectory, 'pid', 'master.pid'), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Every running instance stopped and removed, synchronously: what runOnProcessExit runs. */
function stopAllSynchronously(): void {
  for (const [rootDirectory, instance] of running) {
    try {
      execFileSync(instance.postfixCommand, ['-c', instance.configDirectory, 'stop'], {
        stdio: 'ignore',
        timeout: STOP_TIMEOUT_MS,
      });
    } catch {
      if (instance.masterPid !== undefined) signalGroup(instance.masterPid, 'SIGKILL');
    }
    rmSync(rootDirectory, { recursive: true, force: true });
    running.delete(rootDirectory);
  }
}

export async function findFreeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port from an ephemeral listener'));
      });
    });
  });
}

/** Postfix's programs live in /usr/sbin, which a non-login PATH may lack. */
function findSystemCommand(name: 'postfix' | 'postconf'): string {
  const directories = ['/usr/sbin', '/usr/local/sbin', '/sbin', ...(process.env.PATH ?? '').split(path.delimiter)];
  for (const directory of directories) {
    const candidate = path.join(directory, name);
    if (directory && existsSync(candidate)) return candidate;
  }
  throw new PostfixUnavailableError(
    `${name} is not installed: run scripts/install-debian-deps.sh (installs the postfix package unconfigured)`,
  );
}

async function readMaillog(layout: PostfixLayout): Promise<string> {
  try {
    return await fs.readFile(layout.maillogFile, 'utf8');
  } catch {
    return '';
  }
}

async function maillogTail(layout: PostfixLayout, lines = 20): Promise<string> {
  const text = await readMaillog(layout);
  return text ? text.trimEnd().split('\n').slice(-lines).join('\n') : '(maillog is empty or missing)';
}

function commandOutput(error: unknown): string {
  const failure = error as { stderr?: string; stdout?: string; message?: string };
  return [failure.stderr, failure.stdout].filter(Boolean).join('\n').trim() || String(failure.message);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
