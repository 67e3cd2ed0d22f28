import net from 'node:net';
import { SmtpError } from '../protocol/errors';
import type { SmtpReply } from '../protocol/reply';
import type { SmtpSession } from '../protocol/session';

/**
 * Testing as an outside client through XCLIENT (Postfix's XCLIENT_README; swaks --xclient-addr). Postfix
 * offers XCLIENT to the hosts in smtpd_authorized_xclient_hosts so that access rules can be tested: after
 * `XCLIENT ADDR=<ip> NAME=[UNAVAILABLE]` it greets again (220) and judges every later command as if it
 * came from <ip>. The tester can then sit inside mynetworks and still see what a stranger gets.
 */

/** The server did not offer XCLIENT, or refused it: the run cannot test as the other client. */
export class XclientError extends SmtpError {
  constructor(
    message: string,
    readonly reply?: SmtpReply,
  ) {
    super('protocol', message);
    this.name = 'XclientError';
  }
}

const authorisationHint = 'Postfix offers XCLIENT only to clients listed in smtpd_authorized_xclient_hosts';

/** The ADDR attribute for an IP: Postfix wants IPv6 addresses as IPV6:2001:db8::1. Throws for a non-IP. */
export function xclientAddress(ip: string): string {
  const version = net.isIP(ip);
  if (version === 0) {
    throw new XclientError(`XCLIENT needs an IP address to test as, not "${ip.slice(0, 80)}"`);
  }
  return version === 6 ? `IPV6:${ip}` : ip;
}

export interface XclientResult {
  /** The 220 the server sent after XCLIENT. */
  greeting: SmtpReply;
  /** The reply to the EHLO that follows it. */
  ehloReply: SmtpReply;
}

/**
 * After EHLO: XCLIENT ADDR=<ip> NAME=[UNAVAILABLE], the new 220, EHLO again. Rejects with XclientError
 * when the EHLO reply did not offer XCLIENT (nothing is sent then) or the server answered anything but 220.
 */
export async function becomeClient(session: SmtpSession, ip: string, heloName: string): Promise<XclientResult> {
  const address = xclientAddress(ip);
  const offered = session.capabilities?.keywords.get('XCLIENT');
  if (offered === undefined) {
    throw new XclientError(`the server does not offer XCLIENT, so it cannot be tested as client ${ip} (${authorisationHint})`);
  }
  const attributes = offered.map((word) => word.toUpperCase());
  const nameAttribute = attributes.length === 0 || attributes.includes('NAME') ? ' NAME=[UNAVAILABLE]' : '';
  const greeting = await session.command(`XCLIENT ADDR=${address}${nameAttribute}`);
  if (greeting.code !== 220) {
    throw new XclientError(
      `the server refused XCLIENT ADDR=${address}: ${shortReply(greeting)} (${authorisationHint}; add this client there to test as ${ip})`,
      greeting,
    );
  }
  const ehloReply = await session.ehlo(heloName);
  return { greeting, ehloReply };
}

/** Server text is hostile: one line, bounded, control characters shown as '?'. */
function shortReply(reply: SmtpReply): string {
  const firstLine = reply.text.split('\n')[0] ?? '';
  const clean = firstLine.replace(/[\u0000-\u001f\u007f]/g, '?');
  const bounded = clean.length > 160 ? `${clean.slice(0, 160)}…` : clean;
  return `${reply.code}${reply.enhanced ? ` ${reply.enhanced}` : ''} ${bounded}`.trim();
}
