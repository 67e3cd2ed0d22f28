import { isIP } from 'node:net';
import type { ReplyClass, ReplySignal } from '../relay/classification';
import { classifyReply } from '../relay/classifyReply';
import { CommandReplyPairer, type CommandReplyPair } from './commandReplyPairs';
import { isNeutralReply, PairedReplyClassifier, wireReply, type ClassifiedPair } from './pairedReplyClassifier';
import type { ControlState } from '../relay/relayOutcome';
import { classificationDomains, resolveRelayParameters } from '../relay/relayParameters';
import type { RelayTestGroup, RelayTestOutcome } from '../relay/relayTypes';
import type { SmtpReply } from '../protocol/reply';
import { commandKindOf } from '../protocol/smtpCommand';
import {
  controlStateOfOutcome,
  decideTestWithProof,
  groupOfTest,
  parseDeliveryEvidenceNote,
  parseTestRetryNote,
  parseTestStartNote,
  type TestStep,
} from '../relay/testOutcome';
import type { TranscriptSourcePosition } from './transcriptFormat';
import type { TranscriptEvent, TranscriptHeader } from './transcriptEvent';
import { visitAnyTranscript, visitAnyTranscriptLines, type ImportedTranscript, type TranscriptLineSource } from './transcriptImport';
import { localDomainsOfHeader } from './transcriptLocalDomains';

/**
 * One reply of a transcript with its verdict. Lines are 1-based; columns are 0-based UTF-16 offsets into
 * the reply's first line, end exclusive, so an editor range is (line - 1, startColumn)..(line - 1, endColumn).
 */
export interface AnnotatedReply {
  /** First line of the reply. */
  line: number;
  /** Last line of the reply (the same as `line` for a one-line reply). */
  endLine: number;
  startColumn: number;
  endColumn: number;
  code: number;
  /** The enhanced code the server sent, or the one RFC 3463 suggests for the basic code (see enhancedInferred). */
  enhanced?: string;
  enhancedInferred: boolean;
  enhancedMeaning?: string;
  class: ReplyClass;
  temporary: boolean;
  reason: string;
  signals: ReplySignal[];
  /** The command this reply answers, as written in the transcript; "" for the greeting; absent when unknown. */
  command?: string;
  /** The line of that command, when there is one. */
  commandLine?: number;
  /** What is malformed about the reply (bare LF, no last line, mixed codes). */
  problems?: string[];
  /**
   * The reply decides nothing about relay (the greeting, EHLO, RSET, an accepted MAIL, QUIT...): faces tag it
   * neutrally ("ok") and give it no relay wording. Refusals and the replies to RCPT and to the end of a
   * message are never neutral.
   */
  neutral: boolean;
  /** No command was waiting for this reply (a second answer after a 550, a 250 before EHLO): kept and flagged. */
  unsolicited?: boolean;
  /** The test whose section this reply is in (after `=== test <id>: …`). */
  test?: string;
  /** Set on the reply a test's outcome rests on: that outcome, as the runner decided it live. */
  decides?: { id: string; outcome: RelayTestOutcome; reason: string };
  /**
   * Set on the replies of a test that delivery settled (the lab outbox recorded in the transcript): the doubt
   * a bare 250 at RCPT or at the end of the message leaves is answered by that proof.
   */
  settledByDelivery?: { id: string; outcome: RelayTestOutcome };
}

/** A test found in a transcript (its `=== test <id>: <title>` line) and its outcome, by the runner's own rule. */
export interface AnnotatedTest {
  id: string;
  title: string;
  group: RelayTestGroup;
  /** The line of its `=== test` event. */
  line: number;
  outcome: RelayTestOutcome;
  reason: string;
  /** The line of the reply the outcome rests on, when one decided it. */
  proofLine?: number;
}

export interface AnnotateOptions {
  /** The domains the server receives mail for; inferred from the greeting and EHLO reply when absent or empty. */
  localDomains?: readonly string[];
}

export interface TranscriptAnnotation {
  replies: AnnotatedReply[];
  /** The tests the transcript marks, in order, each decided as the live run decided it. */
  tests: AnnotatedTest[];
  /** The domains the verdicts took as local (the server's own name and address count too). */
  localDomains: string[];
  localDomainsInferred: boolean;
  /** The domains came from the transcript's `=== local-domains:` header. */
  localDomainsFromHeader: boolean;
  /** Streaming only: tests past the first maxKeptTests, counted and not kept in `tests`. */
  testsNotKept?: number;
}

/**
 * Reads any transcript (ours, swaks, telnet paste) and gives every reply its verdict, in order. Events
 * go straight from the reader to the pairer and the classifier: only the verdicts are kept.
 */
export function annotateTranscript(text: string, options: AnnotateOptions = {}): AnnotatedReply[] {
  return annotateTranscriptText(text, options).replies;
}

