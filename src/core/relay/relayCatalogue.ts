import { addressLiteralFor } from '../protocol/mailAddress';
import type { RelayTestAddresses, RelayTestDefinition, RelayTestParameters } from './relayTypes';

/**
 * Every relay test the product runs: the positive control, the seven tests of KB 304897, and the
 * extended variants of the nmap / Metasploit lists (relay-reference.md) that are not already a KB test.
 *
 * Letters as in the reference: L = localUser, LD = the first local domain, R = remoteUser,
 * RD = remoteDomain, IP = the server address as an address literal, S = the server name.
 * The extended tests use localUser as the sender's local part (the nmap "F") and remoteUser as the
 * recipient's (the nmap "T").
 */

interface AddressBuilder {
  form: RelayTestParameters['addressForm'];
  /** L, LD, R, RD, [IP], S. */
  localUser: string;
  localDomain: string;
  remoteUser: string;
  remoteDomain: string;
  ipLiteral: string;
  serverName: string;
}

function builderFor(parameters: RelayTestParameters): AddressBuilder {
  const ipLiteral = addressLiteralFor(parameters.serverAddress);
  return {
    form: parameters.addressForm,
    localUser: parameters.localUser,
    // Without a configured or inferred domain, the server's own address is the only name we know it by.
    localDomain: parameters.localDomains[0] ?? ipLiteral,
    remoteUser: parameters.remoteUser,
    remoteDomain: parameters.remoteDomain,
    ipLiteral,
    // Without a name from the banner, the local domain is the name the server most likely answers to.
    serverName: parameters.serverName ?? parameters.localDomains[0] ?? ipLiteral,
  };
}

/** RFC 5321 wants <...>; the KB types addresses bare. The null sender is "<>" in both. */
function written(address: string, form: AddressBuilder['form']): string {
  if (address === '') {
    return '<>';
  }
  return form === 'bare' ? address : `<${address}>`;
}

/** A definition as written in this file: the addresses without angle brackets ("" is the null sender). */
type TestSpec = Omit<RelayTestDefinition, 'build'> & {
  addresses(a: AddressBuilder): RelayTestAddresses;
};

function define(spec: TestSpec): RelayTestDefinition {
  const { addresses, ...described } = spec;
  return {
    ...described,
    build(parameters: RelayTestParameters): RelayTestAddresses {
      const builder = builderFor(parameters);
      const { mailFrom, rcptTo } = addresses(builder);
      return { mailFrom: written(mailFrom, builder.form), rcptTo: written(rcptTo, builder.form) };
    },
  };
}

const rejectsAtRcpt = 'rejects at RCPT (KB: 550 5.7.1 Unable to relay)';
const acceptsForLocalDelivery = 'accepts for local delivery (often appending its domain), relays nothing, and sends an NDR later';
const rejectsOrKeepsLocal = 'rejects the address, or accepts it for local delivery only and sends an NDR later';

const control: RelayTestDefinition = define({
  id: 'control',
  group: 'control',
  title: 'Control: remote sender to a local user',
  probes:
    'Mail to a local mailbox, as any sender on the Internet would send it. A working server must accept it; ' +
    'if it does not, rejections in the other tests prove nothing (blocklist, wrong port, authentication).',
  closedServerAnswers: 'accepts (250): this is ordinary inbound mail',
  closedServerAccepts: true,
  addresses: (a) => ({ mailFrom: `${a.remoteUser}@${a.remoteDomain}`, rcptTo: `${a.localUser}@${a.localDomain}` }),
});

