/**
 * nmap's smtp-open-relay script (Debian's nmap). -sV is needed on a port other than 25/465/587: the
 * script's port rule fires on the service name. -vv makes it list the address pairs it counted.
 */
import { runTimed } from '../externalCommand';
import type { BenchTarget } from './benchTargets';
import { benchRelayParameters, type RelayTool, type RelayToolRun } from './relayTool';

export function nmapRelayScript(nmapPath: string): RelayTool {
  return {
    name: 'nmap smtp-open-relay',
    async run(target: BenchTarget): Promise<RelayToolRun> {
      const run = await runTimed(
        nmapPath,
        [
          '-Pn',
          '-sV',
          '-p', String(target.port),
          '--script', 'smtp-open-relay',
          '--script-args', `smtp-open-relay.domain=${benchRelayParameters.remoteDomain},smtp-open-relay.ip=${target.host}`,
          '-vv',
          target.host,
        ],
        { timeoutMs: 600_000 },
      );
      return { seconds: run.seconds, ...readNmapVerdict(run.stdout) };
    },
  };
}

/** The verdict in nmap's words, from the script's output block. */
export function readNmapVerdict(output: string): Omit<RelayToolRun, 'seconds'> {
  const counted = [...output.matchAll(/^\|[_ ]\s*(MAIL FROM:<[^>]*> -> RCPT TO:<.*>)\s*$/gm)].map((match) => match[1]);
  const open = /Server is an open relay \((\d+)\/16 tests\)/.exec(output);
  if (open) {
    return { verdict: 'open', detail: open[0], counted };
  }
  const closed = /Server doesn't seem to be an open relay[^\n]*/.exec(output) ?? /Server isn't an open relay[^\n]*/.exec(output);
  if (closed) {
    return { verdict: 'closed', detail: closed[0], counted };
  }
  const scriptLine = /smtp-open-relay: ([^\n]*)/.exec(output);
  return {
    verdict: 'error',
    detail: scriptLine ? `script said: ${scriptLine[1]}` : 'no smtp-open-relay output (the port rule did not fire)',
    counted,
  };
}
