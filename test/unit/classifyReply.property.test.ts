/**
 * Fuzzing the classifier with fast-check: every reply, to any command, in any context, gets exactly one
 * of the KB's three classes, and the class, the signals and the temporary flag never contradict the
 * reply code. The cases in test/fixtures/fuzz-corpus/classifier/ are replayed on every run, with the
 * class (and signals) they must get. Bounded by numRuns, never by time.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { Classification, ReplyClass, ReplyContext, ReplySignal } from '../../src/core/relay/classification';
import { classifyReply } from '../../src/core/relay/classifyReply';
import type { SmtpReply } from '../../src/core/protocol/reply';
import { ReplyParser } from '../../src/core/protocol/replyParser';
import { commandKindOf } from '../../src/core/protocol/smtpCommand';

const corpusDirectory = path.resolve(__dirname, '../../../test/fixtures/fuzz-corpus/classifier');

const replyClasses: readonly ReplyClass[] = ['rejection', 'acceptance', 'ndr-pending'];
const knownSignals: readonly ReplySignal[] = [
  'relay',
  'relay-denied',
  'harvest',
  'auth-required',
  'syntax',
  'service-closing',
  'local-domain-appended',
  'local-recipient',
  'ambiguous',
  'protocol-violation',
  'sequence',
];
/** Signals that explain a refusal, and so only ever come with a rejection. */
const refusalSignals: readonly ReplySignal[] = ['relay-denied', 'harvest', 'auth-required', 'syntax', 'service-closing', 'sequence'];

// ---- generators ----

const domain = fc.oneof(
  fc.constantFrom('example.com', 'EXAMPLE.COM', 'mail.example.com', 'example.net', 'example.org', 'corp.test', '[127.0.0.1]', '[IPv6:::1]', '[10.0.0.1]', ''),
  fc.stringMatching(/^[a-z0-9.-]{1,20}$/),
);
const localPart = fc.oneof(
  fc.constantFrom('postmaster', 'victim', 'a%example.net', '"victim@example.net"', '"a b"', 'example.net!victim', '@[127.0.0.1]:victim', ''),
  fc.stringMatching(/^[a-zA-Z0-9.%!"+_-]{1,12}$/),
);
const address = fc.oneof(
  fc.tuple(localPart, domain).map(([local, at]) => (at === '' ? local : `${local}@${at}`)),
  fc.tuple(localPart, domain, domain).map(([local, first, second]) => `${local}@${first}@${second}`),
  fc.string({ maxLength: 20 }).map((text) => text.replace(/[\r\n]/g, '')),
);

/** Command lines as the session records them (one line each), the greeting's "" and the end of data's ".". */
const command = fc.oneof(
  fc.constantFrom('', '.', 'EHLO client.example.org', 'HELO client.example.org', 'DATA', 'RSET', 'QUIT', 'NOOP', 'STARTTLS', 'VRFY postmaster', 'AUTH PLAIN <redacted>', '(no command)'),
  address.map((to) => `RCPT TO:<${to}>`),
  address.map((to) => `RCPT TO:${to}`),
  address.map((from) => `MAIL FROM:<${from}>`),
  fc.string({ maxLength: 30 }).map((text) => text.replace(/[\r\n]/g, '')),
);

const replyTextPiece = fc.oneof(
  fc.constantFrom(
    'Relay access denied',
    'Unable to relay for victim@example.net',
    'relay not permitted',
    "sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
    'User unknown',
    'Recipient address rejected: User unknown in local recipient table',
    'Must issue a STARTTLS command first',
    'Authentication required',
    'Ok',
    'Sender OK',
    'Queued mail for delivery',
  ),
  address.map((echo) => `<${echo}>`),
  address,
  fc.string({ maxLength: 20 }).map((text) => text.replace(/[\r\n]/g, '')),
);

const replyCode = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 454, 500, 501, 502, 503, 530, 550, 551, 552, 553, 554, 555) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 999 }) },
);
const enhancedCode = fc.tuple(fc.constantFrom(2, 4, 5), fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 })).map((parts) => parts.join('.'));

