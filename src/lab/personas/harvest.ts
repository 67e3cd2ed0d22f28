import type { Persona } from '../persona';
import { reply } from '../persona';
import { envelopeSender, isKnownUser } from '../site';
import { routeLikeUnixMta } from '../unixRouting';

/**
 * A Sendmail-style server, closed for relay, that looks every recipient up at RCPT and says so:
 * "550 5.1.1 <addr>... User unknown". That answer is RFC-compliant, and it is the directory-harvest
 * risk the KB describes: a dictionary of names run through RCPT yields the list of real mailboxes.
 */
export const harvestPersona: Persona = {
  name: 'harvest',
  summary: 'Sendmail-style, closed for relay, but reveals mailboxes: 550 5.1.1 <addr>... User unknown (the KB harvest risk)',
  features: { enhancedStatusCodes: true, pipelining: true, eightBitMime: true, smtpUtf8: false, maxMessageSize: 10_485_760 },
  replies: {
    reset: reply(250, '2.0.0 Reset state'),
    senderSyntax: reply(553, '5.1.7 Sender address syntax error'),
    recipientSyntax: reply(553, '5.1.3 Recipient address syntax error'),
    needMail: reply(503, '5.0.0 Need MAIL before RCPT'),
    nestedMail: reply(503, '5.5.0 Sender already specified'),
  },
  banner: (site) => `${site.serverName} ESMTP Sendmail 8.17.1/8.17.1 ready`,
  heloResponse: '%s Hello %s, pleased to meet you',
  queuedText: (queueId) => `${queueId} Message accepted for delivery`,
  mailFrom: (path, site) => ({ reply: reply(250, `2.1.0 <${path.text}>... Sender ok`), acceptedAddress: envelopeSender(path, site) }),
  rcptTo(path, site) {
    if (path.isNull) {
      return { reply: harvestPersona.replies.recipientSyntax };
    }
    const route = routeLikeUnixMta(path, site);
    if (route.kind === 'remote') {
      return { reply: reply(550, `5.7.1 <${path.text}>... Relaying denied`) };
    }
    if (!isKnownUser(route.user, site)) {
      return { reply: reply(550, `5.1.1 <${path.text}>... User unknown`) };
    }
    const address = `${route.user}@${route.domain}`;
    return { reply: reply(250, `2.1.5 <${path.text}>... Recipient ok`), accepted: { address, fate: { kind: 'deliver' } } };
  },
};