const kbTests: RelayTestDefinition[] = [
  define({
    id: 'kb1',
    group: 'kb',
    title: 'KB test 1: remote sender to remote recipient',
    probes: 'The standard relay attempt: neither sender nor recipient belongs to the server.',
    closedServerAnswers: rejectsAtRcpt,
    closedServerAccepts: false,
    addresses: (a) => ({ mailFrom: `${a.localUser}@${a.remoteDomain}`, rcptTo: `${a.remoteUser}@${a.remoteDomain}` }),
  }),
  define({
    id: 'kb2',
    group: 'kb',
    title: 'KB test 2: local user (no domain) to remote recipient',
    probes: 'A sender without a domain, which the server completes with its own: a local sender must not open the relay.',
    closedServerAnswers: rejectsAtRcpt,
    closedServerAccepts: false,
    addresses: (a) => ({ mailFrom: a.localUser, rcptTo: `${a.remoteUser}@${a.remoteDomain}` }),
  }),
  define({
    id: 'kb3',
    group: 'kb',
    title: 'KB test 3: null sender to remote recipient',
    probes: 'The null reverse-path that NDRs use: notifications must not be relayed to a remote domain either.',
    closedServerAnswers: rejectsAtRcpt,
    closedServerAccepts: false,
    addresses: (a) => ({ mailFrom: '', rcptTo: `${a.remoteUser}@${a.remoteDomain}` }),
  }),
  define({
    id: 'kb4',
    group: 'kb',
    title: 'KB test 4: local sender with the local domain to remote recipient',
    probes:
      'Test 2 with the local domain written out in the sender. (The KB prints a local recipient here; that ' +
      'reading is the control test instead.)',
    closedServerAnswers: rejectsAtRcpt,
    closedServerAccepts: false,
    addresses: (a) => ({ mailFrom: `${a.localUser}@${a.localDomain}`, rcptTo: `${a.remoteUser}@${a.remoteDomain}` }),
  }),
  define({
    id: 'kb5',
    group: 'kb',
    title: "KB test 5: sender at the server's IP literal to remote recipient",
    probes: "A sender at the server's own address literal: an address the server owns must not open the relay.",
    closedServerAnswers: rejectsAtRcpt,
    closedServerAccepts: false,
    addresses: (a) => ({ mailFrom: `${a.localUser}@${a.ipLiteral}`, rcptTo: `${a.remoteUser}@${a.remoteDomain}` }),
  }),
  define({
    id: 'kb6',
    group: 'kb',
    title: 'KB test 6: percent hack (R%RD)',
    probes:
      'The % hack of older UNIX servers: the local part names the remote domain and the server appends its own. ' +
      'A closed server delivers locally and sends an NDR; a vulnerable one forwards to the remote domain.',
    closedServerAnswers: acceptsForLocalDelivery,
    closedServerAccepts: true,
    addresses: (a) => ({ mailFrom: a.localUser, rcptTo: `${a.remoteUser}%${a.remoteDomain}` }),
  }),
  define({
    id: 'kb7',
    group: 'kb',
    title: 'KB test 7: quoted local part with @ ("R@RD")',
    probes:
      'A quoted local part that holds a whole remote address. A closed server appends its own domain, ' +
      'delivers locally and sends an NDR; a vulnerable one forwards to the remote domain.',
    closedServerAnswers: acceptsForLocalDelivery,
    closedServerAccepts: true,
    addresses: (a) => ({ mailFrom: a.localUser, rcptTo: `"${a.remoteUser}@${a.remoteDomain}"` }),
  }),
];

/** A local part no real mailbox has, for the harvest probe. */
const unknownLocalPart = 'relay-lab-no-such-user';

/** Senders of the extended list: nmap and Metasploit send F@[IP] for everything after their fourth test. */
const fromIpLiteral = (a: AddressBuilder): string => `${a.localUser}@${a.ipLiteral}`;

