import type { RelayTestAddresses, RelayTestDefinition } from './relayTypes';

/**
 * The message sent only with --confirm-by-delivery: small, labelled as a test in its subject, headers
 * and body, and marked auto-generated (RFC 3834) so that auto-responders leave it alone.
 */
export function relayTestMessage(
  test: RelayTestDefinition,
  addresses: RelayTestAddresses,
  heloName: string,
  now = new Date(),
  token?: string,
): string {
  const envelopeTo = addresses.rcptTo.replace(/^<|>$/g, '');
  // The token (a catcher's proof, reach/deliveryConfirmation.ts) goes in the Message-ID, the subject and
  // the body, so that a relayed copy and an NDR quoting any part of the message can be matched to the test.
  const messageId = token ? `<${token}@${heloName}>` : `<relay-lab.${now.getTime()}.${test.id}@${heloName}>`;
  return [
    `From: SMTP Relay Lab <relay-lab@${heloName}>`,
    `To: <${envelopeTo}>`,
    `Subject: SMTP Relay Lab relay test ${test.id} - please discard${token ? ` [${token}]` : ''}`,
    `Date: ${now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId}`,
    'Auto-Submitted: auto-generated',
    `X-Relay-Lab-Test: ${test.id}`,
    '',
    `This is a relay test message from SMTP Relay Lab (${test.title}).`,
    'It was sent to see whether the server delivers it locally, returns an NDR, or relays it.',
    'If it reached you and you did not run this test, please discard it.',
    ...(token ? [`Test token: ${token}`] : []),
    '',
  ].join('\r\n');
}
