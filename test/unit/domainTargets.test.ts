// Issue 10 §3 in the editor, without DNS and without VS Code: mail-domain targets as the settings write them,
// the Test Explorer's tree for a domain built with an injected resolver, which tests a run request names at
// each address, and the verdict each node shows.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MailDomainError, type MailDomainResolution } from '../../src/core/reach/mxResolution';
import { controlTestId, relayCatalogue } from '../../src/core/relay/relayCatalogue';
import {
  hostTargetOfDomain,
  newDomainTarget,
  readTarget,
  sessionOptionsFor,
  targetIdentity,
  targetSettingEntry,
} from '../../src/extension/target';
import {
  addressChildId,
  addressNodeId,
  addressNodeState,
  buildDomainTree,
  domainNodeId,
  domainNodeState,
  parseDomainItemId,
  planDomainRun,
  type DomainTree,
  type MailDomainResolver,
} from '../../src/extension/testing/domainTree';

const twoAddresses: MailDomainResolution = {
  domain: 'two.test',
  source: 'mx',
  addresses: [
    { names: ['mx2.two.test'], preference: 20, address: '::1' },
    { names: ['mx1.two.test', 'alias.two.test'], preference: 10, address: '127.0.0.1' },
  ],
  problems: [{ name: 'noaddr.two.test', preference: 30, problem: 'it has no A or AAAA record' }],
};

/** A resolver that answers from a table and records what it was asked. */
function tableResolver(answers: Record<string, MailDomainResolution>): MailDomainResolver & { asked: { domain: string; resolver?: string }[] } {
  const asked: { domain: string; resolver?: string }[] = [];
  const resolve = async (domain: string, options: { resolver?: string }) => {
    asked.push({ domain, ...options });
    const answer = answers[domain];
    if (!answer) {
      throw new MailDomainError(`the domain ${domain} does not exist (NXDOMAIN)`);
    }
    return answer;
  };
  return Object.assign(resolve, { asked });
}

async function resolvedTree(target = readTarget({ domain: 'two.test', resolver: '127.0.0.1:5353', port: 2525 })!): Promise<Extract<DomainTree, { kind: 'resolved' }>> {
  const tree = await buildDomainTree(target, tableResolver({ 'two.test': twoAddresses }));
  assert.equal(tree.kind, 'resolved');
  return tree as Extract<DomainTree, { kind: 'resolved' }>;
}

describe('mail-domain targets in smtpRelayLab.targets', () => {
  test('an entry with domain instead of host is a domain target: port 25 by default, the domain as local domain, no resolver unless given', () => {
    const target = readTarget({ domain: 'Example.COM.' })!;
    assert.deepEqual(target.mailDomain, { domain: 'example.com' });
    assert.equal(target.host, 'example.com');
    assert.equal(target.port, 25);
    assert.equal(target.tls, 'starttls');
    assert.deepEqual(target.localDomains, ['example.com']);
    assert.equal(target.label, 'example.com (mail domain)');
  });

  test('resolver and port are kept; name and localDomains override the defaults', () => {
    const target = readTarget({ name: 'Our MX', domain: 'two.test', resolver: '127.0.0.1:5353', port: 2525, localDomains: ['corp.example'] })!;
    assert.deepEqual(target.mailDomain, { domain: 'two.test', resolver: '127.0.0.1:5353' });
    assert.equal(target.port, 2525);
    assert.equal(target.label, 'Our MX');
    assert.deepEqual(target.localDomains, ['corp.example']);
  });

  test('a domain that is not a domain name (an address, one label) makes no target; a host entry is unchanged', () => {
    assert.equal(readTarget({ domain: '127.0.0.1' }), undefined);
    assert.equal(readTarget({ domain: 'localhost' }), undefined);
    const host = readTarget({ host: 'mx.example.com' })!;
    assert.equal(host.mailDomain, undefined);
    assert.deepEqual(host.localDomains, []);
  });

  test('the stored form (recent list, current target) reads back as the same domain target', () => {
    const target = newDomainTarget('two.test', 2525, '127.0.0.1:5353');
    const stored = JSON.parse(JSON.stringify(target)) as unknown;
    assert.deepEqual(readTarget(stored), target);
  });

  test('what SMTP: Add Target would write: domain and resolver instead of host, defaults left out', () => {
    const entry = targetSettingEntry(newDomainTarget('two.test', 2525, '127.0.0.1:5353'));
    assert.deepEqual(entry, { domain: 'two.test', resolver: '127.0.0.1:5353', port: 2525, tls: 'starttls' });
    assert.deepEqual(readTarget(entry), newDomainTarget('two.test', 2525, '127.0.0.1:5353'));
  });

  test('two domain targets differ by domain, port and resolver, and never equal the host of the same name', () => {
    const ids = [
      newDomainTarget('two.test'),
      newDomainTarget('two.test', 2525),
      newDomainTarget('two.test', 25, '127.0.0.1:5353'),
      newDomainTarget('one.test'),
      readTarget({ host: 'two.test' })!,
    ].map(targetIdentity);
    assert.equal(new Set(ids).size, ids.length);
  });

  test('one address of a domain target connects to the address, on its port, with the MX name for the certificate', () => {
    const domainTarget = newDomainTarget('two.test', 2525, '127.0.0.1:5353');
    const host = hostTargetOfDomain(domainTarget, { names: ['mx1.two.test', 'alias.two.test'], address: '127.0.0.1' });
    assert.equal(host.mailDomain, undefined);
    assert.equal(host.label, 'mx1.two.test (127.0.0.1:2525, MX of two.test)');
    assert.deepEqual(host.localDomains, ['two.test']);
    const options = sessionOptionsFor(host);
    assert.equal(options.host, '127.0.0.1');
    assert.equal(options.port, 2525);
    assert.equal(options.servername, 'mx1.two.test');
    assert.equal(readTarget(JSON.parse(JSON.stringify(host)))?.tlsServerName, 'mx1.two.test', 'kept in the recent list');
  });
});