const extendedTests: RelayTestDefinition[] = [
  define({
    id: 'x-server-name-sender',
    group: 'extended',
    title: "Sender at the server's own name to remote recipient",
    probes: 'A sender at the host name from the banner: the name of the server must not open the relay.',
    closedServerAnswers: rejectsAtRcpt,
    closedServerAccepts: false,
    addresses: (a) => ({ mailFrom: `${a.localUser}@${a.serverName}`, rcptTo: `${a.remoteUser}@${a.remoteDomain}` }),
  }),
  define({
    id: 'x-localhost-sender',
    group: 'extended',
    title: 'Sender at localhost to remote recipient',
    probes: 'A sender at "localhost", which KB 304897 names next to test 5: it must not open the relay.',
    closedServerAnswers: rejectsAtRcpt,
    closedServerAccepts: false,
    addresses: (a) => ({ mailFrom: `${a.localUser}@localhost`, rcptTo: `${a.remoteUser}@${a.remoteDomain}` }),
  }),
  define({
    id: 'x-percent-ip-literal',
    group: 'extended',
    title: 'Percent hack at the IP literal (R%RD@[IP])',
    probes: 'The % hack addressed to the server by its address literal.',
    closedServerAnswers: rejectsOrKeepsLocal,
    closedServerAccepts: true,
    addresses: (a) => ({ mailFrom: fromIpLiteral(a), rcptTo: `${a.remoteUser}%${a.remoteDomain}@${a.ipLiteral}` }),
  }),
  define({
    id: 'x-percent-server-name',
    group: 'extended',
    title: 'Percent hack at the server name (R%RD@S)',
    probes: 'The % hack addressed to the server by its host name.',
    closedServerAnswers: rejectsOrKeepsLocal,
    closedServerAccepts: true,
    addresses: (a) => ({ mailFrom: fromIpLiteral(a), rcptTo: `${a.remoteUser}%${a.remoteDomain}@${a.serverName}` }),
  }),
  define({
    id: 'x-quoted-ip-sender',
    group: 'extended',
    title: 'Quoted local part with @ ("R@RD"), sender at the IP literal',
    probes: 'KB test 7 with the sender at the server address literal, as nmap sends it.',
    closedServerAnswers: rejectsOrKeepsLocal,
    closedServerAccepts: true,
    addresses: (a) => ({ mailFrom: fromIpLiteral(a), rcptTo: `"${a.remoteUser}@${a.remoteDomain}"` }),
  }),
  define({
    id: 'x-quoted-percent',
    group: 'extended',
    title: 'Quoted percent hack ("R%RD")',
    probes: 'The % hack inside a quoted local part.',
    closedServerAnswers: rejectsOrKeepsLocal,
    closedServerAccepts: true,
    addresses: (a) => ({ mailFrom: fromIpLiteral(a), rcptTo: `"${a.remoteUser}%${a.remoteDomain}"` }),
  }),
  define({
    id: 'x-double-at-ip-literal',
    group: 'extended',
    title: 'Double @ at the IP literal (R@RD@[IP])',
    probes: 'An unquoted "@" in the local part: a server that splits at the first "@" would route to RD.',
    closedServerAnswers: rejectsOrKeepsLocal,
    closedServerAccepts: true,
    addresses: (a) => ({ mailFrom: fromIpLiteral(a), rcptTo: `${a.remoteUser}@${a.remoteDomain}@${a.ipLiteral}` }),
  }),
  define({
    id: 'x-quoted-ip-literal',
    group: 'extended',
    title: 'Quoted local part with @ at the IP literal ("R@RD"@[IP])',
    probes: 'KB test 7 with the server address literal written out as the domain.',
    closedServerAnswers: rejectsOrKeepsLocal,
    closedServerAccepts: true,
    addresses: (a) => ({ mailFrom: fromIpLiteral(a), rcptTo: `"${a.remoteUser}@${a.remoteDomain}"@${a.ipLiteral}` }),
  }),
  define({
    id: 'x-double-at-server-name',
    group: 'extended',
    title: 'Double @ at the server name (R@RD@S)',
    probes: 'An unquoted "@" in the local part, addressed to the server by its host name.',
    closedServerAnswers: rejectsOrKeepsLocal,
    closedServerAccepts: true,
    addresses: (a) => ({ mailFrom: fromIpLiteral(a), rcptTo: `${a.remoteUser}@${a.remoteDomain}@${a.serverName}` }),
  }),
  define({
    id: 'x-source-route-ip-literal',
    group: 'extended',
    title: 'Source route via the IP literal (@[IP]:R@RD)',
    probes: 'An RFC 821 source route through the server to a remote mailbox; RFC 5321 says to ignore the route, so acceptance is relay.',
    closedServerAnswers: rejectsAtRcpt,
    closedServerAccepts: false,
    addresses: (a) => ({ mailFrom: fromIpLiteral(a), rcptTo: `@${a.ipLiteral}:${a.remoteUser}@${a.remoteDomain}` }),
  }),
  define({
    id: 'x-source-route-server-name',
    group: 'extended',
    title: 'Source route via the server name (@S:R@RD)',
    probes: 'An RFC 821 source route through the server, by host name, to a remote mailbox.',
    closedServerAnswers: rejectsAtRcpt,
    closedServerAccepts: false,
    addresses: (a) => ({ mailFrom: fromIpLiteral(a), rcptTo: `@${a.serverName}:${a.remoteUser}@${a.remoteDomain}` }),
  }),
  define({
    id: 'x-bang-path',
    group: 'extended',
    title: 'UUCP bang path (RD!R)',
    probes: 'A UUCP bang path with no domain: the server appends its own, and must not forward to RD.',
    closedServerAnswers: rejectsOrKeepsLocal,
    closedServerAccepts: true,
    addresses: (a) => ({ mailFrom: fromIpLiteral(a), rcptTo: `${a.remoteDomain}!${a.remoteUser}` }),
  }),
  define({
    id: 'x-bang-path-ip-literal',
    group: 'extended',
    title: 'Bang path at the IP literal (RD!R@[IP])',
    probes: 'A UUCP bang path addressed to the server by its address literal.',
    closedServerAnswers: rejectsOrKeepsLocal,
    closedServerAccepts: true,
    addresses: (a) => ({ mailFrom: fromIpLiteral(a), rcptTo: `${a.remoteDomain}!${a.remoteUser}@${a.ipLiteral}` }),
  }),
  define({
    id: 'x-bang-path-server-name',
    group: 'extended',
    title: 'Bang path at the server name (RD!R@S)',
    probes: 'A UUCP bang path addressed to the server by its host name.',
    closedServerAnswers: rejectsOrKeepsLocal,
    closedServerAccepts: true,
    addresses: (a) => ({ mailFrom: fromIpLiteral(a), rcptTo: `${a.remoteDomain}!${a.remoteUser}@${a.serverName}` }),
  }),
  define({
    id: 'x-unknown-local-user',
    group: 'extended',
    title: 'Unknown user at the local domain (directory harvest probe)',
    probes:
      'Not a relay attempt: a local recipient that does not exist. Refusing it with 550 5.1.1 at RCPT tells an ' +
      'attacker which addresses exist; KB 304897 prefers accepting it and sending an NDR, or a tarpit.',
    closedServerAnswers: 'accepts it and sends an NDR later, or refuses it (550 5.1.1, the harvest signal)',
    closedServerAccepts: true,
    addresses: (a) => ({ mailFrom: `${a.remoteUser}@${a.remoteDomain}`, rcptTo: `${unknownLocalPart}@${a.localDomain}` }),
  }),
];

