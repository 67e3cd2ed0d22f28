import net from 'node:net';

/**
 * Where the tester stands, as the server sees it. A relay test run from loopback, a private network or
 * the server's own subnet is judged by the server as a trusted client (Postfix's mynetworks defaults to
 * the subnets it is attached to), so an "open" verdict from there may only show that trust. The
 * warnings say so as facts about the address, not as a "may".
 */

export type AddressKind = 'loopback' | 'private' | 'link-local' | 'unique-local' | 'shared' | 'public' | 'unknown';

export interface ClientPosition {
  /** The address the connection left from (the simulated one with XCLIENT is `asClient`). */
  localAddress?: string;
  /** The address the server judges: asClient when given, else localAddress. */
  judgedAddress?: string;
  asClient?: string;
  kind: AddressKind;
  /** Same /24 (IPv4) or /64 (IPv6) as the server. */
  sameSubnet: boolean;
  warnings: string[];
}

/** Strips the IPv4-mapped prefix (::ffff:192.0.2.1) Node reports on dual-stack sockets. */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address;
}

function ipv4Octets(address: string): number[] | undefined {
  if (net.isIPv4(address)) {
    return address.split('.').map(Number);
  }
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address. */
function ipv6Groups(address: string): number[] | undefined {
  if (!net.isIPv6(address)) {
    return undefined;
  }
  let text = address.split('%')[0];
  const embedded = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (embedded) {
    const [a, b, c, d] = embedded[1].split('.').map(Number);
    text = text.slice(0, -embedded[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups].map((group) => Number.parseInt(group, 16));
  return groups.length === 8 ? groups : undefined;
}

export function classifyAddress(address: string): AddressKind {
  const plain = plainAddress(address);
  const v4 = ipv4Octets(plain);
  if (v4) {
    const [a, b] = v4;
    if (a === 127) return 'loopback';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
    if (a === 169 && b === 254) return 'link-local';
    if (a === 100 && b >= 64 && b <= 127) return 'shared';
    return 'public';
  }
  const v6 = ipv6Groups(plain);
  if (v6) {
    if (v6.slice(0, 7).every((group) => group === 0) && v6[7] === 1) return 'loopback';
    if ((v6[0] & 0xffc0) === 0xfe80) return 'link-local';
    if ((v6[0] & 0xfe00) === 0xfc00) return 'unique-local';
    return 'public';
  }
  return 'unknown';
}

/** Same /24 for IPv4, same /64 for IPv6. */
export function sameSubnet(first: string, second: string): boolean {
  const a4 = ipv4Octets(plainAddress(first));
  const b4 = ipv4Octets(plainAddress(second));
  if (a4 && b4) {
    return a4[0] === b4[0] && a4[1] === b4[1] && a4[2] === b4[2];
  }
  const a6 = ipv6Groups(plainAddress(first));
  const b6 = ipv6Groups(plainAddress(second));
  if (a6 && b6) {
    return a6.slice(0, 4).every((group, index) => group === b6[index]);
  }
  return false;
}

const kindWords: Record<Exclude<AddressKind, 'public' | 'unknown'>, string> = {
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  'link-local': 'a link-local address',
  'unique-local': 'an IPv6 unique local address (ULA, fc00::/7)',
  shared: 'a shared address space (RFC 6598, carrier-grade NAT) address',
};

/**
 * The tester's position and the warnings it calls for. `asClient` is the address given with XCLIENT:
 * the server judges that one, so the warnings are about it (the connection's own address is still
 * reported).
 */
export function describeClientPosition(input: { localAddress?: string; serverAddress?: string; asClient?: string }): ClientPosition {
  const localAddress = input.localAddress === undefined ? undefined : plainAddress(input.localAddress);
  const judged = input.asClient ?? localAddress;
  const position: ClientPosition = {
    ...(localAddress === undefined ? {} : { localAddress }),
    ...(judged === undefined ? {} : { judgedAddress: judged }),
    ...(input.asClient === undefined ? {} : { asClient: input.asClient }),
    kind: judged === undefined ? 'unknown' : classifyAddress(judged),
    sameSubnet: false,
    warnings: [],
  };
  if (judged === undefined) {
    return position;
  }
  const who = input.asClient === undefined ? `The test ran from ${judged}` : `The server judged the tests as client ${judged} (XCLIENT)`;
  if (position.kind !== 'public' && position.kind !== 'unknown') {
    position.warnings.push(
      `${who}, ${kindWords[position.kind]}: servers commonly trust such clients (Postfix mynetworks, Exchange's internal connectors), ` +
        'so what they accepted here is not what they accept from the Internet.',
    );
  }
  const server = input.serverAddress === undefined ? undefined : plainAddress(input.serverAddress);
  if (server !== undefined && judged !== server && sameSubnet(judged, server)) {
    position.sameSubnet = true;
    const size = net.isIPv4(judged) ? '/24' : '/64';
    position.warnings.push(
      `${who}, in the same ${size} as the server (${server}): Postfix's default mynetworks_style (subnet) trusts that network.`,
    );
  }
  return position;
}

/** What an open verdict from a trusted-looking place says in addition. */
export const openFromTrustedPlaceWarning =
  'The server was found open from a place it may trust: the result may only show that trust. Repeat the test from outside, ' +
  'or as an outside client with XCLIENT (--as-client IP), before calling it an open relay.';