/** annotateTranscript with the tests the transcript holds, each with its outcome, and the local domains used. */
export function annotateTranscriptText(text: string, options: AnnotateOptions = {}): TranscriptAnnotation {
  let annotator = new EventAnnotator(options);
  let header: TranscriptHeader | undefined;
  visitAnyTranscript(text, {
    event: (event, position) => annotator.read(event, position),
    startOver: () => {
      annotator = new EventAnnotator(options);
      if (header !== undefined) {
        annotator.useHeader(header);
      }
    },
    header: (read) => {
      header = read;
      annotator.useHeader(read);
    },
  });
  return annotator.finish();
}

/**
 * The same for a transcript already imported; also says which local domains the verdicts used. One pass:
 * each reply is classified as soon as it is paired, so no list of pairs outlives the walk and the cost
 * stays linear in the transcript's length.
 */
export function annotateImportedTranscript(imported: ImportedTranscript, options: AnnotateOptions = {}): TranscriptAnnotation {
  const annotator = new EventAnnotator(options);
  if (imported.header !== undefined) {
    annotator.useHeader(imported.header);
  }
  const { events, positions } = imported;
  for (let index = 0; index < events.length; index += 1) {
    annotator.read(events[index], positions[index]);
  }
  return annotator.finish();
}

/**
 * annotateTranscriptText for a transcript read line by line (`annotate` on a file of hundreds of
 * megabytes): each reply goes to `onReply` in order as soon as it is final, and is not kept, so the
 * result's `replies` is empty. A reply inside a test is final when the test ends (the reply a test's
 * outcome rests on is marked then). Pairs that wait for the local domains are settled after
 * maxWaitingItems if the greeting or the EHLO reply has not come by then, so memory stays bounded.
 */
export async function annotateTranscriptLines(
  lines: TranscriptLineSource,
  onReply: (reply: AnnotatedReply) => void,
  options: AnnotateOptions = {},
): Promise<TranscriptAnnotation> {
  const annotator = new EventAnnotator(options, onReply);
  await visitAnyTranscriptLines(lines, {
    event: (event, position) => annotator.read(event, position),
    // The first pass decided the format before anything was visited: there is nothing to start over.
    startOver: () => undefined,
    header: (read) => annotator.useHeader(read),
  });
  return annotator.finish();
}

/** Streaming only: how many pairs and notes may wait for the greeting and EHLO reply that settle the local domains. */
const maxWaitingItems = 10_000;
/** Streaming only: how many tests the result keeps (a run has dozens; a hostile file could mark millions). */
const maxKeptTests = 10_000;

/** Pairs the events of a transcript, in order, and annotates each reply as soon as it is paired. */
class EventAnnotator {
  private readonly annotator: PairAnnotator;
  private readonly pairer: CommandReplyPairer;

  constructor(options: AnnotateOptions, emit?: (reply: AnnotatedReply) => void) {
    const annotator = new PairAnnotator(options.localDomains ?? [], emit);
    this.annotator = annotator;
    this.pairer = new CommandReplyPairer((pair) => annotator.add({ pair }));
  }

  useHeader(header: TranscriptHeader): void {
    this.annotator.useHeader(header);
  }

  read(event: TranscriptEvent, position: TranscriptSourcePosition): void {
    const role = this.pairer.read(event, position);
    if (role === 'remark' && event.kind === 'info') {
      this.annotator.add({ note: event.text, line: position.line });
    }
  }

  finish(): TranscriptAnnotation {
    this.pairer.finish();
    return this.annotator.finish();
  }
}

/** What the annotator reads in order: a paired reply, or an info event (where a test starts, a connection). */
type AnnotatorItem = { pair: CommandReplyPair } | { note: string; line: number };

/** A test being read: its steps since its start (or its retry), and the replies they are. */
interface TestBeingRead {
  id: string;
  title: string;
  line: number;
  steps: TestStep[];
  replies: AnnotatedReply[];
  all: AnnotatedReply[];
}

/**
 * Annotates pairs in order. The verdicts need the local domains, which come from the first greeting and
 * the first EHLO reply when none are configured: pairs wait until both are seen (in a usual transcript,
 * the first few), or until the end when one of them never comes. The domains are the runner's
 * (classificationDomains): the local ones, plus the server's own name and address, so an address literal of
 * the server ([IP]) is local here exactly as it was in the live run.
 */
class PairAnnotator {
  private readonly classifier = new PairedReplyClassifier(classifyReply);
  private readonly replies: AnnotatedReply[] = [];
  private readonly tests: AnnotatedTest[] = [];
  private configured: readonly string[];
  private headerDomains = false;
  private localDomains: string[] | undefined;
  private classificationDomains: string[] | undefined;
  private waiting: AnnotatorItem[] = [];
  private greeting: CommandReplyPair | undefined;
  private ehloReply: CommandReplyPair | undefined;
  private serverAddress: string | undefined;
  private headerAddress: string | undefined;
  private test: TestBeingRead | undefined;
  private control: ControlState = 'not-run';

