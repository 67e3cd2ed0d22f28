/**
 * A practice server accepts mail for fake domains and answers like an open relay on request: it
 * must never be reachable from a network. Only the loopback addresses themselves are accepted,
 * not names (which may resolve elsewhere) and not 0.0.0.0 / :: (every interface).
 */
export const loopbackHosts: readonly string[] = ['127.0.0.1', '::1'];

export class NotLoopbackError extends Error {
  override name = 'NotLoopbackError';
}

export function assertLoopbackHost(host: string): void {
  if (!loopbackHosts.includes(host)) {
    throw new NotLoopbackError(`the practice server listens on loopback only (127.0.0.1 or ::1), not "${host}"`);
  }
}
