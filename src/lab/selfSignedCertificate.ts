import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import net from 'node:net';

/**
 * A fresh self-signed certificate for a practice server: an ECDSA P-256 key, the server name as the
 * subject, and the name, "localhost" and the listening addresses as subjectAltName. smtp-server's
 * built-in certificate would do for encryption, but it expired in February 2025 and names only
 * localhost, so every client would report a second, unrelated problem; this one can even be pinned
 * (`ca`) by a client that wants to verify. Node has no API to write X.509, hence the DER below
 * (RFC 5280 §4.1, signature per RFC 5758 §3.2).
 */
export interface SelfSignedCertificate {
  /** PKCS #8 private key, PEM. */
  key: string;
  /** X.509 certificate, PEM. */
  cert: string;
}

export function createSelfSignedCertificate(options: { commonName: string; dnsNames?: string[]; ipAddresses?: string[]; validDays?: number; now?: Date }): SelfSignedCertificate {
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000); // an hour of slack for clocks that differ
  const notAfter = new Date(now.getTime() + (options.validDays ?? 365) * 24 * 60 * 60 * 1000);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ecdsaWithSha256 = sequence(objectIdentifier('1.2.840.10045.4.3.2'));
  const name = sequence(set(sequence(objectIdentifier('2.5.4.3'), element(0x0c, Buffer.from(options.commonName, 'utf8')))));

  const alternativeNames = [
    ...unique([options.commonName, ...(options.dnsNames ?? [])]).map((dnsName) => element(0x82, Buffer.from(dnsName, 'ascii'))),
    ...unique(options.ipAddresses ?? []).map((address) => element(0x87, ipAddressBytes(address))),
  ];
  const extensions = sequence(
    sequence(objectIdentifier('2.5.29.17'), element(0x04, sequence(...alternativeNames))),
    // basicConstraints, critical, cA false: a leaf certificate that cannot sign others.
    sequence(objectIdentifier('2.5.29.19'), element(0x01, Buffer.from([0xff])), element(0x04, sequence())),
  );

  const tbsCertificate = sequence(
    element(0xa0, integer(Buffer.from([2]))), // version 3
    integer(randomBytes(16)),
    ecdsaWithSha256,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    element(0xa3, extensions),
  );
  const signature = sign('sha256', tbsCertificate, privateKey);
  const certificate = sequence(tbsCertificate, ecdsaWithSha256, element(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: toPem('CERTIFICATE', certificate),
  };
}

function element(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

function length(size: number): Buffer {
  if (size < 0x80) {
    return Buffer.from([size]);
  }
  const bytes: number[] = [];
  for (let rest = size; rest > 0; rest = Math.floor(rest / 256)) {
    bytes.unshift(rest % 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function sequence(...parts: Buffer[]): Buffer {
  return element(0x30, Buffer.concat(parts));
}

function set(...parts: Buffer[]): Buffer {
  return element(0x31, Buffer.concat(parts));
}

/**
 * A non-negative INTEGER in DER's minimal form: leading zero bytes go (OpenSSL refuses them as "illegal
 * padding", which a random serial starting with 0x00 used to hit), and one 0x00 is put back where the
 * first bit is set, so it does not read as negative.
 */
function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) {
    start++;
  }
  const minimal = bytes.subarray(start);
  return element(0x02, minimal[0] >= 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal);
}

function objectIdentifier(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) {
      base128.unshift((value & 0x7f) | 0x80);
    }
    bytes.push(...base128);
  }
  return element(0x06, Buffer.from(bytes));
}

/** UTCTime up to 2049, GeneralizedTime after, as RFC 5280 §4.1.2.5 requires. */
function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-02-10T09:30:00.000Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  return date.getUTCFullYear() < 2050 ? element(0x17, Buffer.from(`${digits.slice(2)}Z`)) : element(0x18, Buffer.from(`${digits}Z`));
}

function ipAddressBytes(address: string): Buffer {
  if (net.isIPv4(address)) {
    return Buffer.from(address.split('.').map(Number));
  }
  if (!net.isIPv6(address)) {
    throw new Error(`not an IP address: ${address}`);
  }
  const [head, tail] = address.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = tail === undefined ? groups(head) : [...groups(head), ...Array<string>(missing).fill('0'), ...groups(tail)];
  return Buffer.concat(all.map((group) => Buffer.from([parseInt(group, 16) >> 8, parseInt(group, 16) & 0xff])));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
