/**
 * The servers the relay bench times the tools against, all on 127.0.0.1: a real Postfix closed and
 * open (test/support/postfix.ts, started and stopped by the bench), and practice personas. Each target
 * can also say where accepted mail went, which settles a disagreement between tools.
 */
import { startPracticeServer } from '../../src/lab/practiceServer';
import type { PersonaName } from '../../src/lab/persona';
import { startPostfix, type PostfixMode } from '../../test/support/postfix';

/** Where the messages a target accepted ended up: the proof behind a verdict. */
export interface DeliveryEvidence {
  /** Forwarded (or queued for forwarding) to a remote domain: relayed. */
  relayed: string[];
  /** Delivered to a local mailbox. */
  delivered: string[];
  /** Non-delivery reports: accepted, not relayed, bounced (KB 304897 tests 6 and 7). */
  bounced: string[];
}

export interface BenchTarget {
  /** For JSON and look-ups: postfix-closed, postfix-open, exchange. */
  readonly id: string;
  /** For the table: "Postfix (closed)". */
  readonly label: string;
  readonly host: string;
  readonly port: number;
  readonly localDomain: string;
  /** The name in its banner, for the tests addressed to the server by name. */
  readonly serverName: string;
  evidence(): Promise<DeliveryEvidence>;
  stop(): Promise<void>;
}

const localDomain = 'corp.example';

/**
 * Postfix's arrival-rate flow control (in_flow_delay, 1 s by default) pauses every new mail transaction
 * once repeated runs have used up its tokens, which only deliveries refill and nothing is delivered
 * here: every tool would then wait a second per test, and the table would time Postfix, not the tools.
 * The error slow-down (smtpd_error_sleep_time) is left as it is: that one the tools must cope with.
 */
const benchMainCf = { in_flow_delay: '0s' };

export async function startPostfixTarget(mode: PostfixMode): Promise<BenchTarget> {
  const postfix = await startPostfix({ mode, localDomain, extraMainCf: benchMainCf });
  return {
    id: `postfix-${mode}`,
    label: `Postfix (${mode})`,
    host: postfix.host,
    port: postfix.port,
    localDomain,
    serverName: `mail.${localDomain}`,
    async evidence() {
      const deliveries = await postfix.deliveries();
      const bounced = deliveries.filter((delivery) => delivery.sender === '' && delivery.message.includes('report-type=delivery-status'));
      return {
        relayed: deliveries.filter((delivery) => delivery.service === 'failpipe' && !bounced.includes(delivery)).map((delivery) => delivery.recipient),
        delivered: deliveries.filter((delivery) => delivery.service === 'localpipe' && !bounced.includes(delivery)).map((delivery) => delivery.recipient),
        bounced: bounced.map((delivery) => delivery.recipient),
      };
    },
    stop: () => postfix.stop(),
  };
}

export async function startPersonaTarget(persona: PersonaName): Promise<BenchTarget> {
  const server = await startPracticeServer({ persona, host: '127.0.0.1', port: 0, localDomains: [localDomain], localUsers: ['postmaster'] });
  return {
    id: persona,
    label: `practice server, ${persona} persona`,
    host: server.host,
    port: server.port,
    localDomain,
    serverName: server.serverName,
    async evidence() {
      const recipients = (kind: 'would-relay' | 'delivered' | 'ndr'): string[] => server.outbox.list(kind).flatMap((message) => message.rcptTo);
      return { relayed: recipients('would-relay'), delivered: recipients('delivered'), bounced: recipients('ndr') };
    },
    stop: () => server.close(),
  };
}