/** In run order: the control first, then the KB tests, then the extended ones. */
export const relayCatalogue: readonly RelayTestDefinition[] = [control, ...kbTests, ...extendedTests];

export const controlTestId = 'control';

export function findRelayTest(id: string): RelayTestDefinition | undefined {
  const wanted = id.trim().toLowerCase();
  return relayCatalogue.find((test) => test.id === wanted);
}

/** An id list naming a test the catalogue does not have. */
export class UnknownRelayTestError extends Error {
  constructor(readonly unknownIds: string[]) {
    super(
      `unknown relay test${unknownIds.length > 1 ? 's' : ''}: ${unknownIds.join(', ')} ` +
        `(known: kb, extended, all, or ids among ${relayCatalogue.map((test) => test.id).join(', ')})`,
    );
    this.name = 'UnknownRelayTestError';
  }
}

/**
 * The tests a selection names: "kb" (the control and KB tests 1-7), "extended" (the control and the
 * x- variants), "all", or a comma-separated id list ("control,kb6"). Duplicates are dropped and the
 * control, when selected, comes first. Unknown ids throw UnknownRelayTestError.
 */
export function selectRelayTests(selection: string): RelayTestDefinition[] {
  const words = selection
    .split(',')
    .map((word) => word.trim().toLowerCase())
    .filter((word) => word.length > 0);
  const chosen: RelayTestDefinition[] = [];
  const unknown: string[] = [];
  const choose = (test: RelayTestDefinition): void => {
    if (!chosen.includes(test)) {
      chosen.push(test);
    }
  };
  for (const word of words) {
    if (word === 'all') {
      relayCatalogue.forEach(choose);
    } else if (word === 'kb') {
      relayCatalogue.filter((test) => test.group !== 'extended').forEach(choose);
    } else if (word === 'extended') {
      relayCatalogue.filter((test) => test.group !== 'kb').forEach(choose);
    } else {
      const test = findRelayTest(word);
      if (test) {
        choose(test);
      } else {
        unknown.push(word);
      }
    }
  }
  if (unknown.length > 0) {
    throw new UnknownRelayTestError(unknown);
  }
  return [...chosen.filter((test) => test.group === 'control'), ...chosen.filter((test) => test.group !== 'control')];
}
