// A lab Postfix that RELAYS, but only to our catcher: the settings that turn the instance of postfix.ts
// into the server of issue 10's confirmation tests. Everything that is not local goes to
// smtp:[127.0.0.1]:<catcher port> (relay_transport and default_transport, bracketed so no MX lookup is
// made, and smtp_dns_support_level = disabled besides), so nothing can leave the machine. The lab's
// master.cf has no SMTP client at all; this config adds exactly one `smtp` service, and only here.
//
//   open-to-catcher    mynetworks = loopback: the tester is trusted and relaying works (kb6's percent hack
//                      is rewritten to the remote domain and relayed): the catcher gets the relayed copy.
//   closed-to-catcher  loopback is an outsider; local recipients are not checked at RCPT
//                      (local_recipient_maps empty), so x-unknown-local-user's
//                      relay-lab-no-such-user@corp.example is accepted at RCPT; local delivery is a pipe
//                      that exits 67 (EX_NOUSER), so Postfix bounces it after DATA (5.1.1), and the NDR
//                      for the (remote) sender goes to the catcher. (Not the error transport: smtpd
//                      refuses at RCPT when local_transport is error.)
import type { StartPostfixOptions } from './postfix';

/** The one SMTP client service: no chroot (the temporary queue has no etc/ copies). */
export const catcherSmtpClientService = 'smtp unix - - n - - smtp';

/** Local delivery that always fails as "no such user" (EX_NOUSER, 67): the message bounces. */
export const NO_SUCH_USER_SERVICE = 'nouser';
export const noSuchUserService = `${NO_SUCH_USER_SERVICE} unix - n n - - pipe\n  flags=q user=nobody argv=/bin/sh -c { cat >/dev/null; exit 67 }`;

export function catcherRelayPostfixOptions(mode: 'open-to-catcher' | 'closed-to-catcher', catcherPort: number): StartPostfixOptions {
  const toCatcher = `smtp:[127.0.0.1]:${catcherPort}`;
  const common: Record<string, string> = {
    relay_transport: toCatcher,
    default_transport: toCatcher,
    smtp_dns_support_level: 'disabled',
    // The catcher answers at once; the lab never waits for a real network.
    smtp_connect_timeout: '5s',
    // Deliver at once rather than after the queue manager's usual pauses.
    queue_run_delay: '1s',
    minimal_backoff_time: '1s',
    maximal_backoff_time: '2s',
  };
  if (mode === 'open-to-catcher') {
    return { mode: 'open', extraMainCf: common, extraMasterCf: [catcherSmtpClientService] };
  }
  return {
    mode: 'closed',
    extraMainCf: {
      ...common,
      local_recipient_maps: '',
      local_transport: NO_SUCH_USER_SERVICE,
      [`${NO_SUCH_USER_SERVICE}_destination_recipient_limit`]: '1',
    },
    extraMasterCf: [catcherSmtpClientService, noSuchUserService],
  };
}

/**
 * An open Postfix whose remote mail (relayed copies, and NDRs to a remote sender) goes through `service`,
 * a pipe(8) service line such as DovecotInstance.postfixPipeService's, into a mailbox: the IMAP catcher's
 * server. Still no SMTP client and no DNS.
 */
export function mailboxRelayPostfixOptions(mode: 'open' | 'closed', serviceName: string, serviceLine: string): StartPostfixOptions {
  return {
    mode,
    extraMainCf: {
      relay_transport: serviceName,
      default_transport: serviceName,
      [`${serviceName}_destination_recipient_limit`]: '1',
      smtp_dns_support_level: 'disabled',
      ...(mode === 'closed' ? { local_recipient_maps: '', local_transport: NO_SUCH_USER_SERVICE, [`${NO_SUCH_USER_SERVICE}_destination_recipient_limit`]: '1' } : {}),
    },
    extraMasterCf: mode === 'closed' ? [serviceLine, noSuchUserService] : [serviceLine],
  };
}
