import { createHash } from 'node:crypto';
import type { TlsOptions } from 'node:tls';

/**
 * Stands in for smtp-server's `tls-options` module in the bundles (see scripts/build.mjs): the same
 * defaults without its built-in private key and certificate, which expired in 2025 and which vsce
 * rightly refuses to package. The practice server always brings its own certificate (labCertificate.ts).
 */
// requestOCSP is read by smtp-server itself, not by node:tls.
const tlsDefaults: TlsOptions & { requestOCSP: boolean } = {
  honorCipherOrder: true,
  requestOCSP: false,
  sessionIdContext: createHash('sha1').update(process.argv.join(' ')).digest('hex').slice(0, 32),
  // smtp-server accepts very old clients; the practice server keeps that, it only listens on loopback.
  minVersion: 'TLSv1',
};

export default function getTLSOptions(options?: TlsOptions): TlsOptions {
  return { ...tlsDefaults, ...(options ?? {}) };
}
