import type { Persona } from '../persona';
import { reply } from '../persona';
import { envelopeSender, isKnownUser } from '../site';
import { postfixStyleReplies, routeLikeUnixMta } from '../unixRouting';

/**
 * Postfix with its defaults for a client outside mynetworks: defer_unauth_destination answers a relay
 * attempt with 454 4.7.1, local_recipient_maps refuses unknown users at RCPT, and the percent hack,
 * quoted and bang forms are resolved first (see unixRouting.ts), so they are refused as relay attempts.
 */
export const postfixPersona: Persona = {
  name: 'postfix',
  summary: 'Postfix, closed: 454 4.7.1 Relay access denied, unknown local users refused at RCPT with 550 5.1.1',
  features: { enhancedStatusCodes: true, pipelining: true, eightBitMime: true, smtpUtf8: true, maxMessageSize: 10_240_000 },
  replies: postfixStyleReplies,
  banner: (site) => `${site.serverName} ESMTP Postfix`,
  heloResponse: '%s',
  queuedText: (queueId) => `Ok: queued as ${queueId}`,
  mailFrom: (path, site) => ({ reply: reply(250, '2.1.0 Ok'), acceptedAddress: envelopeSender(path, site) }),
  rcptTo(path, site) {
    if (path.isNull) {
      return { reply: postfixPersona.replies.recipientSyntax };
    }
    const route = routeLikeUnixMta(path, site);
    if (route.kind === 'remote') {
      return { reply: reply(454, `4.7.1 <${path.text}>: Relay access denied`) };
    }
    if (!isKnownUser(route.user, site)) {
      return { reply: reply(550, `5.1.1 <${path.text}>: Recipient address rejected: User unknown in local recipient table`) };
    }
    return { reply: reply(250, '2.1.5 Ok'), accepted: { address: `${route.user}@${route.domain}`, fate: { kind: 'deliver' } } };
  },
};
