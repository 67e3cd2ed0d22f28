import { mailboxWithDomain, type MailPath } from '../mailPath';
import type { Persona, RecipientDecision, SenderDecision } from '../persona';
import { reply } from '../persona';
import { isKnownUser, isLocalDestination, primaryDomain, type LabSite } from '../site';

/**
 * Exchange 2000/2003 and the IIS SMTP service as KB 304897 describes them: only the recipient's
 * domain is checked at RCPT, bare names get the local domain appended, and a local address that
 * does not resolve (R%RD@LD, "R@RD"@LD) is accepted and answered later with an NDR.
 */
export const exchangePersona: Persona = {
  name: 'exchange',
  summary: 'Exchange 2000/2003 as in KB 304897: checks only the domain at RCPT, accepts tests 6 and 7, then sends an NDR',
  features: { enhancedStatusCodes: true, pipelining: true, eightBitMime: true, smtpUtf8: false, maxMessageSize: 10_485_760 },
  replies: {
    reset: reply(250, '2.0.0 Resetting'),
    senderSyntax: reply(501, '5.5.4 Invalid Address'),
    recipientSyntax: reply(501, '5.5.4 Invalid Address'),
    needMail: reply(503, '5.5.2 Need mail command'),
    nestedMail: reply(503, '5.5.2 Sender already specified'),
  },
  banner: (site) => `${site.serverName} Microsoft ESMTP MAIL Service ready`,
  heloResponse: '%s Hello %s',
  queuedText: (queueId, site) => `<${queueId}@${site.serverName}> Queued mail for delivery`,
  mailFrom: exchangeSender,
  rcptTo: (path, site) => exchangeRecipient(path, site, { directoryLookup: false }),
};

export function exchangeSender(path: MailPath, site: LabSite): SenderDecision {
  if (path.isNull) {
    return { reply: reply(250, '2.1.0 <>....Sender OK'), acceptedAddress: '' };
  }
  const address = withLocalDomain(path, site);
  return { reply: reply(250, `2.1.0 ${address}....Sender OK`), acceptedAddress: address };
}

/**
 * With `directoryLookup` (Exchange 2003 recipient filtering) an unknown local recipient is refused
 * at RCPT with 5.1.1, which is exactly the harvest signal the KB warns about.
 */
export function exchangeRecipient(path: MailPath, site: LabSite, options: { directoryLookup: boolean }): RecipientDecision {
  if (path.isNull) {
    return { reply: exchangePersona.replies.recipientSyntax };
  }
  const address = withLocalDomain(path, site);
  const domain = path.domain ?? primaryDomain(site);
  if (!isLocalDestination(domain, site)) {
    return { reply: reply(550, `5.7.1 Unable to relay for ${address}`) };
  }
  if (isKnownUser(path.localPart, site)) {
    return { reply: reply(250, `2.1.5 ${address}`), accepted: { address, fate: { kind: 'deliver' } } };
  }
  if (options.directoryLookup) {
    return { reply: reply(550, '5.1.1 User unknown') };
  }
  const diagnostic = `smtp; 550 5.1.1 ${address}: the recipient does not resolve to a mailbox in the directory`;
  return {
    reply: reply(250, `2.1.5 ${address}`),
    accepted: { address, fate: { kind: 'bounce', status: '5.1.1', diagnostic } },
  };
}

/** The KB: "Some Microsoft SMTP products append the local domain" to an address without one. */
function withLocalDomain(path: MailPath, site: LabSite): string {
  return mailboxWithDomain(path, primaryDomain(site));
}
