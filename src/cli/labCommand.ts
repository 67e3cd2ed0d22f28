import { displayText } from '../core/protocol/displayText';
import { loopbackHosts } from '../lab/loopbackHost';
import type { PersonaName } from '../lab/persona';
import { personaNames } from '../lab/personaCatalogue';
import { practiceServerDefaults, startPracticeServer, type PracticeServer } from '../lab/practiceServer';
import type { ServerLogEntry } from '../lab/serverLog';
import type { CliContext } from './cliContext';
import { choiceValue, hostValue, listValues, parseCommandArguments, portValue, UsageError } from './commandLineArguments';
import { exitCodes } from './exitCodes';

export const labDefaultPort = 2525;

export const labHelp = `Usage: smtp-relay-lab lab [--persona PERSONA] [--port PORT] [--host 127.0.0.1]

Runs a practice SMTP server on loopback until Ctrl+C, and prints every session. It delivers nothing:
what it would deliver, relay or bounce goes to an in-memory outbox that is printed as it fills.

  --persona PERSONA         ${personaNames.join(', ')} (default ${practiceServerDefaults.persona})
  --port PORT               default ${labDefaultPort}; 0 picks a free port
  --host HOST               127.0.0.1 (default) or ::1 (also written [::1]); nothing else is allowed
  --local-domain DOMAIN     domains it receives mail for (default ${practiceServerDefaults.localDomains.join(', ')}); repeatable
  --local-user USER         mailboxes that exist (default ${practiceServerDefaults.localUsers.join(', ')}); repeatable
  --implicit-tls            TLS from the first byte (like port 465) instead of plain text with STARTTLS
  -h, --help                show this help

Exit codes: 130 stopped with Ctrl+C, 3 cannot listen (port in use), 64 usage error (a host that is not
loopback included).
`;

const labOptions = {
  persona: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'local-domain': { type: 'string', multiple: true },
  'local-user': { type: 'string', multiple: true },
  'implicit-tls': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runLabCommand(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArguments('lab', args, labOptions, false);
  if (values.help) {
    context.out(labHelp);
    return exitCodes.ok;
  }
  const persona: PersonaName = choiceValue('--persona', values.persona, personaNames, practiceServerDefaults.persona);
  const host = values.host === undefined ? practiceServerDefaults.host : hostValue('--host', values.host.trim());
  if (!loopbackHosts.includes(host)) {
    throw new UsageError(`--host must be a loopback address (${loopbackHosts.join(' or ')}): the practice server is never reachable from a network, not "${values.host}"`);
  }
  const server = await startPracticeServer({
    persona,
    host,
    port: portValue('--port', values.port, labDefaultPort, { allowZero: true }),
    localDomains: listValues(values['local-domain']),
    localUsers: listValues(values['local-user']),
    secure: values['implicit-tls'] === true,
  });
  context.out(introduction(server));
  // What clients send is as hostile as what servers send: every line is shown escaped.
  const stopLog = server.log.onEntry((entry) => context.out(`${displayText(formatLogEntry(entry))}\n`));
  const stopOutbox = server.outbox.onMessage((message) =>
    context.out(displayText(`[outbox] ${message.kind} ${message.id}: from <${message.mailFrom}> to ${message.rcptTo.map((address) => `<${address}>`).join(', ')}`) + '\n'),
  );
  await new Promise<void>((resolve) => {
    if (context.signal.aborted) {
      resolve();
    }
    context.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  stopLog();
  stopOutbox();
  await server.close();
  context.out(`Stopped. ${server.log.connectionIds().length} connection(s), ${server.outbox.messages.length} message(s) in the outbox.\n`);
  // Stopped by Ctrl+C (or SIGTERM), the only way it stops: 130, as a shell reports an interrupted command.
  return exitCodes.interrupted;
}

function introduction(server: PracticeServer): string {
  const address = server.host.includes(':') ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
  const connect = server.secure
    ? `openssl s_client -quiet -crlf -connect ${address}`
    : `telnet ${server.host} ${server.port}    or    nc -C ${server.host} ${server.port}`;
  return [
    `Practice server "${server.persona}": ${server.summary}`,
    `Listening on ${address} (loopback only)${server.secure ? ' with implicit TLS' : ', STARTTLS offered'}.`,
    `Local domains: ${server.localDomains.join(', ')}. Mailboxes: ${server.localUsers.join(', ')}.`,
    `Connect with:  ${connect}`,
    `Test it with:  smtp-relay-lab relay --host ${server.host} --port ${server.port}${server.secure ? ' --tls implicit --insecure' : ''} --local-domain ${server.localDomains[0]}`,
    'Press Ctrl+C to stop.',
    '',
  ].join('\n');
}

/** `c1 C: EHLO x` for what a client sent, `c1 S: 250 ...` for the reply; `~` instead of `:` inside TLS. */
export function formatLogEntry(entry: ServerLogEntry): string {
  const mark = entry.tls ? '~' : ':';
  switch (entry.kind) {
    case 'command':
      return `${entry.connectionId} C${mark} ${entry.text}`;
    case 'reply':
      return `${entry.connectionId} S${mark} ${entry.text}`;
    default:
      return `${entry.connectionId} == ${entry.text}`;
  }
}
