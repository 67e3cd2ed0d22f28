import net from 'node:net';
import { SmtpSession } from '../core/protocol/session';
import type { OutboxMessage } from './outbox';
import type { PracticeServer } from './practiceServer';

/**
 * Lets the practice server hand what it would send on (would-relay copies and NDRs) to one SMTP server on
 * loopback, the way the lab Postfix of test/support/postfixCatcherConfig.ts has its default_transport
 * pointed at the catcher: the practice relay then really relays, to that address and nowhere else. Used
 * while a run with a built-in catcher tests the practice server, so the catcher can prove the relay.
 * Messages stay in the outbox as before; a failed hand-over is reported to `onProblem`, never thrown.
 */
export function forwardOutbox(
  server: Pick<PracticeServer, 'outbox' | 'serverName'>,
  to: { host: string; port: number },
  onProblem: (problem: string) => void = () => undefined,
): () => void {
  if (!isLoopback(to.host)) {
    throw new Error(`the practice server hands messages on only to loopback, not ${to.host}`);
  }
  let stopped = false;
  const stop = server.outbox.onMessage((message) => {
    if (!stopped && (message.kind === 'would-relay' || message.kind === 'ndr')) {
      void handOver(message, server.serverName, to).catch((error: unknown) => onProblem(`${message.kind} ${message.id}: ${String((error as Error)?.message ?? error)}`));
    }
  });
  return () => {
    stopped = true;
    stop();
  };
}

function isLoopback(host: string): boolean {
  return net.isIP(host) !== 0 && (host === '::1' || host.startsWith('127.'));
}

async function handOver(message: OutboxMessage, serverName: string, to: { host: string; port: number }): Promise<void> {
  const session = new SmtpSession({ host: to.host, port: to.port, tls: 'none', rejectUnauthorized: false });
  try {
    const expect = (reply: { code: number; text?: string }, what: string): void => {
      if (reply.code < 200 || reply.code >= 400) {
        throw new Error(`${what} answered ${reply.code}`);
      }
    };
    expect(await session.connect(), 'the greeting');
    expect(await session.ehlo(serverName), 'EHLO');
    expect(await session.command(`MAIL FROM:<${message.mailFrom}>`), 'MAIL FROM');
    for (const recipient of message.rcptTo) {
      expect(await session.command(`RCPT TO:<${recipient}>`), 'RCPT TO');
    }
    const received = `Received: from ${serverName} (SMTP Relay Lab practice server)\r\n\tby ${serverName}; ${new Date(message.at).toUTCString()}\r\n`;
    expect(await session.data(received + message.content), 'DATA');
  } finally {
    await session.quit();
  }
}
