import type { MtaName, RecognisedMta } from './mtaRecognition';

/**
 * What to change on the server, in the terms of the software that answered (mtaRecognition.ts). Each
 * text names the settings of that server's own documentation (checked against postconf(5), Exim's spec and
 * Debian's exim4-config ACLs, smtpd.conf(5) of OpenSMTPD 6.8, the Sendmail book's FEATURE(loose_relay_check),
 * FEATURE(promiscuous_relay) and BadRcptThrottle, and Exchange's Receive connector permissions); an unknown server gets generic advice,
 * and Exchange-only remedies (TarpitTime, KB 842851) are offered for Exchange only.
 */

/**
 * How to settle a result the replies cannot, in words every face can show: the CLI calls it
 * --confirm-by-delivery, VS Code a setting and a Test Explorer profile, so the text names none of them.
 */
export const confirmByDeliveryAdvice = 're-run with confirmation by delivery (sends DATA) against a server you own';

const openRelayFixes: Record<MtaName, string> = {
  postfix:
    'Postfix: relay permission comes from smtpd_relay_restrictions (permit_mynetworks, permit_sasl_authenticated, ' +
    'then reject_unauth_destination or defer_unauth_destination) and from mynetworks: take this client out of mynetworks ' +
    '(mynetworks_style = host, or an explicit list), keep reject_unauth_destination in smtpd_relay_restrictions, ' +
    'and check with "postconf mynetworks smtpd_relay_restrictions".',
  exim:
    'Exim: the acl_check_rcpt ACL accepts relay for "hosts = +relay_from_hosts" and "domains = +relay_to_domains": ' +
    'take this client out of "hostlist relay_from_hosts" (Debian: dc_relay_nets in update-exim4.conf.conf, then ' +
    'update-exim4.conf) and keep relay_to_domains to the domains you back up; percent_hack_domains should stay empty.',
  opensmtpd:
    'OpenSMTPD: a rule "match from any for any action relay" (or a "match from src <table>" whose table holds this client) ' +
    'relays for everyone: relay only "match from local for any" and "match auth from any for any", and receive with ' +
    '"match from any for domain <your domains> action local" in smtpd.conf.',
  exchange:
    'Exchange: relay is a Receive connector permission: remove Ms-Exch-SMTP-Accept-Any-Recipient from Anonymous Users ' +
    '(NT AUTHORITY\\ANONYMOUS LOGON) on the connector this client reaches, or scope that connector\'s RemoteIPRanges to ' +
    'the hosts that must relay; on Exchange 2000/2003, SMTP virtual server > Access > Relay restrictions (KB 304897).',
  sendmail:
    "Sendmail: FEATURE(`promiscuous_relay') relays for everyone and FEATURE(`loose_relay_check') lets the % hack through: " +
    'remove them from sendmail.mc and rebuild sendmail.cf; relay permission otherwise comes from the access map ' +
    '("Connect:192.0.2 RELAY") and relay-domains: remove this client\'s entry and rebuild the access database.',
};

const genericOpenRelayFix =
  'Allow relay only to authenticated clients and to the hosts that must send through this server, and refuse every ' +
  'other recipient outside the domains it receives mail for (the server software was not recognised from its banner, ' +
  'so its own setting names are not given).';

/** The fix for an open result, in the recognised server's terms. */
export function openRelayAdvice(mta: RecognisedMta | undefined): string {
  return `To close it: ${mta ? openRelayFixes[mta.name] : genericOpenRelayFix}`;
}

const harvestFixes: Record<MtaName, string> = {
  exchange:
    'Exchange: KB 304897 recommends a tarpit against harvesting (TarpitTime, KB 842851; Set-ReceiveConnector -TarpitInterval ' +
    'on Exchange 2007 and later), or accepting unknown recipients and sending NDRs instead of refusing them at RCPT.',
  postfix:
    'Postfix: smtpd_error_sleep_time, smtpd_soft_error_limit and smtpd_hard_error_limit slow down and drop a client that ' +
    'tries many unknown recipients (postscreen helps too); the refusals themselves come from local_recipient_maps.',
  exim:
    'Exim: in acl_check_rcpt, a "deny !verify = recipient" statement with a "delay = ..." modifier after the condition slows ' +
    'every unknown recipient down; smtp_accept_max_per_host limits parallel tries.',
  sendmail:
    "Sendmail: define(`confBAD_RCPT_THROTTLE', `3') makes it sleep one second before every RCPT reply once a session has " +
    'had three refused recipients (BadRcptThrottle).',
  opensmtpd:
    'OpenSMTPD has no tarpit of its own: limit such clients in front of it (a packet filter with connection rate limits).',
};

const genericHarvestFix =
  'KB 304897 recommends a tarpit that slows down clients trying many unknown recipients, or accepting them and sending NDRs instead.';

/** The remedy for the harvest finding, in the recognised server's terms (TarpitTime is Exchange-only). */
export function harvestAdvice(mta: RecognisedMta | undefined): string {
  return mta ? harvestFixes[mta.name] : genericHarvestFix;
}