/** Replies as the engine hands them over: wire lines through the real parser. */
const parsedReply: fc.Arbitrary<SmtpReply> = fc
  .record({
    code: replyCode,
    enhanced: fc.option(enhancedCode, { nil: undefined }),
    lines: fc.array(fc.array(replyTextPiece, { maxLength: 4 }).map((pieces) => pieces.join(' ')), { minLength: 1, maxLength: 3 }),
  })
  .map(({ code, enhanced, lines }) => {
    const digits = String(code).padStart(3, '0');
    const wire = lines
      .map((line, index) => `${digits}${index === lines.length - 1 ? ' ' : '-'}${enhanced ? `${enhanced} ` : ''}${line}\r\n`)
      .join('');
    const replies: SmtpReply[] = [];
    const parser = new ReplyParser({ onLine: () => undefined, onReplyProblem: () => undefined, onReply: (reply) => replies.push(reply), onOverflow: () => undefined });
    parser.feed(Buffer.from(wire, 'utf8'));
    assert.equal(replies.length, 1, `the generator built one reply: ${JSON.stringify(wire)}`);
    return replies[0];
  });

/** Replies built directly, as a face could (a pasted transcript, an imported swaks log). */
const builtReply: fc.Arbitrary<SmtpReply> = fc
  .record({
    code: replyCode,
    enhanced: fc.option(enhancedCode, { nil: undefined }),
    lines: fc.array(replyTextPiece, { minLength: 1, maxLength: 3 }),
  })
  .map(({ code, enhanced, lines }) => ({ code, lines, text: lines.join('\n'), ...(enhanced === undefined ? {} : { enhanced }) }));

const context: fc.Arbitrary<ReplyContext> = fc
  .record({
    command,
    recipient: fc.option(address, { nil: undefined }),
    acceptedRecipients: fc.option(fc.array(address, { maxLength: 3 }), { nil: undefined }),
    localDomains: fc.array(domain, { maxLength: 3 }),
  })
  .map(({ recipient, acceptedRecipients, ...rest }) => ({
    ...rest,
    ...(recipient === undefined ? {} : { recipient }),
    ...(acceptedRecipients === undefined ? {} : { acceptedRecipients }),
  }));

// ---- the invariants every classification keeps ----

function assertConsistent(reply: SmtpReply, replyContext: ReplyContext, classification: Classification): void {
  assert.ok(replyClasses.includes(classification.class), `class ${String(classification.class)}`);
  // Evidence rules: a code outside 2yz-5yz, a 3yz to RCPT or lines with different codes break the protocol;
  // such a reply is never a refusal (it must not make a server look closed).
  const kind = commandKindOf(replyContext.command);
  const mixed = (reply.mixedCodes?.length ?? 0) > 1 || (reply.problems ?? []).some((problem) => problem.startsWith('reply lines carry different codes'));
  const violation = mixed || reply.code < 200 || reply.code >= 600 || (kind === 'rcpt' && reply.code >= 300 && reply.code < 400);
  assert.equal(classification.signals.includes('protocol-violation'), violation, `code ${reply.code} to ${replyContext.command}`);
  const refused = !violation && reply.code >= 400;
  assert.equal(classification.class === 'rejection', refused, `code ${reply.code} got ${classification.class}`);
  assert.equal(classification.temporary, reply.code >= 400 && reply.code < 500);

  assert.equal(new Set(classification.signals).size, classification.signals.length, 'no signal twice');
  for (const signal of classification.signals) {
    assert.ok(knownSignals.includes(signal), `unknown signal ${signal}`);
    if (refusalSignals.includes(signal)) {
      assert.equal(classification.class, 'rejection', `${signal} on a ${classification.class}`);
    }
  }
  assert.equal(classification.signals.includes('service-closing'), reply.code === 421 && !violation);
  if (classification.signals.includes('relay')) {
    assert.equal(classification.class, 'acceptance', 'relay is an acceptance, never NDR-pending');
  }

  if (classification.class === 'ndr-pending') {
    const recipientAccepted = kind === 'rcpt' && reply.code >= 200 && reply.code < 300;
    const messageAccepted = kind === 'end-of-data' && replyContext.acceptedRecipients !== undefined;
    assert.ok(recipientAccepted || messageAccepted, `NDR-pending for ${reply.code} to ${JSON.stringify(replyContext.command)}`);
  }

  if (classification.enhanced !== undefined) {
    assert.match(classification.enhanced, /^[245]\.\d{1,3}\.\d{1,3}$/);
    // Only what the server wrote: the parser's code, or qmail's (#x.y.z) in the text.
    assert.ok(classification.enhanced === reply.enhanced || reply.text.includes(`(#${classification.enhanced})`), classification.enhanced);
    assert.equal(classification.inferredEnhanced, undefined);
  }
  assert.equal(typeof classification.reason, 'string');
  assert.ok(classification.reason.startsWith(String(reply.code)), `the reason starts with the code: ${classification.reason}`);
}

