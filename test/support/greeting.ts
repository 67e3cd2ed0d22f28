/** Reading a test server's greeting, for the lab MTAs (postfix.ts, unpackedMta.ts) as they start. */
import * as net from 'node:net';

/** How long one attempt waits for the greeting once connected, so a silent listener is not waited on for long. */
export const greetingReadMs = 5_000;

/** Connects to 127.0.0.1:port and resolves with the first line the server sends (then says QUIT). */
export function readGreeting(port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = '';
    const finish = (error?: Error, line?: string): void => {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      if (error) reject(error);
      else resolve(line ?? '');
    };
    socket.setTimeout(timeoutMs, () => finish(new Error('timed out waiting for the greeting')));
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error('closed before a greeting')));
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n');
      if (end >= 0) {
        socket.write('QUIT\r\n');
        finish(undefined, received.slice(0, end));
      }
    });
  });
}