  /** Streaming: replies go here when final instead of into `replies` (see annotateTranscriptLines). */
  private readonly emit: ((reply: AnnotatedReply) => void) | undefined;
  private testsNotKept = 0;

  constructor(configured: readonly string[], emit?: (reply: AnnotatedReply) => void) {
    this.emit = emit;
    this.configured = configured;
    if (configured.length > 0) {
      this.localDomains = [...configured];
    }
  }

  useHeader(header: TranscriptHeader): void {
    const domains = localDomainsOfHeader(header);
    if (this.configured.length === 0 && domains !== undefined) {
      this.configured = domains;
      this.headerDomains = true;
      this.localDomains = [...domains];
    }
    this.headerAddress = ipAddressOfTarget(header.target);
  }

  add(item: AnnotatorItem): void {
    if ('note' in item && this.serverAddress === undefined) {
      this.serverAddress = connectedAddressOf(item.note);
    }
    if (this.classificationDomains !== undefined) {
      this.handle(item);
      return;
    }
    this.waiting.push(item);
    if ('pair' in item) {
      if (this.greeting === undefined && isGreeting(item.pair)) {
        this.greeting = item.pair;
      }
      if (this.ehloReply === undefined && isEhloReply(item.pair)) {
        this.ehloReply = item.pair;
      }
    }
    if ((this.greeting !== undefined && this.ehloReply !== undefined) || (this.emit !== undefined && this.waiting.length >= maxWaitingItems)) {
      this.settleLocalDomains();
    }
  }

  finish(): TranscriptAnnotation {
    if (this.classificationDomains === undefined) {
      this.settleLocalDomains();
    }
    this.finishTest();
    return {
      replies: this.replies,
      tests: this.tests,
      localDomains: this.localDomains ?? [],
      localDomainsInferred: this.configured.length === 0,
      localDomainsFromHeader: this.headerDomains,
      ...(this.testsNotKept > 0 ? { testsNotKept: this.testsNotKept } : {}),
    };
  }

  private settleLocalDomains(): void {
    const parameters = resolveRelayParameters(
      {
        localDomains: [...this.configured],
        localUser: '',
        remoteDomain: '',
        remoteUser: '',
        serverAddress: this.serverAddress ?? this.headerAddress ?? '',
        heloName: '',
        addressForm: 'bracketed',
      },
      { greeting: wireReplyOf(this.greeting), ehloReply: wireReplyOf(this.ehloReply) },
    );
    this.localDomains = parameters.localDomains;
    this.classificationDomains = classificationDomains(parameters);
    const waiting = this.waiting;
    this.waiting = [];
    for (const item of waiting) {
      this.handle(item);
    }
  }

  private handle(item: AnnotatorItem): void {
    if ('note' in item) {
      const started = parseTestStartNote(item.note);
      if (started !== undefined) {
        this.finishTest();
        this.test = { id: started.id, title: started.title, line: item.line, steps: [], replies: [], all: [] };
      } else if (this.test !== undefined && parseDeliveryEvidenceNote(item.note)?.id === this.test.id) {
        // What the runner's delivery check found goes with the end of the message it followed, as live.
        const endOfMessage = this.test.steps.at(-1);
        if (endOfMessage !== undefined && commandKindOf(endOfMessage.command) === 'end-of-data') {
          endOfMessage.delivered = parseDeliveryEvidenceNote(item.note)!.delivered;
        }
      } else if (this.test !== undefined && parseTestRetryNote(item.note) === this.test.id) {
        // Only the last attempt decides, as in the runner.
        this.test.steps = [];
        this.test.replies = [];
      }
      return;
    }
    const { pair } = item;
    const classified = this.classifier.next(pair, this.classificationDomains!);
    const annotated = annotatePair(pair, classified);
    const test = this.test;
    if (this.emit === undefined) {
      this.replies.push(annotated);
    } else if (test === undefined) {
      this.emit(annotated);
    }
    if (test === undefined) {
      return;
    }
    annotated.test = test.id;
    test.all.push(annotated);
    const kind = pair.command === undefined ? undefined : commandKindOf(pair.command);
    if (annotated.unsolicited === true || (kind !== undefined && stepKinds.has(kind))) {
      const step: TestStep = { command: classified.command ?? '', reply: classified.reply, classification: classified.classification };
      if (annotated.unsolicited === true) {
        step.unsolicited = true;
      }
      test.steps.push(step);
      test.replies.push(annotated);
    }
  }

