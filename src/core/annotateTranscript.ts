import type { ReplyClass, ReplySignal } from './classification';
import { classifyReply } from './classifyReply';
import { pairCommandsAndReplies, type CommandReplyPair } from './commandReplyPairs';
import { inferLocalDomains } from './localDomains';
import { PairedReplyClassifier, wireReply } from './pairedReplyClassifier';
import type { SmtpReply } from './reply';
import { commandKindOf } from './smtpCommand';
import { parseAnyTranscript, type ImportedTranscript } from './transcriptImport';

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

/** Reads any transcript (ours, swaks, telnet paste) and gives every reply its verdict, in order. */
export function annotateTranscript(text: string, options: AnnotateOptions = {}): AnnotatedReply[] {
  return annotateImportedTranscript(parseAnyTranscript(text), options).replies;
}

/**
 * The same for a transcript already imported; also says which local domains the verdicts used. One pass
 * to pair commands and replies, one to classify: linear in the transcript's length.
 */
export function annotateImportedTranscript(imported: ImportedTranscript, options: AnnotateOptions = {}): TranscriptAnnotation {
  const pairs = pairCommandsAndReplies(imported.events, imported.positions);
  const configured = options.localDomains ?? [];
  const localDomains = inferLocalDomains(findGreeting(pairs), findEhloReply(pairs), configured);
  const classifier = new PairedReplyClassifier(classifyReply);
  const replies = pairs.map((pair) => annotatePair(pair, localDomains, classifier));
  return { replies, localDomains, localDomainsInferred: configured.length === 0 };
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

function findGreeting(pairs: readonly CommandReplyPair[]): SmtpReply | undefined {
  const greeting = pairs.find((pair) => pair.command === '');
  return greeting === undefined ? undefined : wireReply(greeting.reply);
}

function findEhloReply(pairs: readonly CommandReplyPair[]): SmtpReply | undefined {
  const ehlo = pairs.find((pair) => {
    const kind = pair.command === undefined ? undefined : commandKindOf(pair.command);
    return (kind === 'ehlo' || kind === 'helo') && pair.reply.code === 250;
  });
  return ehlo === undefined ? undefined : wireReply(ehlo.reply);
}

// classifyReply also reads qmail's "(#5.7.1)"; that code was sent too, not inferred.
function sentQmailStyle(reply: SmtpReply): boolean {
  return /\(#[245]\.\d{1,3}\.\d{1,3}\)/.test(reply.text);
}
