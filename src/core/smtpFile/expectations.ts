import { displayText } from '../protocol/displayText';
/**
 * `# @expect X` in a .smtp file: what the reply to the next command must be. No `vscode` here: the editor's
 * Run File and the CLI's `run` judge replies with this one module.
 *
 * X is one or more alternatives joined by `|`, any of which may hold:
 *   454            a reply code
 *   2xx, 4xx, 5xx  a class of code (also 3xx)
 *   rejection, acceptance, ndr-pending       the classifier's reply class (KB 304897)
 *   relay-denied, relayed, harvest, ...      a diagnostic code of the README's table (replyFindingCodes)
 */
import type { Classification } from '../relay/classification';
import type { SmtpReply } from '../protocol/reply';

/**
 * The codes of the reply diagnostics (the README's table, src/extension/ids.ts diagnosticCodes; a unit test
 * keeps the two lists equal), each with the test a classified reply must pass to carry it.
 */
const findingTests = {
  relayed: (c: Classification) => c.signals.includes('relay'),
  'ndr-pending': (c: Classification) => c.class === 'ndr-pending',
  harvest: (c: Classification) => c.signals.includes('harvest'),
  'service-closing': (c: Classification) => c.signals.includes('service-closing'),
  syntax: (c: Classification) => c.signals.includes('syntax'),
  'relay-denied': (c: Classification) => c.signals.includes('relay-denied'),
  'auth-required': (c: Classification) => c.signals.includes('auth-required'),
  rejected: (c: Classification) => c.class === 'rejection' && !c.temporary,
  'temporary-failure': (c: Classification) => c.class === 'rejection' && c.temporary,
  accepted: (c: Classification) => c.class === 'acceptance' && !c.signals.includes('relay'),
  'protocol-violation': (c: Classification) => (c.signals as readonly string[]).includes('protocol-violation'),
} as const;

export type ReplyFindingCode = keyof typeof findingTests;
export const replyFindingCodes = Object.keys(findingTests) as ReplyFindingCode[];

export const replyClassNames = ['rejection', 'acceptance', 'ndr-pending'] as const;

export type ExpectedAlternative =
  | { kind: 'code'; code: number }
  | { kind: 'code-class'; digit: number }
  | { kind: 'reply-class'; replyClass: Classification['class'] }
  | { kind: 'finding'; finding: ReplyFindingCode };

export interface Expectation {
  /** As written after `@expect`, trimmed: "454|relay-denied". */
  text: string;
  alternatives: ExpectedAlternative[];
}

/** Parses what follows `@expect`; an error sentence for a person when it is empty or holds a word we do not know. */
export function parseExpectation(text: string): Expectation | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') {
    return { error: '@expect needs what the reply must be: a code (454), a class (2xx, 5xx), rejection, acceptance, ndr-pending, or a diagnostic code such as relay-denied' };
  }
  const alternatives: ExpectedAlternative[] = [];
  for (const word of trimmed.split('|').map((part) => part.trim())) {
    const alternative = parseAlternative(word);
    if (!alternative) {
      return {
        error:
          word === ''
            ? `@expect ${trimmed}: an empty alternative between "|"`
            : `@expect: "${word}" is not a reply code (250), a class (2xx), a reply class (${replyClassNames.join(', ')}) or a diagnostic code (${replyFindingCodes.join(', ')})`,
      };
    }
    alternatives.push(alternative);
  }
  return { text: trimmed, alternatives };
}

function parseAlternative(word: string): ExpectedAlternative | undefined {
  const lower = word.toLowerCase();
  if (/^[2-5]\d\d$/.test(lower)) {
    return { kind: 'code', code: Number(lower) };
  }
  if (/^[2-5]xx$/.test(lower)) {
    return { kind: 'code-class', digit: Number(lower[0]) };
  }
  if ((replyClassNames as readonly string[]).includes(lower)) {
    return { kind: 'reply-class', replyClass: lower as Classification['class'] };
  }
  if ((replyFindingCodes as readonly string[]).includes(lower)) {
    return { kind: 'finding', finding: lower as ReplyFindingCode };
  }
  return undefined;
}

/** Whether a reply, as the classifier read it, meets any alternative of the expectation. */
export function replyMeets(expectation: Expectation, reply: SmtpReply, classification: Classification): boolean {
  return expectation.alternatives.some((alternative) => {
    switch (alternative.kind) {
      case 'code':
        return reply.code === alternative.code;
      case 'code-class':
        return Math.floor(reply.code / 100) === alternative.digit;
      case 'reply-class':
        return classification.class === alternative.replyClass;
      case 'finding':
        return findingTests[alternative.finding](classification);
    }
  });
}

/** A reply in one line for a message, its text cut and its controls shown as escapes: "454 4.7.1 Relay access denied". */
export function replyInOneLine(reply: SmtpReply, limit = 200): string {
  const head = [String(reply.code), reply.enhanced].filter((part) => part !== undefined).join(' ');
  return textInOneLine(`${head} ${reply.text}`.trim(), limit);
}

/**
 * Server (or file) text made safe to print on one line: line breaks as " / ", cut at `limit`, then every
 * control, bidi, zero-width and separator character spelt out by displayText, as everywhere else.
 */
export function textInOneLine(text: string, limit = 200): string {
  const line = text.replace(/\s*\n\s*/g, ' / ');
  return displayText(line.length > limit ? `${line.slice(0, limit)}…` : line);
}
