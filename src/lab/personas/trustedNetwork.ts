import net from 'node:net';
import type { Persona } from '../persona';
import { reply } from '../persona';
import { envelopeSender, isKnownUser } from '../site';
import { postfixStyleReplies, routeLikeUnixMta } from '../unixRouting';

/**
 * A Postfix whose mynetworks is loopback (127.0.0.0/8, [::1]/128): it relays for its own network and
 * refuses everyone else with `554 5.7.1 Relay access denied` (permit_mynetworks, reject_unauth_destination).
 * It offers XCLIENT to loopback, as Postfix does to smtpd_authorized_xclient_hosts, so a tester on
 * loopback reads OPEN (the trust, not the policy) and, as an outside client (XCLIENT ADDR=203.0.113.9),
 * reads CLOSED. What it would relay goes to the outbox; nothing leaves the machine.
 */
export const trustedNetworkPersona: Persona = {
  name: 'trusted-network',
  summary:
    'Postfix with mynetworks = loopback: relays for 127.0.0.0/8 and ::1, 554 5.7.1 Relay access denied for other clients; offers XCLIENT to loopback, so testing as an outside client (--as-client, asClient, /xclient) reads closed',
  features: { enhancedStatusCodes: true, pipelining: true, eightBitMime: true, smtpUtf8: true, maxMessageSize: 10_240_000 },
  replies: postfixStyleReplies,
  banner: (site) => `${site.serverName} ESMTP Postfix`,
  heloResponse: '%s',
  queuedText: (queueId) => `Ok: queued as ${queueId}`,
  xclientHosts: ['127.0.0.1', '::1'],
  mailFrom: (path, site) => ({ reply: reply(250, '2.1.0 Ok'), acceptedAddress: envelopeSender(path, site) }),
  rcptTo(path, site, client) {
    if (path.isNull) {
      return { reply: trustedNetworkPersona.replies.recipientSyntax };
    }
    const route = routeLikeUnixMta(path, site);
    const address = `${route.user}@${route.domain}`;
    if (route.kind === 'remote') {
      return inMyNetworks(client?.address)
        ? { reply: reply(250, '2.1.5 Ok'), accepted: { address, fate: { kind: 'relay' } } }
        : { reply: reply(554, `5.7.1 <${path.text}>: Relay access denied`) };
    }
    if (!isKnownUser(route.user, site)) {
      return { reply: reply(550, `5.1.1 <${path.text}>: Recipient address rejected: User unknown in local recipient table`) };
    }
    return { reply: reply(250, '2.1.5 Ok'), accepted: { address, fate: { kind: 'deliver' } } };
  },
};

/** mynetworks = 127.0.0.0/8 [::1]/128; an IPv4-mapped IPv6 address is judged by its IPv4 form. */
const myNetworks = new net.BlockList();
myNetworks.addSubnet('127.0.0.0', 8, 'ipv4');
myNetworks.addAddress('::1', 'ipv6');

export function inMyNetworks(address: string | undefined): boolean {
  if (address === undefined) {
    return false;
  }
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  const family = net.isIP(plain);
  return family !== 0 && myNetworks.check(plain, family === 4 ? 'ipv4' : 'ipv6');
}
