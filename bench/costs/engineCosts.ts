/**
 * Part 2 of the bench, the engine: reply-parser and classifier throughput on transcripts of 10k, 100k
 * and 1M lines, and annotateTranscript end to end. The per-line cost at each size shows whether growth
 * is linear (the same cost per line at every size).
 */
import { performance } from 'node:perf_hooks';
import { annotateTranscript } from '../../src/core/transcript/annotateTranscript';
import type { ReplyContext } from '../../src/core/relay/classification';
import { classifyReply } from '../../src/core/relay/classifyReply';
import type { SmtpReply } from '../../src/core/protocol/reply';
import { ReplyParser } from '../../src/core/protocol/replyParser';
import { commandKindOf } from '../../src/core/protocol/smtpCommand';
import { summarise } from '../samples';
import { syntheticTranscript, type SyntheticTranscript } from './syntheticTranscript';

export interface CostSeries {
  name: string;
  unit: string;
  samples: number[];
  /** For the ratio column: what this figure is compared with, and how. */
  ratio?: { to: string; value: number };
}

export const transcriptSizes = [10_000, 100_000, 1_000_000];
const chunkBytes = 64 * 1024;

function timed(work: () => void): number {
  const startedAt = performance.now();
  work();
  return (performance.now() - startedAt) / 1000;
}

function parseWire(wire: Buffer): SmtpReply[] {
  const replies: SmtpReply[] = [];
  const parser = new ReplyParser({ onLine: () => undefined, onReplyProblem: () => undefined, onReply: (reply) => replies.push(reply), onOverflow: () => undefined });
  for (let offset = 0; offset < wire.length; offset += chunkBytes) {
    parser.feed(wire.subarray(offset, offset + chunkBytes));
  }
  parser.finish();
  return replies;
}

function classificationInputs(transcript: SyntheticTranscript): Array<[SmtpReply, ReplyContext]> {
  const replies = parseWire(transcript.wire);
  const localDomains = ['corp.example'];
  return replies.map((reply, index): [SmtpReply, ReplyContext] => {
    const command = transcript.commands[index] ?? '';
    const context: ReplyContext = { command, localDomains };
    if (commandKindOf(command) === 'rcpt') {
      context.recipient = command.slice('RCPT TO:'.length).replace(/^<|>$/g, '');
    }
    return [reply, context];
  });
}

const megabytes = (bytes: number): number => bytes / (1024 * 1024);

/**
 * Untimed passes of each measured function before the first size: otherwise the 10k figures time the
 * JIT compiling them (a single --quick run at 10k was two to four times the warm cost), and the per-line
 * ratio to 10k, which is how linearity is judged, compared warm code with cold. One pass was not enough.
 */
const warmUpPasses = 5;

function warmUp(log: (line: string) => void): void {
  const transcript = syntheticTranscript(transcriptSizes[0]);
  const inputs = classificationInputs(transcript);
  for (let pass = 0; pass < warmUpPasses; pass++) {
    parseWire(transcript.wire);
    for (const [reply, context] of inputs) {
      classifyReply(reply, context);
    }
    annotateTranscript(transcript.text);
  }
  log(`  ${warmUpPasses} warm-up passes on ${transcriptSizes[0].toLocaleString('en-US')} lines (untimed)`);
}

export function measureEngineCosts(runs: number, log: (line: string) => void): CostSeries[] {
  const series: CostSeries[] = [];
  /** Per figure, per size (in transcriptSizes order): the cost per line of each run, in µs. */
  const perLine: Record<'reply parser' | 'classifier' | 'annotateTranscript', number[][]> = {
    'reply parser': [],
    classifier: [],
    annotateTranscript: [],
  };
  warmUp(log);
  for (const lines of transcriptSizes) {
    const transcript = syntheticTranscript(lines);
    const label = `${lines >= 1_000_000 ? `${lines / 1_000_000}M` : `${lines / 1000}k`} lines`;
    const inputs = classificationInputs(transcript);
    const parserSeconds: number[] = [];
    const classifierSeconds: number[] = [];
    const annotateSeconds: number[] = [];
    for (let run = 0; run < runs; run++) {
      parserSeconds.push(timed(() => parseWire(transcript.wire)));
      classifierSeconds.push(
        timed(() => {
          for (const [reply, context] of inputs) {
            classifyReply(reply, context);
          }
        }),
      );
      annotateSeconds.push(timed(() => annotateTranscript(transcript.text)));
    }
    const wireMb = megabytes(transcript.wire.length);
    const textMb = megabytes(Buffer.byteLength(transcript.text));
    series.push(
      { name: `reply parser, ${label} (${wireMb.toFixed(1)} MB of server replies)`, unit: 'MB/s', samples: parserSeconds.map((s) => wireMb / s) },
      { name: `classifier, ${label} (${inputs.length} replies, ${wireMb.toFixed(1)} MB)`, unit: 'MB/s', samples: classifierSeconds.map((s) => wireMb / s) },
      { name: `annotateTranscript, ${label} (${textMb.toFixed(1)} MB transcript file)`, unit: 'MB/s', samples: annotateSeconds.map((s) => textMb / s) },
    );
    if (lines === 100_000) {
      series.push({ name: 'annotation of a 100k-line transcript document', unit: 'ms', samples: annotateSeconds.map((s) => s * 1000) });
    }
    const perLineCosts = (seconds: number[]): number[] => seconds.map((s) => (s * 1e6) / lines);
    perLine['reply parser'].push(perLineCosts(parserSeconds));
    perLine.classifier.push(perLineCosts(classifierSeconds));
    perLine.annotateTranscript.push(perLineCosts(annotateSeconds));
    const median = (seconds: number[]): string => summarise(perLineCosts(seconds)).median.toFixed(3);
    log(`  ${label}: µs per line: parser ${median(parserSeconds)}, classifier ${median(classifierSeconds)}, annotate ${median(annotateSeconds)}`);
  }
  // Linear growth means the same cost per line at every size: the ratio is to the cost per line at 10k.
  for (const [what, costs] of Object.entries(perLine)) {
    const reference = summarise(costs[0]).median;
    transcriptSizes.forEach((lines, index) => {
      series.push({
        name: `${what}: cost per line at ${lines.toLocaleString('en-US')} lines`,
        unit: 'µs/line',
        samples: costs[index],
        ratio: { to: 'per-line cost at 10k', value: summarise(costs[index]).median / reference },
      });
    });
  }
  return series;
}
