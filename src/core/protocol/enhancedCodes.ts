/**
 * RFC 3463 enhanced status codes (`class.subject.detail`), in words an admin reads in a transcript.
 * The detail tables are RFC 3463's, plus the few later security codes (RFC 4954, RFC 3207) that
 * servers send while refusing relay or demanding authentication.
 */

const classMeanings: Record<string, string> = {
  '2': 'success',
  '4': 'persistent transient failure',
  '5': 'permanent failure',
};

const subjectMeanings: Record<string, string> = {
  '0': 'other or undefined status',
  '1': 'addressing status',
  '2': 'mailbox status',
  '3': 'mail system status',
  '4': 'network and routing status',
  '5': 'mail delivery protocol status',
  '6': 'message content or media status',
  '7': 'security or policy status',
};

/** Keyed by `subject.detail`: the meaning is the same for every class. */
const detailMeanings: Record<string, string> = {
  '0.0': 'other undefined status',

  '1.0': 'other address status',
  '1.1': 'bad destination mailbox address (no such user)',
  '1.2': 'bad destination system address',
  '1.3': 'bad destination mailbox address syntax',
  '1.4': 'destination mailbox address ambiguous',
  '1.5': 'destination address valid',
  '1.6': 'destination mailbox has moved, no forwarding address',
  '1.7': "bad sender's mailbox address syntax",
  '1.8': "bad sender's system address",

  '2.0': 'other or undefined mailbox status',
  '2.1': 'mailbox disabled, not accepting messages',
  '2.2': 'mailbox full',
  '2.3': 'message length exceeds administrative limit',
  '2.4': 'mailing list expansion problem',

  '3.0': 'other or undefined mail system status',
  '3.1': 'mail system full',
  '3.2': 'system not accepting network messages',
  '3.3': 'system not capable of selected features',
  '3.4': 'message too big for system',
  '3.5': 'system incorrectly configured',

  '4.0': 'other or undefined network or routing status',
  '4.1': 'no answer from host',
  '4.2': 'bad connection',
  '4.3': 'directory server failure',
  '4.4': 'unable to route',
  '4.5': 'mail system congestion',
  '4.6': 'routing loop detected',
  '4.7': 'delivery time expired',

  '5.0': 'other or undefined protocol status',
  '5.1': 'invalid command',
  '5.2': 'syntax error',
  '5.3': 'too many recipients',
  '5.4': 'invalid command arguments',
  '5.5': 'wrong protocol version',

  '6.0': 'other or undefined media error',
  '6.1': 'media not supported',
  '6.2': 'conversion required and prohibited',
  '6.3': 'conversion required but not supported',
  '6.4': 'conversion with loss performed',
  '6.5': 'conversion failed',

  // RFC 4954 uses 5.7.0 with 530 for "authentication required".
  '7.0': 'other or undefined security status (authentication required, with 530)',
  '7.1': 'delivery not authorized, message refused (relay denied)',
  '7.2': 'mailing list expansion prohibited',
  '7.3': 'security conversion required but not possible',
  '7.4': 'security features not supported',
  '7.5': 'cryptographic failure',
  '7.6': 'cryptographic algorithm not supported',
  '7.7': 'message integrity failure',
  '7.8': 'authentication credentials invalid',
  '7.9': 'authentication mechanism is too weak',
  '7.10': 'encryption needed',
  '7.11': 'encryption required for requested authentication mechanism',
};

const enhancedCodePattern = /^([245])\.(\d{1,3})\.(\d{1,3})$/;

/**
 * What an enhanced code means, e.g. "5.7.1" -> "permanent failure: delivery not authorized, message
 * refused (relay denied)". Codes outside the tables still get their class and subject; a string that
 * is not an enhanced code gets undefined.
 */
export function describeEnhancedCode(code: string): string | undefined {
  const described = describedCodes.get(code);
  if (described !== undefined) {
    return described;
  }
  const description = describeUncached(code);
  if (description !== undefined && describedCodes.size < maxDescribedCodes) {
    describedCodes.set(code, description);
  }
  return description;
}

/**
 * One description string per code, shared by every reply that carries it: an annotated transcript of a
 * million lines repeats a handful of codes. Bounded, so odd input cannot grow it without end.
 */
const describedCodes = new Map<string, string>();
const maxDescribedCodes = 1000;

function describeUncached(code: string): string | undefined {
  const match = enhancedCodePattern.exec(code);
  if (!match) {
    return undefined;
  }
  const [, codeClass, subject, detail] = match;
  const classMeaning = classMeanings[codeClass];
  const detailMeaning = detailMeanings[`${Number(subject)}.${Number(detail)}`];
  if (detailMeaning) {
    return `${classMeaning}: ${detailMeaning}`;
  }
  const subjectMeaning = subjectMeanings[String(Number(subject))];
  if (subjectMeaning) {
    return `${classMeaning}: ${subjectMeaning} (detail ${detail} is not in RFC 3463)`;
  }
  return `${classMeaning} (subject ${subject} is not in RFC 3463)`;
}

/** Only the detail meaning, without the class: "delivery not authorized, message refused (relay denied)". */
export function describeEnhancedDetail(code: string): string | undefined {
  const match = enhancedCodePattern.exec(code);
  if (!match) {
    return undefined;
  }
  return detailMeanings[`${Number(match[2])}.${Number(match[3])}`];
}