describe('the Test Explorer tree of a mail domain (injected resolver)', () => {
  test('one child per address, by preference: label the address, description its MX names and preference', async () => {
    const target = readTarget({ domain: 'two.test', resolver: '127.0.0.1:5353', port: 2525 })!;
    const resolver = tableResolver({ 'two.test': twoAddresses });
    const tree = await buildDomainTree(target, resolver);
    assert.deepEqual(resolver.asked, [{ domain: 'two.test', resolver: '127.0.0.1:5353' }], "asks the target's DNS server");
    assert.equal(tree.kind, 'resolved');
    assert.ok(tree.kind === 'resolved');
    const domainId = domainNodeId(target);
    assert.deepEqual(
      tree.addresses.map(({ id, label, description }) => ({ id, label, description })),
      [
        { id: addressNodeId(domainId, '127.0.0.1'), label: '127.0.0.1', description: 'mx1.two.test, alias.two.test · preference 10' },
        { id: addressNodeId(domainId, '::1'), label: '::1', description: 'mx2.two.test · preference 20' },
      ],
    );
    assert.equal(tree.problems.length, 1);
    assert.equal(tree.problems[0]!.label, 'noaddr.two.test');
    assert.match(tree.problems[0]!.problem, /noaddr\.two\.test \(preference 30\): it has no A or AAAA record, so it cannot be tested and the domain cannot be "closed"/);
  });

  test("a domain without MX: its own address, described as such", async () => {
    const target = readTarget({ domain: 'nomx.test' })!;
    const tree = await buildDomainTree(target, tableResolver({ 'nomx.test': { domain: 'nomx.test', source: 'address', addresses: [{ names: ['nomx.test'], preference: 0, address: '127.0.0.1' }], problems: [] } }));
    assert.ok(tree.kind === 'resolved');
    assert.equal(tree.addresses[0]!.description, "no MX: nomx.test's own address");
  });

  test('a domain that does not exist is a failed tree with a sentence for a person, not a throw', async () => {
    const tree = await buildDomainTree(readTarget({ domain: 'nx.test' })!, tableResolver({}));
    assert.deepEqual(tree, { kind: 'failed', error: 'The mail servers of nx.test could not be looked up: the domain nx.test does not exist (NXDOMAIN)' });
  });

  test('item ids say which domain, address and test they are, whatever colons an IPv6 address holds', () => {
    const domainId = domainNodeId(newDomainTarget('two.test', 2525, '[::1]:5353'));
    const addressId = addressNodeId(domainId, '::1');
    assert.deepEqual(parseDomainItemId(domainId), { domainId });
    assert.deepEqual(parseDomainItemId(addressId), { domainId, address: '::1' });
    assert.deepEqual(parseDomainItemId(addressChildId(addressId, 'group:kb')), { domainId, address: '::1', child: 'group:kb' });
    assert.deepEqual(parseDomainItemId(addressChildId(addressId, 'kb6')), { domainId, address: '::1', child: 'kb6' });
    assert.equal(parseDomainItemId('kb6'), undefined);
    assert.equal(parseDomainItemId('group:kb'), undefined);
  });
});

