/**
 * What a run of blocks came to, for every face: each block's replies judged against its `# @expect` lines,
 * and the MAILs refused as nested (a missing RSET). The editor's CodeLens and diagnostics and the CLI's
 * report, JUnit and JSON are all made from these reports. No `vscode` here.
 */
import { inferLocalDomains } from '../relay/localDomains';
import { judgeExpectations, missingRsetFindings, type MissingRsetFinding } from './blockVerdicts';
import type { BlockRunReport } from './fileRunReport';
import type { ConnectionFacts } from './builtinVariables';
import type { BlockRunResult } from './smtpFileConversation';
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

/** The environment a file pins with `# @env name`, read before the parse that needs its variables. */
export function pinnedEnvironmentOf(text: string): string | undefined {
  return /^\s*#\s*@env[ \t]+(\S+)/im.exec(text)?.[1];
}
