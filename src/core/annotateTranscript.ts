import type { ReplyClass, ReplySignal } from './classification';
import { classifyReply } from './classifyReply';
import { CommandReplyPairer, type CommandReplyPair } from './commandReplyPairs';
import { inferLocalDomains } from './localDomains';
import { PairedReplyClassifier, wireReply } from './pairedReplyClassifier';
import type { SmtpReply } from './reply';
import { commandKindOf } from './smtpCommand';
import type { TranscriptSourcePosition } from './transcriptFormat';
import type { TranscriptEvent } from './transcriptEvent';
import { visitAnyTranscript, type ImportedTranscript } from './transcriptImport';

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
}

export interface AnnotateOptions {
  /** The domains the server receives mail for; inferred from the greeting and EHLO reply when absent or empty. */
  localDomains?: readonly string[];
}

export interface TranscriptAnnotation {
  replies: AnnotatedReply[];
  /** The domains the verdicts took as local. */
  localDomains: string[];
  localDomainsInferred: boolean;
}

/**
 * Reads any transcript (ours, swaks, telnet paste) and gives every reply its verdict, in order. Events
 * go straight from the reader to the pairer and the classifier: only the verdicts are kept.
 */
export function annotateTranscript(text: string, options: AnnotateOptions = {}): AnnotatedReply[] {
  let annotator = new EventAnnotator(options);
  visitAnyTranscript(text, {
    event: (event, position) => annotator.read(event, position),
    startOver: () => {
      annotator = new EventAnnotator(options);
    },
  });
  return annotator.finish().replies;
}

/**
 * The same for a transcript already imported; also says which local domains the verdicts used. One pass:
 * each reply is classified as soon as it is paired, so no list of pairs outlives the walk and the cost
 * stays linear in the transcript's length.
 */
export function annotateImportedTranscript(imported: ImportedTranscript, options: AnnotateOptions = {}): TranscriptAnnotation {
  const annotator = new EventAnnotator(options);
  const { events, positions } = imported;
  for (let index = 0; index < events.length; index += 1) {
    annotator.read(events[index], positions[index]);
  }
  return annotator.finish();
}

/** Pairs the events of a transcript, in order, and annotates each reply as soon as it is paired. */
class EventAnnotator {
  private readonly annotator: PairAnnotator;
  private readonly pairer: CommandReplyPairer;

  constructor(options: AnnotateOptions) {
    const annotator = new PairAnnotator(options.localDomains ?? []);
    this.annotator = annotator;
    this.pairer = new CommandReplyPairer((pair) => annotator.add(pair));
  }

  read(event: TranscriptEvent, position: TranscriptSourcePosition): void {
    this.pairer.read(event, position);
  }

  finish(): TranscriptAnnotation {
    this.pairer.finish();
    return this.annotator.finish();
  }
}

/**
 * Annotates pairs in order. The verdicts need the local domains, which come from the first greeting and
 * the first EHLO reply when none are configured: pairs wait until both are seen (in a usual transcript,
 * the first few), or until the end when one of them never comes.
 */
class PairAnnotator {
  private readonly classifier = new PairedReplyClassifier(classifyReply);
  private readonly replies: AnnotatedReply[] = [];
  private localDomains: string[] | undefined;
  private waiting: CommandReplyPair[] = [];
  private greeting: CommandReplyPair | undefined;
  private ehloReply: CommandReplyPair | undefined;

  constructor(private readonly configured: readonly string[]) {
    if (configured.length > 0) {
      this.localDomains = inferLocalDomains(undefined, undefined, configured);
    }
  }

  add(pair: CommandReplyPair): void {
    if (this.localDomains !== undefined) {
      this.replies.push(annotatePair(pair, this.localDomains, this.classifier));
      return;
    }
    this.waiting.push(pair);
    if (this.greeting === undefined && isGreeting(pair)) {
      this.greeting = pair;
    }
    if (this.ehloReply === undefined && isEhloReply(pair)) {
      this.ehloReply = pair;
    }
    if (this.greeting !== undefined && this.ehloReply !== undefined) {
      this.settleLocalDomains();
    }
  }

  finish(): TranscriptAnnotation {
    const localDomains = this.localDomains ?? this.settleLocalDomains();
    return { replies: this.replies, localDomains, localDomainsInferred: this.configured.length === 0 };
  }

  private settleLocalDomains(): string[] {
    const localDomains = inferLocalDomains(wireReplyOf(this.greeting), wireReplyOf(this.ehloReply), this.configured);
    this.localDomains = localDomains;
    for (const pair of this.waiting) {
      this.replies.push(annotatePair(pair, localDomains, this.classifier));
    }
    this.waiting = [];
    return localDomains;
  }
}

function annotatePair(pair: CommandReplyPair, localDomains: string[], classifier: PairedReplyClassifier): AnnotatedReply {
  const { reply, classification } = classifier.next(pair, localDomains);
  const annotated: AnnotatedReply = {
    line: pair.firstLine.line,
    endLine: pair.lastLine.line,
    startColumn: pair.firstLine.startColumn,
    endColumn: pair.firstLine.endColumn,
    code: reply.code,
    enhancedInferred: classification.enhanced !== undefined && pair.reply.enhanced === undefined && !sentQmailStyle(reply),
    class: classification.class,
    temporary: classification.temporary,
    reason: classification.reason,
    signals: classification.signals,
  };
  if (classification.enhanced !== undefined) {
    annotated.enhanced = classification.enhanced;
  }
  if (classification.enhancedMeaning !== undefined) {
    annotated.enhancedMeaning = classification.enhancedMeaning;
  }
  if (pair.command !== undefined) {
    annotated.command = pair.command;
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

// classifyReply also reads qmail's "(#5.7.1)"; that code was sent too, not inferred.
function sentQmailStyle(reply: SmtpReply): boolean {
  return /\(#[245]\.\d{1,3}\.\d{1,3}\)/.test(reply.text);
}
