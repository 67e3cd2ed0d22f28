/**
 * What a run of a .smtp block came to against its `# @expect` lines, and the findings a run reveals in the
 * file (a MAIL refused as nested: a missing RSET). The editor's CodeLens and diagnostics and the CLI's
 * report, JUnit and JSON all read these. No `vscode` here.
 */
import { classifyReply } from '../relay/classifyReply';
import type { SmtpReply } from '../protocol/reply';
import { commandKindOf } from '../protocol/smtpCommand';
import { replyInOneLine, replyMeets, type Expectation } from './expectations';

/** One reply a block received (the shape of BlockReply in smtpFileConversation.ts). */
export interface AnsweredLine {
  command: string;
  /** The file line of the command; undefined for what the conversation sent on its own (greeting, EHLO). */
  line?: number;
  reply: SmtpReply;
}

export interface ExpectationToJudge {
  /** The `# @expect` line. */
  line: number;
  /** The line of the command whose reply it judges. */
  commandLine: number;
  expectation: Expectation;
}

export interface ExpectationVerdict {
  line: number;
  commandLine: number;
  expected: string;
  passed: boolean;
  /** The command as sent (secrets redacted), when it was sent. */
  command?: string;
  /** The reply judged; undefined when the command got none. */
  actual?: SmtpReply;
  /** One line for a person: "expected 5xx|relay-denied, got 250 2.1.5 Ok" or why there was no reply. */
  message: string;
}

/**
 * Judges each expectation by the reply to its command: for DATA, the reply to the message (after the lone
 * "."), or DATA's own reply when the server refused DATA. A command that got no reply (the block stopped,
 * the connection closed) fails its expectation with the reason.
 */
export function judgeExpectations(
  expectations: readonly ExpectationToJudge[],
  replies: readonly AnsweredLine[],
  localDomains: readonly string[],
  stoppedBecause?: string,
): ExpectationVerdict[] {
  return expectations.map(({ line, commandLine, expectation }) => {
    const answered = replies.filter((candidate) => candidate.line === commandLine).at(-1);
    if (!answered) {
      return {
        line,
        commandLine,
        expected: expectation.text,
        passed: false,
        message: `expected ${expectation.text}, got no reply: the command on line ${commandLine + 1} was not answered${stoppedBecause ? ` (${stoppedBecause})` : ''}`,
      };
    }
    const classification = classifyReply(answered.reply, { command: answered.command, localDomains: [...localDomains] });
    const passed = replyMeets(expectation, answered.reply, classification);
    const actual = replyInOneLine(answered.reply);
    return {
      line,
      commandLine,
      expected: expectation.text,
      passed,
      command: answered.command,
      actual: answered.reply,
      message: passed ? `${expectation.text}: ${actual}` : `expected ${expectation.text}, got ${actual} (${classification.reason})`,
    };
  });
}

/** A MAIL refused because a transaction is still open: the RCPTs after it went into the earlier one. */
export interface MissingRsetFinding {
  /** The MAIL line; RSET belongs just before it. */
  line: number;
  message: string;
}

export function missingRsetFindings(replies: readonly AnsweredLine[]): MissingRsetFinding[] {
  return replies
    .filter(
      (answered) =>
        answered.line !== undefined &&
        commandKindOf(answered.command) === 'mail' &&
        answered.reply.code === 503 &&
        // 503 at MAIL is a sequence error: "send HELO first" is another one than a transaction still open.
        !/\b(?:hello|helo|ehlo)\b/i.test(answered.reply.text),
    )
    .map((answered) => ({
      line: answered.line as number,
      message:
        `${replyInOneLine(answered.reply)}: the server still holds an earlier transaction, so this MAIL was refused and the ` +
        'RCPT after it went into the earlier one. Send RSET before MAIL FROM.',
    }));
}
