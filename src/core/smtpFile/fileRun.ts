/**
 * What a run of blocks came to, for every face: each block's replies judged against its `# @expect` lines,
 * and the MAILs refused as nested (a missing RSET). The editor's CodeLens and diagnostics and the CLI's
 * report, JUnit and JSON are all made from these reports. No `vscode` here.
 */
import { inferLocalDomains } from '../relay/localDomains';
import { judgeExpectations, missingRsetFindings, type MissingRsetFinding } from './blockVerdicts';
import type { BlockRunReport } from './fileRunReport';
import type { ConnectionFacts } from './builtinVariables';
import type { BlockRunResult, SmtpFileConversation, SmtpFileRunValues } from './smtpFileConversation';
import type { SmtpDocument } from './smtpDocument';

export interface JudgedBlock extends BlockRunReport {
  missingRset: MissingRsetFinding[];
}

/**
 * One report per block of `indices`, in order; a block without a result did not run (one before it stopped
 * the run). `facts` are the connection's (greeting and EHLO give the local domains when none are configured).
 */
export function judgeBlocks(
  document: SmtpDocument,
  indices: readonly number[],
  results: readonly BlockRunResult[],
  facts: ConnectionFacts,
  configuredLocalDomains: readonly string[],
): JudgedBlock[] {
  const localDomains = inferLocalDomains(facts.greeting, facts.ehloReply, configuredLocalDomains);
  return indices.map((index) => {
    const block = document.blocks[index];
    const result = results.find((candidate) => candidate.block.index === index);
    const base = { index, title: block.title, line: block.startLine + 1 };
    if (!result) {
      return { ...base, replies: [], expectations: [], ran: false, missingRset: [] };
    }
    const stopped = result.error?.message;
    return {
      ...base,
      replies: result.replies,
      expectations: judgeExpectations(block.expectations, result.replies, localDomains, stopped),
      ...(stopped === undefined ? {} : { error: stopped }),
      ran: true,
      missingRset: missingRsetFindings(result.replies),
    };
  });
}

export interface JudgedRun {
  /** What each block that ran received, in order. */
  results: BlockRunResult[];
  /** One per block asked for, in order (judgeBlocks). */
  blocks: JudgedBlock[];
}

/**
 * Runs the blocks on the conversation (runBlocks) and judges each one as soon as it finishes, before the
 * next is sent: its `# @expect` marks go into the transcript right after its replies, and `onJudged` lets a
 * face show its ✓/✗ at once (the editor's CodeLens, Problems and live transcript), so a long file shows its
 * progress. The editor's Run file and Send and the CLI's `run` all run blocks through here.
 */
export async function runAndJudge(
  conversation: SmtpFileConversation,
  document: SmtpDocument,
  indices: readonly number[],
  values: SmtpFileRunValues,
  configuredLocalDomains: readonly string[],
  onJudged?: (block: JudgedBlock, result: BlockRunResult) => void,
): Promise<JudgedRun> {
  const judged = new Map<number, JudgedBlock>();
  const results = await conversation.runBlocks(document, indices, values, (result) => {
    const [block] = judgeBlocks(document, [result.block.index], [result], conversation.connectionFacts, configuredLocalDomains);
    conversation.markVerdicts(block.expectations);
    judged.set(block.index, block);
    onJudged?.(block, result);
  });
  return {
    results,
    blocks: indices.map((index) => judged.get(index) ?? judgeBlocks(document, [index], [], conversation.connectionFacts, configuredLocalDomains)[0]),
  };
}

/**
 * The environment a file pins with `# @env name`, read before the parse that needs its variables. A
 * `{{reference}}` pins nothing: the parse says why, on its line.
 */
export function pinnedEnvironmentOf(text: string): string | undefined {
  const name = /^\s*#\s*@env[ \t]+(\S+)/im.exec(text)?.[1];
  return name?.includes('{{') ? undefined : name;
}
