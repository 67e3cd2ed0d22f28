import { readFile } from 'node:fs/promises';
import { annotateTranscriptText, type AnnotatedReply } from '../core/annotateTranscript';
import { CliRuntimeError, type CliContext } from './cliContext';
import { listValues, parseCommandArguments, UsageError } from './commandLineArguments';
import { exitCodes } from './exitCodes';

export const annotateHelp = `Usage: smtp-relay-lab annotate FILE [--local-domain DOMAIN] [--json]

Reads a transcript (ours, a swaks run, or a telnet session pasted into a file) and gives every server
reply its verdict: line, code, enhanced code, class (rejection, acceptance, ndr-pending) and the reason.

  --local-domain DOMAIN     a domain the server receives mail for; repeatable or a comma list.
                            Default: inferred from the banner and EHLO reply in the transcript
  --json                    print an array of { line, code, enhanced, class, temporary, reason }
  -h, --help                show this help

Exit codes: 0 done, 3 the file cannot be read, 64 usage error.
`;

const annotateOptions = {
  'local-domain': { type: 'string', multiple: true },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** One element of `annotate --json`. */
export interface AnnotatedReplyJson {
  line: number;
  code: number;
  /** Only the code the server wrote; null when it wrote none. */
  enhanced: string | null;
  /** When it wrote none: the code RFC 3463 suggests, marked as inferred. */
  inferredEnhanced?: string;
  class: AnnotatedReply['class'];
  temporary: boolean;
  reason: string;
}

export async function runAnnotateCommand(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArguments('annotate', args, annotateOptions, true);
  if (values.help) {
    context.out(annotateHelp);
    return exitCodes.ok;
  }
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'annotate needs a transcript FILE' : `annotate takes one FILE, not ${positionals.length}`);
  }
  const file = positionals[0];
  const text = await readTranscriptFile(file);
  const localDomains = listValues(values['local-domain']);
  const annotation = annotateTranscriptText(text, localDomains.length > 0 ? { localDomains } : {});
  const replies = annotation.replies;

  if (values.json) {
    const json: AnnotatedReplyJson[] = replies.map((reply) => ({
      line: reply.line,
      code: reply.code,
      // Only the code the server wrote; an inferred one is marked as such.
      enhanced: reply.enhancedInferred ? null : (reply.enhanced ?? null),
      ...(reply.enhancedInferred && reply.enhanced !== undefined ? { inferredEnhanced: reply.enhanced } : {}),
      class: reply.class,
      temporary: reply.temporary,
      reason: reply.reason,
    }));
    context.out(`${JSON.stringify(json, null, 2)}\n`);
    return exitCodes.ok;
  }
  if (replies.length === 0) {
    context.err(`no SMTP replies found in ${file}\n`);
    return exitCodes.ok;
  }
  const lineWidth = String(Math.max(...replies.map((reply) => reply.line))).length;
  for (const reply of replies) {
    // A reply that decides nothing about relay reads "ok", as in the terminal; one no command asked for, "unsolicited".
    const verdict = reply.unsolicited === true ? 'unsolicited' : reply.neutral ? 'ok' : `${reply.class}${reply.temporary ? ' (temporary)' : ''}`;
    context.out(`${String(reply.line).padStart(lineWidth)}  ${reply.code} ${((reply.enhancedInferred ? undefined : reply.enhanced) ?? '-').padEnd(7)} ${verdict.padEnd(23)} ${reply.reason}\n`);
  }
  if (annotation.tests.length > 0) {
    // A saved run marks its tests (=== test kb1: …): each is decided by the runner's own rule, as it was live.
    const idWidth = Math.max(...annotation.tests.map((test) => test.id.length));
    context.out('\nTests (decided as the live run decides them):\n');
    for (const test of annotation.tests) {
      context.out(`  ${test.id.padEnd(idWidth)}  ${test.outcome.padEnd(18)} ${test.reason}\n`);
    }
  }
  return exitCodes.ok;
}

async function readTranscriptFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new CliRuntimeError(`cannot read ${file}: ${reason}`);
  }
}
