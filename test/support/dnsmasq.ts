// Debian's dnsmasq (dnsmasq-base: the binary, no system service) as a DNS server on a loopback port, one
// per call, for the --domain tests. It answers only from its command line (mx-host and host-record
// lines), reads no /etc/hosts or resolv.conf, forwards nothing, and is authoritative for .test so that
// unknown names get NXDOMAIN. Started in the foreground as a child of the test; stop() ends it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { findFreeLoopbackPort } from './postfix';

export interface DnsmasqInstance {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** For --resolver. */
  readonly address: string;
  stop(): Promise<void>;
}

const DNSMASQ = '/usr/sbin/dnsmasq';

export async function startDnsmasq(records: { mxHosts?: [domain: string, host: string, preference: number][]; hostRecords?: [name: string, ...addresses: string[]][] }): Promise<DnsmasqInstance> {
  if (!existsSync(DNSMASQ)) {
    throw new Error('dnsmasq is not installed (scripts/install-debian-deps.sh installs dnsmasq-base)');
  }
  const port = await findFreeLoopbackPort();
  const args = [
    '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--no-poll',
    `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--local=/test/', '--user=root', '--log-facility=-',
    ...(records.mxHosts ?? []).map(([domain, host, preference]) => `--mx-host=${domain},${host},${preference}`),
    ...(records.hostRecords ?? []).map(([name, ...addresses]) => `--host-record=${[name, ...addresses].join(',')}`),
  ];
  const child = spawn(DNSMASQ, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  };
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const until = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited (${child.exitCode}): ${stderr}`);
    try {
      await resolver.resolveMx('probe.test');
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') break;
    }
    if (Date.now() > until) {
      await stop();
      throw new Error(`dnsmasq did not answer on 127.0.0.1:${port}: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { host: '127.0.0.1', port, address: `127.0.0.1:${port}`, stop };
}
