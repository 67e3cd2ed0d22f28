// Issue 10 §3: relay --domain against a real DNS server (Debian's dnsmasq on a loopback port) whose MX and
// address records point at practice servers on loopback. Only .test names and 127.0.0.x addresses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveMailDomain } from '../../src/core/reach/mxResolution';
import { startPracticeServer, type PracticeServer } from '../../src/lab/practiceServer';
import { startDnsmasq, type DnsmasqInstance } from '../support/dnsmasq';
import { runCli } from '../support/cliProcess';

interface DomainJson {
  domain: string;
  verdict: string;
  warnings: string[];
  hosts: { names: string[]; preference: number; address: string | null; port: number; verdict: string; tests: unknown[]; transcript: string; warnings: string[] }[];
}

describe('relay --domain with MX records from dnsmasq', () => {
  let dns: DnsmasqInstance;
  let lab: PracticeServer;
  before(async () => {
    lab = await startPracticeServer({ persona: 'postfix', host: '127.0.0.1', port: 0, localDomains: ['two.test', 'nomx.test', 'broken.test'] });
    dns = await startDnsmasq({
      mxHosts: [
        ['two.test', 'mx1.two.test', 10],
        ['two.test', 'mx2.two.test', 20],
        ['broken.test', 'mx.broken.test', 10],
        ['broken.test', 'noaddr.broken.test', 20],
      ],
      hostRecords: [
        ['mx1.two.test', '127.0.0.1'],
        ['mx2.two.test', '127.0.0.1'],
        ['nomx.test', '127.0.0.1'],
        ['mx.broken.test', '127.0.0.1'],
      ],
    });
  });
  after(async () => {
    await dns?.stop();
    await lab?.close();
  });

  const relayDomain = (domain: string, extra: string[] = []) =>
    // The practice server offers STARTTLS with a self-signed certificate, which no MX name matches: --insecure.
    runCli(['relay', '--domain', domain, '--resolver', dns.address, '--port', String(lab.port), '--insecure', '--tests', 'kb', '--json', ...extra]);

  test('two MX names on one address: that address is tested once, with both names by preference', async () => {
    const run = await relayDomain('two.test');
    assert.equal(run.code, 0, run.stderr);
    const json = JSON.parse(run.stdout) as DomainJson;
    assert.equal(json.domain, 'two.test');
    assert.equal(json.hosts.length, 1);
    assert.deepEqual(json.hosts[0].names, ['mx1.two.test', 'mx2.two.test']);
    assert.equal(json.hosts[0].address, '127.0.0.1');
    assert.equal(json.hosts[0].preference, 10);
    assert.equal(json.hosts[0].port, lab.port);
    assert.equal(json.hosts[0].verdict, 'closed');
    assert.ok(json.hosts[0].tests.length > 0);
    assert.match(json.hosts[0].transcript, /EHLO/);
    assert.equal(json.verdict, 'closed');
  });

  test('no MX: the domain\'s own A record is tested (RFC 5321 §5.1), with a warning saying so', async () => {
    const resolution = await resolveMailDomain('nomx.test', { resolver: dns.address });
    assert.equal(resolution.source, 'address');
    assert.deepEqual(resolution.addresses, [{ names: ['nomx.test'], preference: 0, address: '127.0.0.1' }]);
    const run = await relayDomain('nomx.test');
    const json = JSON.parse(run.stdout) as DomainJson;
    assert.equal(json.hosts[0].address, '127.0.0.1');
    assert.ok(json.warnings.some((warning) => warning.startsWith('nomx.test has no MX records')));
  });

  test('an MX host without an address is an error host, and the domain is inconclusive (exit 2), never closed', async () => {
    const run = await relayDomain('broken.test');
    assert.equal(run.code, 2, run.stderr);
    const json = JSON.parse(run.stdout) as DomainJson;
    const broken = json.hosts.find((host) => host.names.includes('noaddr.broken.test'))!;
    assert.equal(broken.verdict, 'error');
    assert.equal(broken.address, null);
    assert.match(broken.warnings[0], /noaddr\.broken\.test: it has no A or AAAA record/);
    assert.equal(json.hosts.find((host) => host.address === '127.0.0.1')?.verdict, 'closed');
    assert.equal(json.verdict, 'inconclusive');
  });

  test('a domain that does not exist: a clear error, exit 3', async () => {
    const run = await relayDomain('missing.test');
    assert.equal(run.code, 3);
    assert.match(run.stderr, /the domain missing\.test does not exist \(NXDOMAIN\)/);
  });

  test('the human report: a table of hosts and addresses, then the details of each host that is not closed', async () => {
    const run = await runCli(['relay', '--domain', 'broken.test', '--resolver', dns.address, '--port', String(lab.port), '--insecure', '--tests', 'kb', '--parallel', '1']);
    assert.match(run.stdout, /^ {2}pref {2}MX names +address +verdict$/m);
    assert.match(run.stdout, /^ {2}10 {4}mx\.broken\.test +127\.0\.0\.1 +closed$/m);
    assert.match(run.stdout, /^ {2}20 {4}noaddr\.broken\.test +- +error$/m);
    assert.match(run.stdout, /^--- noaddr\.broken\.test \(noaddr\.broken\.test\): error$/m);
  });
});