describe('classifier properties', () => {
  test('every parsed reply to any command gets exactly one class, consistent with its code and signals', () => {
    fc.assert(
      fc.property(parsedReply, context, (reply, replyContext) => {
        assertConsistent(reply, replyContext, classifyReply(reply, replyContext));
      }),
      { numRuns: 2000 },
    );
  });

  test('replies built by hand (imports, pastes) keep the same invariants', () => {
    fc.assert(
      fc.property(builtReply, context, (reply, replyContext) => {
        assertConsistent(reply, replyContext, classifyReply(reply, replyContext));
      }),
      { numRuns: 1000 },
    );
  });

  test('classifying is a pure function: the same reply and context always give the same classification', () => {
    fc.assert(
      fc.property(parsedReply, context, (reply, replyContext) => {
        assert.deepEqual(classifyReply(reply, replyContext), classifyReply(structuredClone(reply), structuredClone(replyContext)));
      }),
      { numRuns: 300 },
    );
  });

  test('a 250 to RCPT for a recipient at a local domain is never called a relay', () => {
    // Balanced quotes only: an unclosed quote swallows the "@", and the address then has no domain at all.
    const balanced = (local: string): boolean => !local.includes('@') && (local.match(/"/g)?.length ?? 0) % 2 === 0;
    fc.assert(
      fc.property(localPart.filter(balanced), fc.constantFrom('example.com', 'EXAMPLE.com', '[127.0.0.1]'), (local, at) => {
        const recipient = `${local}@${at}`;
        const classification = classifyReply(
          { code: 250, lines: ['2.1.5 Ok'], text: 'Ok', enhanced: '2.1.5' },
          { command: `RCPT TO:<${recipient}>`, recipient, localDomains: ['example.com', '127.0.0.1'] },
        );
        assert.ok(!classification.signals.includes('relay'), `${recipient}: ${classification.reason}`);
      }),
      { numRuns: 300 },
    );
  });

  test('any 2yz to RCPT for a remote recipient is a relay, whatever the code (250, 251, 252, 299...)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 299 }), localPart.filter((local) => !local.includes('"')), (code, local) => {
        const recipient = `${local === '' ? 'victim' : local}@example.net`;
        const classification = classifyReply(
          { code, lines: ['Ok'], text: 'Ok' },
          { command: `RCPT TO:<${recipient}>`, recipient, localDomains: ['example.com'] },
        );
        assert.deepEqual(classification.signals, ['relay'], `${code} ${recipient}: ${classification.reason}`);
      }),
      { numRuns: 300 },
    );
  });
});

// ---- corpus ----

interface CorpusCase {
  /** Why this input is interesting. */
  about: string;
  reply: SmtpReply;
  context: ReplyContext;
  expect: { class: ReplyClass; signals?: ReplySignal[] };
}

describe('classifier fuzz corpus', () => {
  const files = readdirSync(corpusDirectory).filter((name) => name.endsWith('.json'));

  test('the corpus is there', () => {
    assert.ok(files.length >= 10, `only ${files.length} corpus files in ${corpusDirectory}`);
  });

  for (const name of files) {
    const corpusCase = JSON.parse(readFileSync(path.join(corpusDirectory, name), 'utf8')) as CorpusCase;
    test(`${name}: ${corpusCase.about}`, () => {
      const classification = classifyReply(corpusCase.reply, corpusCase.context);
      assertConsistent(corpusCase.reply, corpusCase.context, classification);
      assert.equal(classification.class, corpusCase.expect.class, classification.reason);
      if (corpusCase.expect.signals) {
        assert.deepEqual([...classification.signals].sort(), [...corpusCase.expect.signals].sort(), classification.reason);
      }
    });
  }
});
