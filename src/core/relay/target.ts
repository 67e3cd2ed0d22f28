import net from 'node:net';
import { describeTarget, type SessionOptions, type SessionTimeouts, type TlsMode } from '../protocol/sessionOptions';
import { relayParameterDefaults } from './relayParameters';
import type { PersonaName } from '../../lab/persona';

/**
 * A server the user wants to talk to, with what the relay tests need to know about it.
 * No `vscode` here: the terminal, .smtp files (editor and CLI `run`), Test Explorer and unit tests share it.
 * The settings readers and the target picker's parsing are the editor's: src/extension/target.ts.
 */
export interface Target {
  /** What the user sees in pickers and the status bar. */
  label: string;
  host: string;
  port: number;
  tls: TlsMode;
  /** Certificate checking; off only when the user says so (a lab server with a self-signed certificate). */
  rejectUnauthorized: boolean;
  /** Domains the server receives mail for; empty means "infer from the banner and EHLO". */
  localDomains: string[];
  /** A mailbox that exists on the server (local part), the KB's "LocalUser". */
  localUser: string;
  /** A domain the server must not relay to. */
  remoteDomain: string;
  heloName: string;
  /** For AUTH; the password lives in SecretStorage, never here. */
  username?: string;
  /** Set when this target is the built-in practice server, which is started on demand. */
  practicePersona?: PracticePersona;
  /**
   * Test as this client address through XCLIENT (reach/xclient.ts): the server must list us in Postfix's
   * smtpd_authorized_xclient_hosts. Kept as the user wrote it; asClientProblem says when it is no IP, and
   * then nothing may connect (testing from here instead would show the trust this setting is meant to avoid).
   */
  asClient?: string;
  /**
   * Set when the target is a mail domain (issue 10 §3): `host` is the domain's name, and a relay run tests
   * every address of its MX hosts (relay --domain). The terminal and .smtp files pick one address first.
   */
  mailDomain?: MailDomainOfTarget;
  /** The name the TLS certificate should carry, when `host` is an address resolved from it (an MX name). */
  tlsServerName?: string;
}

export interface MailDomainOfTarget {
  domain: string;
  /** "host[:port]" of the DNS server to ask, as relay --resolver; the system's when absent. */
  resolver?: string;
}

export const tlsModes: readonly TlsMode[] = ['starttls', 'implicit', 'none'];

/** A practice server persona, as src/lab defines them (the editor lists them: src/extension/target.ts). */
export type PracticePersona = PersonaName;

/** Defaults use reserved names (RFC 2606), so nothing we send by default can reach a real mailbox. */
export const targetDefaults = {
  localUser: relayParameterDefaults.localUser,
  remoteDomain: relayParameterDefaults.remoteDomain,
  heloName: relayParameterDefaults.heloName,
} as const;

/**
 * The TLS mode a port usually speaks, the default of every face (CLI `relay`, the editor's target picker,
 * terminal, Test Explorer, Run Relay Suite): implicit TLS on 465 (RFC 8314), STARTTLS elsewhere (25, 587 and
 * any other port), offered and not demanded, so a server that does not advertise STARTTLS is tested in clear
 * text and the report says so.
 */
export function suggestedTlsMode(port: number): TlsMode {
  return port === 465 ? 'implicit' : 'starttls';
}

/** The embedded practice server is spoken to in clear text by every face (it offers STARTTLS all the same). */
export const practiceServerTlsMode: TlsMode = 'none';

export function newTarget(host: string, port: number, tls: TlsMode = suggestedTlsMode(port)): Target {
  return {
    label: describeTarget({ host, port }),
    host,
    port,
    tls,
    rejectUnauthorized: true,
    localDomains: [],
    localUser: targetDefaults.localUser,
    remoteDomain: targetDefaults.remoteDomain,
    heloName: targetDefaults.heloName,
  };
}

/**
 * Parses "host", "host:port", "[v6]:port" or a bare IPv6 address. Returns an error sentence for a person when
 * the text is not one of those.
 */
export function parseHostPort(text: string, defaultPort = 25): { host: string; port: number } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') {
    return { error: 'Type a host name or address, optionally with :port.' };
  }
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(trimmed);
  if (bracketed) {
    host = bracketed[1];
    portText = bracketed[2];
  } else if ((trimmed.match(/:/g) ?? []).length > 1) {
    host = trimmed; // a bare IPv6 address: its colons are not a port separator
  } else {
    const colon = trimmed.indexOf(':');
    host = colon >= 0 ? trimmed.slice(0, colon) : trimmed;
    portText = colon >= 0 ? trimmed.slice(colon + 1) : undefined;
  }
  if (!isPlausibleHost(host)) {
    return { error: `"${host}" is not a host name or address.` };
  }
  if (portText === undefined) {
    return { host, port: defaultPort };
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    return { error: `"${portText}" is not a port (1-65535).` };
  }
  return { host, port };
}

/** A name or address we could hand to net.connect; rejects what is clearly a URL, an address or a typo. */
export function isPlausibleHost(host: string): boolean {
  return host !== '' && !/[\s/@<>[\]]/.test(host);
}

/** Identifies "the same server, spoken to the same way", for de-duplicating the recent list. */
export function targetIdentity(target: Pick<Target, 'host' | 'port' | 'tls' | 'practicePersona' | 'asClient' | 'mailDomain'>): string {
  const where = target.practicePersona
    ? `practice:${target.practicePersona}`
    : target.mailDomain
      ? `domain:${target.mailDomain.domain}:${target.port}@${target.mailDomain.resolver ?? 'system'}`
      : describeTarget(target);
  // Tested as another client (XCLIENT) is another way of speaking to it: both stay in the recent list.
  return `${where}/${target.tls}${target.asClient === undefined ? '' : `/as ${target.asClient}`}`;
}

/**
 * Why a target's asClient cannot be used (it must be an IPv4 or IPv6 literal), or undefined when it can or is
 * not set. The value came from a settings file: shown bounded, control characters as '?'.
 */
export function asClientProblem(target: Pick<Target, 'asClient' | 'label'>): string | undefined {
  const value = target.asClient;
  if (value === undefined || net.isIP(value) !== 0) {
    return undefined;
  }
  const shown = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  const bounded = shown.length > 64 ? `${shown.slice(0, 64)}…` : shown;
  return (
    `the target's asClient "${bounded}" is not an IP address: XCLIENT tests as an IPv4 or IPv6 address such as ` +
    '203.0.113.9. Nothing was sent; correct it in smtpRelayLab.targets.'
  );
}

/** What the engine needs to open a session to this target. */
export function sessionOptionsFor(target: Target, timeouts?: Partial<SessionTimeouts>): SessionOptions {
  return {
    host: target.host,
    port: target.port,
    tls: target.tls,
    rejectUnauthorized: target.rejectUnauthorized,
    ...(target.tlsServerName ? { servername: target.tlsServerName } : {}),
    ...(timeouts ? { timeouts } : {}),
    ...(target.asClient === undefined ? {} : { asClient: target.asClient }),
  };
}

