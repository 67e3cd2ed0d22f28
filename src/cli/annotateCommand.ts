import { createReadStream } from 'node:fs';
import { annotateTranscriptLines, type AnnotatedReply } from '../core/transcript/annotateTranscript';
import { displayJson, displayText } from '../core/protocol/displayText';
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

Reads the file line by line and writes each verdict as it is made (also with --json), so a transcript of
hundreds of megabytes runs in bounded memory. Server text in the reasons is shown escaped.

Exit codes: 0 done, 1 the transcript shows a relay (a remote recipient accepted), 3 the file cannot be
read, 64 usage error.
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
  const lineCount = await countLines(file);
  const localDomains = listValues(values['local-domain']);
  const lineWidth = String(Math.max(1, lineCount)).length;
  let replyCount = 0;
  let relayShown = false;
  // Each reply is written as soon as it is final, so a file of hundreds of megabytes is never held.
  const write = (reply: AnnotatedReply): void => {
    relayShown ||= reply.signals.includes('relay');
    if (values.json) {
      context.out(`${replyCount === 0 ? '[\n' : ',\n'}${indented(displayJson(replyJson(reply), 2))}`);
    } else {
      // A reply that decides nothing about relay reads "ok", as in the terminal; one no command asked for, "unsolicited".
      const verdict = reply.unsolicited === true ? 'unsolicited' : reply.neutral ? 'ok' : `${reply.class}${reply.temporary ? ' (temporary)' : ''}`;
      context.out(`${String(reply.line).padStart(lineWidth)}  ${reply.code} ${((reply.enhancedInferred ? undefined : reply.enhanced) ?? '-').padEnd(7)} ${verdict.padEnd(23)} ${displayText(reply.reason)}\n`);
    }
    replyCount += 1;
  };
  const annotation = await annotateTranscriptLines(() => fileLines(file), write, localDomains.length > 0 ? { localDomains } : {});
  relayShown ||= annotation.tests.some((test) => test.outcome === 'failed');
  if (values.json) {
    context.out(replyCount === 0 ? '[]\n' : '\n]\n');
  } else if (replyCount === 0) {
    context.err(`no SMTP replies found in ${displayText(file)}\n`);
  } else if (annotation.tests.length > 0) {
    // A saved run marks its tests (=== test kb1: …): each is decided by the runner's own rule, as it was live.
    const idWidth = annotation.tests.reduce((width, test) => Math.max(width, test.id.length), 0);
    context.out('\nTests (decided as the live run decides them):\n');
    for (const test of annotation.tests) {
      context.out(`  ${displayText(test.id).padEnd(idWidth)}  ${test.outcome.padEnd(18)} ${displayText(test.reason)}\n`);
    }
    if (annotation.testsNotKept !== undefined) {
      context.out(`  … and ${annotation.testsNotKept} more tests, not listed\n`);
    }
  }
  // Like relay: 1 when the transcript shows the server relaying (a remote recipient accepted).
  return relayShown ? exitCodes.open : exitCodes.ok;
}

function replyJson(reply: AnnotatedReply): AnnotatedReplyJson {
  return {
    line: reply.line,
    code: reply.code,
    // Only the code the server wrote; an inferred one is marked as such.
    enhanced: reply.enhancedInferred ? null : (reply.enhanced ?? null),
    ...(reply.enhancedInferred && reply.enhanced !== undefined ? { inferredEnhanced: reply.enhanced } : {}),
    class: reply.class,
    temporary: reply.temporary,
    reason: reply.reason,
  };
}

/** An element of the top-level array, indented as JSON.stringify(array, null, 2) would. */
function indented(json: string): string {
  return json
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** The longest line kept whole, in bytes; the rest of a longer one is dropped (no transcript line of ours comes near). */
const maxLineBytes = 4 * 1024 * 1024;

/**
 * The file's lines as splitTranscriptLines gives them (LF or CRLF, BOM dropped), read in chunks. Each line
 * is decoded from its own bytes, so it is a string of its own and not a slice that keeps a whole chunk
 * alive for as long as a verdict quotes part of it. Read errors become one-line messages.
 */
async function* fileLines(file: string): AsyncGenerator<string> {
  const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let first = true;
  const line = (tail: Buffer): string => {
    const bytes = pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingLength = 0;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) {
      end -= 1;
    }
    let start = 0;
    if (first) {
      first = false;
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
        start = 3;
      }
    }
    return bytes.toString('utf8', start, Math.max(start, end));
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let lineFeed = chunk.indexOf(0x0a); lineFeed !== -1; lineFeed = chunk.indexOf(0x0a, start)) {
        yield line(chunk.subarray(start, lineFeed));
        start = lineFeed + 1;
      }
      const rest = chunk.subarray(start, start + Math.max(0, maxLineBytes - pendingLength));
      if (rest.length > 0) {
        // A copy: the chunk itself is not kept for the sake of its last bytes.
        pending.push(Buffer.from(rest));
        pendingLength += rest.length;
      }
    }
  } catch (error) {
    throw readError(file, error);
  }
  // splitTranscriptLines gives a last (possibly empty) line after the last LF.
  yield line(Buffer.alloc(0));
}

/**
 * How many lines fileLines() gives (for the width of the line column), checking the file can be read at
 * all: its line feeds plus the last line after them. Counted on the bytes, without decoding every line a
 * first time only to throw it away.
 */
async function countLines(file: string): Promise<number> {
  let count = 1;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
      for (let lineFeed = chunk.indexOf(0x0a); lineFeed !== -1; lineFeed = chunk.indexOf(0x0a, lineFeed + 1)) {
        count += 1;
      }
    }
  } catch (error) {
    throw readError(file, error);
  }
  return count;
}

function readError(file: string, error: unknown): CliRuntimeError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
  return new CliRuntimeError(`cannot read ${file}: ${reason}`);
}
