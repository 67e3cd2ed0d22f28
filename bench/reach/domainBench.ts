/**
 * Issue 10 §5: `relay --domain` on a domain with 8 MX addresses, timed at --parallel 1 and 4. dnsmasq on a
 * loopback port answers the MX and address records (eight.test, mx1..mx8.eight.test at 127.0.0.2..9).
 * `relay --domain` takes one --port for every address, and the practice server listens on 127.0.0.1 or ::1
 * only, so each of the 8 practice servers listens on 127.0.0.1 with its own port and a byte-for-byte TCP
 * forwarder in this process listens on 127.0.0.N:P (one shared port P) and pipes to it. All loopback.
 */
import { once } from 'node:events';
import net from 'node:net';
import { startPracticeServer, type PracticeServer } from '../../src/lab/practiceServer';
import { startDnsmasq, type DnsmasqInstance } from '../../test/support/dnsmasq';
import type { CostSeries } from '../costs/engineCosts';
import { runTimed } from '../externalCommand';
import { ourCliPath } from '../relay/ourRelayCli';
import { summarise } from '../samples';

const domain = 'eight.test';
const addresses = Array.from({ length: 8 }, (_, index) => `127.0.0.${index + 2}`);
export const domainParallelism = [1, 4] as const;

export interface DomainFigures {
  series: CostSeries[];
  notes: string[];
}

interface Forwarders {
  port: number;
  close(): Promise<void>;
}

/** Listens on every address at one port (the first free one all of them can take) and pipes to its target. */
async function startForwarders(targets: ReadonlyArray<{ address: string; port: number }>): Promise<Forwarders> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const servers: net.Server[] = [];
    const sockets = new Set<net.Socket>();
    let port = 0;
    try {
      for (const target of targets) {
        const server = net.createServer((client) => {
          const upstream = net.connect(target.port, '127.0.0.1');
          for (const socket of [client, upstream]) {
            sockets.add(socket);
            socket.on('error', () => {
              client.destroy();
              upstream.destroy();
            });
            socket.on('close', () => sockets.delete(socket));
          }
          client.pipe(upstream);
          upstream.pipe(client);
        });
        servers.push(server);
        server.listen(port, target.address);
        await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error as Error))]);
        port = (server.address() as net.AddressInfo).port;
      }
      return {
        port,
        async close() {
          for (const socket of sockets) {
            socket.destroy();
          }
          await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
        },
      };
    } catch {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    }
  }
  throw new Error(`no port free on all of ${addresses.join(', ')}`);
}

export async function measureDomainRun(runs: number, log: (line: string) => void): Promise<DomainFigures> {
  const servers: PracticeServer[] = [];
  let forwarders: Forwarders | undefined;
  let dns: DnsmasqInstance | undefined;
  const series: CostSeries[] = [];
  const notes: string[] = [];
  try {
    for (let index = 0; index < addresses.length; index += 1) {
      servers.push(await startPracticeServer({ persona: 'postfix', host: '127.0.0.1', port: 0, localDomains: [domain], localUsers: ['postmaster'] }));
    }
    forwarders = await startForwarders(addresses.map((address, index) => ({ address, port: servers[index].port })));
    dns = await startDnsmasq({
      mxHosts: addresses.map((_, index) => [domain, `mx${index + 1}.${domain}`, 10 * (index + 1)]),
      hostRecords: addresses.map((address, index) => [`mx${index + 1}.${domain}`, address]),
    });
    for (const parallel of domainParallelism) {
      log(`relay --domain ${domain} (8 MX addresses) --parallel ${parallel}, ${runs} run(s)`);
      const seconds: number[] = [];
      const outcomes = new Set<string>();
      for (let run = 0; run < runs; run += 1) {
        const result = await runTimed(
          process.execPath,
          [ourCliPath, 'relay', '--domain', domain, '--resolver', dns.address, '--port', String(forwarders.port), '--tls', 'none', '--parallel', String(parallel), '--json'],
          { timeoutMs: 300_000 },
        );
        seconds.push(result.seconds);
        let outcome = `exit ${result.exitCode}`;
        try {
          const json = JSON.parse(result.stdout) as { verdict: string; hosts: Array<{ verdict: string; tests: unknown[] }> };
          outcome += `, verdict ${json.verdict}, ${json.hosts.length} addresses tested (${json.hosts.map((host) => host.tests.length).join('+')} tests)`;
        } catch {
          outcome += `, no JSON: ${result.stderr.trim().split('\n')[0] ?? ''}`;
        }
        outcomes.add(outcome);
      }
      series.push({ name: `relay --domain, 8 MX addresses (practice servers, postfix persona), --parallel ${parallel}`, unit: 's', samples: seconds });
      notes.push(...[...outcomes].map((outcome) => `--parallel ${parallel}: ${outcome}`));
    }
    const [one, four] = series.map((entry) => summarise(entry.samples).median);
    notes.push(`--parallel 1 takes ${(one / four).toFixed(2)}x the time of --parallel 4 (median of each)`);
  } finally {
    await dns?.stop();
    await forwarders?.close();
    await Promise.all(servers.map((server) => server.close()));
  }
  return { series, notes };
}
