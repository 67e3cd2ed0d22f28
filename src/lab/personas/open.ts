import type { Persona } from '../persona';
import { reply } from '../persona';
import { envelopeSender, isKnownUser } from '../site';
import { postfixStyleReplies, routeLikeUnixMta } from '../unixRouting';

/**
 * A misconfigured open relay: every syntactically valid recipient is accepted. What it would forward
 * to other domains is written to the outbox as "would-relay"; nothing ever leaves the machine.
 */
export const openPersona: Persona = {
  name: 'open',
  summary: 'An open relay: accepts every recipient; what it WOULD relay goes to the outbox, nothing leaves the machine',
  features: { enhancedStatusCodes: true, pipelining: true, eightBitMime: true, smtpUtf8: false, maxMessageSize: 10_485_760 },
  replies: postfixStyleReplies,
  banner: (site) => `${site.serverName} ESMTP ready`,
  heloResponse: '%s Hello %s',
  queuedText: (queueId) => `Ok: queued as ${queueId}`,
  mailFrom: (path, site) => ({ reply: reply(250, '2.1.0 Ok'), acceptedAddress: envelopeSender(path, site) }),
  rcptTo(path, site) {
    if (path.isNull) {
      return { reply: openPersona.replies.recipientSyntax };
    }
    const route = routeLikeUnixMta(path, site);
    const address = `${route.user}@${route.domain}`;
    if (route.kind === 'remote') {
      return { reply: reply(250, '2.1.5 Ok'), accepted: { address, fate: { kind: 'relay' } } };
    }
    if (isKnownUser(route.user, site)) {
      return { reply: reply(250, '2.1.5 Ok'), accepted: { address, fate: { kind: 'deliver' } } };
    }
    const diagnostic = `smtp; 550 5.1.1 <${address}>: no such mailbox here`;
    return { reply: reply(250, '2.1.5 Ok'), accepted: { address, fate: { kind: 'bounce', status: '5.1.1', diagnostic } } };
  },
};