describe('which tests a run request names at each address', () => {
  const everyTest = relayCatalogue.map((test) => test.id);

  test('Run All (or the domain node) runs every test at every address: the whole domain, judged', async () => {
    const tree = await resolvedTree();
    const domainId = tree.addresses[0]!.id.split('|')[0]!;
    for (const include of [undefined, [domainId]]) {
      const plan = planDomainRun(tree, domainId, include);
      assert.deepEqual([...plan.selections.keys()], ['127.0.0.1', '::1']);
      assert.deepEqual(plan.selections.get('::1')?.testIds, everyTest);
      assert.equal(plan.wholeDomain, true);
    }
  });

  test('a top-level group stands for the profile target, here the domain: that group at every address, with the control', async () => {
    const tree = await resolvedTree();
    const domainId = tree.addresses[0]!.id.split('|')[0]!;
    const plan = planDomainRun(tree, domainId, ['group:kb']);
    assert.deepEqual(plan.selections.get('127.0.0.1')?.testIds, [controlTestId, 'kb1', 'kb2', 'kb3', 'kb4', 'kb5', 'kb6', 'kb7']);
    assert.equal(plan.selections.get('127.0.0.1')?.controlAdded, true);
    assert.equal(plan.wholeDomain, true);
  });

  test('an address item, or a test under it, runs there only; the domain is then not judged', async () => {
    const tree = await resolvedTree();
    const [first, second] = tree.addresses;
    const domainId = first!.id.split('|')[0]!;
    const one = planDomainRun(tree, domainId, [second!.id]);
    assert.deepEqual([...one.selections.keys()], ['::1']);
    assert.equal(one.wholeDomain, false);
    const test6 = planDomainRun(tree, domainId, [addressChildId(first!.id, 'kb6')]);
    assert.deepEqual([...test6.selections.entries()].map(([address, selection]) => [address, selection.testIds]), [['127.0.0.1', [controlTestId, 'kb6']]]);
  });

  test('another domain\'s items name nothing here; excluded items are taken out at their address', async () => {
    const tree = await resolvedTree();
    const [first, second] = tree.addresses;
    const domainId = first!.id.split('|')[0]!;
    const otherDomain = domainNodeId(newDomainTarget('one.test'));
    assert.equal(planDomainRun(tree, domainId, [otherDomain, addressNodeId(otherDomain, '127.0.0.1')]).selections.size, 0);
    const plan = planDomainRun(tree, domainId, undefined, [second!.id, addressChildId(first!.id, 'group:extended')]);
    assert.deepEqual([...plan.selections.keys()], ['127.0.0.1']);
    assert.deepEqual(plan.selections.get('127.0.0.1')?.testIds, [controlTestId, 'kb1', 'kb2', 'kb3', 'kb4', 'kb5', 'kb6', 'kb7']);
    assert.equal(plan.wholeDomain, false);
  });
});

describe('the verdict on address and domain nodes', () => {
  const host = (address: string | null, verdict: 'open' | 'closed' | 'inconclusive' | 'error', problem?: string) => ({
    address,
    names: [`mx.${address ?? 'none'}`],
    verdict,
    ...(problem ? { problem } : {}),
  });

  test('closed passes, open fails, inconclusive is skipped, an unreachable address errors with the reason', () => {
    assert.equal(addressNodeState(host('127.0.0.1', 'closed')).state, 'passed');
    assert.equal(addressNodeState(host('127.0.0.1', 'open')).state, 'failed');
    assert.equal(addressNodeState(host('127.0.0.1', 'inconclusive')).state, 'skipped');
    assert.deepEqual(addressNodeState(host('::1', 'error', 'connect ECONNREFUSED ::1:2525')), {
      state: 'errored',
      message: '::1 could not be tested: connect ECONNREFUSED ::1:2525',
    });
  });

  test('the domain node shows the worst of its hosts; an error host makes it inconclusive, as an error naming that host', () => {
    assert.equal(domainNodeState('two.test', 'closed', [host('127.0.0.1', 'closed'), host('::1', 'closed')]).message, 'two.test: closed (worst of 2 hosts)');
    const open = domainNodeState('two.test', 'open', [host('127.0.0.1', 'closed'), host('::1', 'open')]);
    assert.deepEqual(open, { state: 'failed', message: 'two.test: OPEN RELAY (worst of 2 hosts): ::1 relays' });
    const unreachable = domainNodeState('two.test', 'inconclusive', [host('127.0.0.1', 'closed'), host(null, 'error', 'no address')]);
    assert.equal(unreachable.state, 'errored');
    assert.match(unreachable.message, /mx\.none could not be tested, so the domain cannot be called closed/);
  });
});
