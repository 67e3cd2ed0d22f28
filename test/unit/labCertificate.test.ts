import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { createSelfSignedCertificate } from '../../src/lab/selfSignedCertificate';

describe('practice server certificate', () => {
  const now = new Date(Date.UTC(2026, 1, 10, 12, 0, 0));
  const made = createSelfSignedCertificate({ commonName: 'mail.corp.example', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'], validDays: 30, now });
  const certificate = new X509Certificate(made.cert);

  test('is self-signed for the server name, with the name, localhost and the addresses as alternative names', () => {
    assert.equal(certificate.subject, 'CN=mail.corp.example');
    assert.equal(certificate.issuer, 'CN=mail.corp.example');
    assert.equal(certificate.subjectAltName, 'DNS:mail.corp.example, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    assert.equal(certificate.verify(certificate.publicKey), true);
    assert.equal(certificate.ca, false);
  });

  test('is valid from an hour before now for the days asked', () => {
    assert.equal(new Date(certificate.validFrom).toISOString(), '2026-02-10T11:00:00.000Z');
    assert.equal(new Date(certificate.validTo).toISOString(), '2026-03-12T12:00:00.000Z');
  });

  test('comes with the private key that matches it', () => {
    assert.equal(certificate.checkPrivateKey(createPrivateKey(made.key)), true);
  });

  test('writes GeneralizedTime for dates from 2050, as RFC 5280 requires', () => {
    const late = new X509Certificate(createSelfSignedCertificate({ commonName: 'a.example', now: new Date(Date.UTC(2049, 11, 1)), validDays: 60 }).cert);
    assert.equal(new Date(late.validTo).toISOString(), '2050-01-30T00:00:00.000Z');
  });
});

describe('self-signed certificates are valid DER whatever their random serial', () => {
  test('1000 certificates in a row all load into a TLS context (a serial starting with 0x00 once broke about one in 512)', () => {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const { key, cert } = createSelfSignedCertificate({ commonName: 'mail.example.com' });
      assert.doesNotThrow(() => createSecureContext({ key, cert }), `certificate ${attempt}`);
    }
  });
});
