/**
 * The swaks way: one swaks process per test of our catalogue, the same MAIL FROM and RCPT TO, stopping
 * after RCPT (--quit-after RCPT, so no DATA). Its verdict is the one a person reading swaks output would
 * give: open as soon as a relay attempt's recipient was accepted.
 */
import { relayCatalogue } from '../../src/core/relay/relayCatalogue';
import type { RelayTestParameters } from '../../src/core/relay/relayTypes';
import { runTimed } from '../externalCommand';
import type { BenchTarget } from './benchTargets';
import { benchRelayParameters, notRelayAttempts, type RelayTool, type RelayToolRun } from './relayTool';

function unbracketed(address: string): string {
  return address === '<>' ? '<>' : address.replace(/^<|>$/g, '');
}

/** The code of the reply to RCPT in swaks output (`<-  250 ...`, or `<** 550 ...` for a refusal), if there was one. */
export function rcptReplyCode(output: string): number | undefined {
  const lines = output.split('\n');
  const sent = lines.findIndex((line) => /^ [-~]> RCPT TO:/.test(line));
  if (sent === -1) {
    return undefined;
  }
  for (const line of lines.slice(sent + 1)) {
    // The last line of a reply has a space after its code; "<~" and "<~*" are the same inside TLS.
    const last = /^<(?:-|~|\*\*|~\*)\s*(\d{3}) /.exec(line);
    if (last) {
      return Number(last[1]);
    }
  }
  return undefined;
}

export function swaksLoop(swaksPath: string): RelayTool {
  return {
    name: 'swaks loop',
    async run(target: BenchTarget): Promise<RelayToolRun> {
      const parameters: RelayTestParameters = {
        ...benchRelayParameters,
        localDomains: [target.localDomain],
        serverAddress: target.host,
        serverName: target.serverName,
        addressForm: 'bracketed',
      };
      let seconds = 0;
      const counted: string[] = [];
      const unanswered: string[] = [];
      for (const test of relayCatalogue) {
        const { mailFrom, rcptTo } = test.build(parameters);
        const run = await runTimed(
          swaksPath,
          [
            '--server', target.host,
            '--port', String(target.port),
            '--ehlo', benchRelayParameters.heloName,
            '--from', unbracketed(mailFrom),
            '--to', unbracketed(rcptTo),
            '--quit-after', 'RCPT',
            '--timeout', '30',
          ],
          { timeoutMs: 120_000 },
        );
        seconds += run.seconds;
        const code = rcptReplyCode(run.stdout);
        if (code === undefined) {
          unanswered.push(test.id);
        } else if (code >= 200 && code < 300 && !notRelayAttempts.has(test.id)) {
          counted.push(test.id);
        }
      }
      const relayAttempts = relayCatalogue.filter((test) => !notRelayAttempts.has(test.id)).length;
      const verdict = counted.length > 0 ? 'open' : unanswered.length > 0 ? 'inconclusive' : 'closed';
      const detail =
        `${counted.length}/${relayAttempts} relay attempts accepted at RCPT` +
        (unanswered.length > 0 ? `; no RCPT reply for ${unanswered.join(', ')}` : '');
      return { seconds, verdict, detail, counted };
    },
  };
}
