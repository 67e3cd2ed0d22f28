import type { MailPath } from './mailPath';
import { reply, type PersonaReplies } from './persona';
import { isLocalDestination, primaryDomain, unquoteLocalPart, type LabSite } from './site';

/** Where a Unix MTA (Postfix, Sendmail) sends a recipient once it has read every routing operator in it. */
export type MailRoute = { kind: 'local'; user: string; domain: string } | { kind: 'remote'; user: string; domain: string };

/**
 * Resolves a recipient the way Postfix does with its defaults (and Sendmail much the same): the source
 * route is dropped, quotes are looked inside (resolve_dequoted_address), and while the domain is ours
 * and the local part still holds "@", "!" or "%", the domain is stripped and the inner address is
 * read again: `user@remote@us` -> `user@remote`, `remote!user` -> `user@remote` (swap_bangpath),
 * `user%remote@us` -> `user@remote` (allow_percent_hack). This is why such servers turn the KB's
 * tests 6 and 7 into relay attempts and refuse them at RCPT, where Exchange accepts and bounces.
 */
export function routeLikeUnixMta(path: MailPath, site: LabSite): MailRoute {
  let localPart = unquoteLocalPart(path.localPart);
  let domain = path.domain;
  // Each pass removes at least one operator, so the loop ends; the bound guards odd input anyway.
  for (let pass = 0; pass < 32; pass++) {
    if (domain !== undefined && !isLocalDestination(domain, site)) {
      return { kind: 'remote', user: localPart, domain };
    }
    const at = localPart.lastIndexOf('@');
    if (at > 0 && at < localPart.length - 1) {
      domain = localPart.slice(at + 1);
      localPart = localPart.slice(0, at);
      continue;
    }
    const bang = localPart.indexOf('!');
    if (bang > 0 && bang < localPart.length - 1) {
      domain = localPart.slice(0, bang);
      localPart = localPart.slice(bang + 1);
      continue;
    }
    const percent = localPart.lastIndexOf('%');
    if (percent > 0 && percent < localPart.length - 1) {
      domain = localPart.slice(percent + 1);
      localPart = localPart.slice(0, percent);
      continue;
    }
    break;
  }
  return { kind: 'local', user: localPart, domain: domain ?? primaryDomain(site) };
}

/** The fixed replies Postfix gives (and the open persona, a misconfigured Postfix, shares). */
export const postfixStyleReplies: PersonaReplies = {
  reset: reply(250, '2.0.0 Ok'),
  senderSyntax: reply(501, '5.1.7 Bad sender address syntax'),
  recipientSyntax: reply(501, '5.1.3 Bad recipient address syntax'),
  needMail: reply(503, '5.5.1 Error: need MAIL command'),
  nestedMail: reply(503, '5.5.1 Error: nested MAIL command'),
};