  private finishTest(): void {
    const test = this.test;
    if (test === undefined) {
      return;
    }
    this.test = undefined;
    const group = groupOfTest(test.id);
    const decided = decideTestWithProof(group, test.steps, this.control);
    const annotatedTest: AnnotatedTest = {
      id: test.id,
      title: test.title,
      group,
      line: test.line,
      outcome: decided?.decision.outcome ?? 'error',
      reason: decided?.decision.reason ?? 'Interrupted: the transcript holds no answer that decides this test.',
    };
    if (decided !== undefined) {
      const proof = test.replies[test.steps.indexOf(decided.step)];
      if (proof !== undefined) {
        annotatedTest.proofLine = proof.line;
        proof.decides = { id: test.id, outcome: annotatedTest.outcome, reason: annotatedTest.reason };
      }
      if (decided.step.delivered !== undefined) {
        for (const reply of test.replies) {
          reply.settledByDelivery = { id: test.id, outcome: annotatedTest.outcome };
        }
      }
    }
    if (group === 'control') {
      this.control = controlStateOfOutcome(annotatedTest.outcome);
    }
    if (this.emit === undefined || this.tests.length < maxKeptTests) {
      this.tests.push(annotatedTest);
    } else {
      // Streaming a file that marks more tests than any run makes: the rest are counted, not kept.
      this.testsNotKept += 1;
    }
    if (this.emit !== undefined) {
      for (const reply of test.all) {
        this.emit(reply);
      }
    }
  }
}

/** The commands whose replies are steps of a test; the rest (EHLO after a reconnect, QUIT) decide nothing. */
const stepKinds = new Set(['rset', 'mail', 'rcpt', 'data', 'end-of-data']);

function annotatePair(pair: CommandReplyPair, classified: ClassifiedPair): AnnotatedReply {
  const { reply, classification } = classified;
  const kind = pair.command === undefined ? undefined : commandKindOf(pair.command);
  const annotated: AnnotatedReply = {
    line: pair.firstLine.line,
    endLine: pair.lastLine.line,
    startColumn: pair.firstLine.startColumn,
    endColumn: pair.firstLine.endColumn,
    code: reply.code,
    // classifyReply keeps what the server wrote (enhanced) apart from what RFC 3463 suggests (inferredEnhanced).
    enhancedInferred: classification.enhanced === undefined && classification.inferredEnhanced !== undefined,
    class: classification.class,
    temporary: classification.temporary,
    reason: classification.reason,
    signals: classification.signals,
    neutral: isNeutralReply(kind, classification),
  };
  const enhanced = classification.enhanced ?? classification.inferredEnhanced;
  if (enhanced !== undefined) {
    annotated.enhanced = enhanced;
  }
  if (classification.enhancedMeaning !== undefined) {
    annotated.enhancedMeaning = classification.enhancedMeaning;
  }
  if (pair.command !== undefined) {
    annotated.command = pair.command;
  } else if (pair.unsolicited) {
    annotated.unsolicited = true;
  }
  if (pair.commandPosition !== undefined) {
    annotated.commandLine = pair.commandPosition.line;
  }
  if (pair.reply.problems !== undefined) {
    annotated.problems = pair.reply.problems;
  }
  return annotated;
}

function isGreeting(pair: CommandReplyPair): boolean {
  return pair.command === '';
}

function isEhloReply(pair: CommandReplyPair): boolean {
  const kind = pair.command === undefined ? undefined : commandKindOf(pair.command);
  return (kind === 'ehlo' || kind === 'helo') && pair.reply.code === 250;
}

function wireReplyOf(pair: CommandReplyPair | undefined): SmtpReply | undefined {
  return pair === undefined ? undefined : wireReply(pair.reply);
}

/**
 * The address a session connected to, from our engine's "connected to 192.0.2.1:25" or "connected to
 * mx.example.com:25 (192.0.2.1:25)", or telnet's "Trying 192.0.2.1...": the address the runner used for
 * the server's own IP literal.
 */
export function connectedAddressOf(note: string): string | undefined {
  const ours = /^connected to (\S+)(?: \((\S+)\))?$/.exec(note);
  if (ours) {
    return ipAddressOfTarget(ours[2] ?? ours[1]);
  }
  const telnet = /^Trying ([0-9a-fA-F:.]+)\.\.\.$/.exec(note);
  return telnet && isIP(telnet[1]) !== 0 ? telnet[1] : undefined;
}

/** The IP of "192.0.2.1:25" or "[2001:db8::1]:25"; undefined for a name. */
function ipAddressOfTarget(target: string | undefined): string | undefined {
  if (target === undefined) {
    return undefined;
  }
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(target);
  const host = bracketed ? bracketed[1] : target.replace(/:\d+$/, '');
  return isIP(host) !== 0 ? host : undefined;
}
