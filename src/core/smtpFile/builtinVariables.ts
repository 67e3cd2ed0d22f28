/**
 * The `{{$...}}` variables a .smtp file can use without defining them. No `vscode` here.
 * They come from the target (settings, the picker or the file's directives) and from the live connection.
 */
import net from 'node:net';
import { inferLocalDomains, serverNameFromReply } from '../relay/localDomains';
import type { SmtpReply } from '../protocol/reply';
import { relayParameterDefaults } from '../relay/relayParameters';
import type { Target } from '../relay/target';

export const builtinVariableNames = [
  '$target.host',
  '$target.port',
  /** The first local domain: configured, from `# @local-domain`, or inferred from the banner and EHLO. */
  '$target.localDomain',
  '$target.localUser',
  /** The local part the relay tests send to at the remote domain. */
  '$target.remoteUser',
  '$target.remoteDomain',
  '$target.heloName',
  /** The IP address actually connected to, for address literals (`user@[{{$server.address}}]`, KB test 5). */
  '$server.address',
  /** The host name in the server's banner. */
  '$server.name',
  /** Now, as an RFC 5322 date, for a Date: header in a DATA body. */
  '$date',
] as const;

export type BuiltinVariableName = (typeof builtinVariableNames)[number];

/** What the live connection has told us so far; all absent before the first connect. */
export interface ConnectionFacts {
  remoteAddress?: string;
  greeting?: SmtpReply;
  ehloReply?: SmtpReply;
}

export function builtinVariables(
  target: Target,
  connection: ConnectionFacts = {},
  now: Date = new Date(),
): Map<BuiltinVariableName, string | undefined> {
  const serverAddress = connection.remoteAddress ?? (net.isIP(target.host) !== 0 ? target.host : undefined);
  const values: Record<BuiltinVariableName, string | undefined> = {
    '$target.host': target.host,
    '$target.port': String(target.port),
    '$target.localDomain': inferLocalDomains(connection.greeting, connection.ehloReply, target.localDomains)[0],
    '$target.localUser': target.localUser,
    '$target.remoteUser': relayParameterDefaults.remoteUser,
    '$target.remoteDomain': target.remoteDomain,
    '$target.heloName': target.heloName,
    '$server.address': serverAddress,
    '$server.name': serverNameFromReply(connection.greeting),
    '$date': now.toUTCString(),
  };
  return new Map(builtinVariableNames.map((name) => [name, values[name]]));
}
