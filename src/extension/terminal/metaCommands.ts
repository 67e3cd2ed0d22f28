/**
 * The terminal's own commands. They start with "/", which no SMTP command does (RFC 5321 §4.1.1 verbs are
 * letters), so a line is either for the server or for us, never ambiguous. Parsing only: the session
 * terminal carries them out.
 */

import net from 'node:net';
import type { AuthMechanism } from '../../core/protocol/authentication';

export type MetaCommand =
  | { name: 'help' }
  | { name: 'tests' }
  /** Test ids or group names ("kb", "extended", "all"), resolved against the catalogue by the terminal. */
  | { name: 'test'; selectors: string[] }
  | { name: 'starttls' }
  | { name: 'auth'; mechanism: AuthMechanism; username?: string }
  | { name: 'rset' }
  /** XCLIENT ADDR=<address>: the server judges the rest of the session as this client (an IP literal). */
  | { name: 'xclient'; address: string }
  | { name: 'status' }
  | { name: 'save' }
  | { name: 'reconnect' }
  | { name: 'quit' };

export type MetaCommandName = MetaCommand['name'];

export type MetaCommandParse = { ok: true; command: MetaCommand } | { ok: false; problem: string };

export interface MetaCommandHelp {
  name: MetaCommandName;
  usage: string;
  summary: string;
}

/** In the order /help shows them. */
export const metaCommandHelp: readonly MetaCommandHelp[] = [
  { name: 'help', usage: '/help', summary: 'this list' },
  { name: 'tests', usage: '/tests', summary: 'list the relay tests' },
  {
    name: 'test',
    usage: '/test <id|kb|extended|all> ...',
    summary: 'run relay tests in this session, showing every command and reply',
  },
  { name: 'starttls', usage: '/starttls', summary: 'STARTTLS, then EHLO again inside TLS' },
  {
    name: 'auth',
    usage: '/auth plain|login [user]',
    summary: 'authenticate; the password is asked for masked and never shown or recorded',
  },
  { name: 'rset', usage: '/rset', summary: 'RSET: start the mail transaction over' },
  {
    name: 'xclient',
    usage: '/xclient <ip>',
    summary: 'act as another client: XCLIENT ADDR=<ip>, then EHLO again (the server must list you in smtpd_authorized_xclient_hosts)',
  },
  { name: 'status', usage: '/status', summary: 'connection, TLS and what the server advertised' },
  { name: 'save', usage: '/save', summary: 'save the transcript of this session' },
  { name: 'reconnect', usage: '/reconnect', summary: 'connect again to the same server' },
  { name: 'quit', usage: '/quit', summary: 'QUIT, close the connection and the terminal' },
];

export const metaCommandNames: readonly MetaCommandName[] = metaCommandHelp.map((entry) => entry.name);

const aliases: Record<string, MetaCommandName> = {
  '?': 'help',
  exit: 'quit',
};

export function isMetaCommandLine(line: string): boolean {
  return line.trimStart().startsWith('/');
}

export function parseMetaCommand(line: string): MetaCommandParse {
  const words = line.trim().replace(/^\//, '').split(/\s+/).filter((word) => word !== '');
  const typedName = (words[0] ?? '').toLowerCase();
  const name = aliases[typedName] ?? metaCommandNames.find((candidate) => candidate === typedName);
  const parameters = words.slice(1);
  if (!name) {
    return {
      ok: false,
      problem: typedName === '' ? 'a command name must follow "/": /help lists them' : `unknown command /${typedName}: /help lists the commands`,
    };
  }
  switch (name) {
    case 'test':
      if (parameters.length === 0) {
        return { ok: false, problem: 'which test? Give an id such as kb1, or kb for all seven; /tests lists them' };
      }
      return { ok: true, command: { name, selectors: parameters.map((selector) => selector.toLowerCase()) } };
    case 'auth': {
      const mechanism = (parameters[0] ?? '').toUpperCase();
      if (mechanism !== 'PLAIN' && mechanism !== 'LOGIN') {
        return { ok: false, problem: 'which mechanism? /auth plain or /auth login, optionally followed by the user name' };
      }
      if (parameters.length > 2) {
        return {
          ok: false,
          problem: '/auth takes a mechanism and a user name only: the password is asked for separately, never typed here',
        };
      }
      return { ok: true, command: parameters[1] === undefined ? { name, mechanism } : { name, mechanism, username: parameters[1] } };
    }
    case 'xclient': {
      const address = (parameters[0] ?? '').replace(/^\[(.*)\]$/, '$1');
      if (parameters.length !== 1 || net.isIP(address) === 0) {
        return {
          ok: false,
          problem: 'which client? /xclient takes one IP address to act as, e.g. /xclient 203.0.113.9 or /xclient 2001:db8::9',
        };
      }
      return { ok: true, command: { name, address } };
    }
    default:
      if (parameters.length > 0) {
        return { ok: false, problem: `/${name} takes no arguments` };
      }
      return { ok: true, command: { name } };
  }
}
