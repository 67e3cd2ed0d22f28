/**
 * AUTH in a .smtp file. `AUTH PLAIN` or `AUTH LOGIN` alone on its line is the safe form: it authenticates
 * as the file's `# @user` (or the target's user) with the password from the keychain or asked for, masked,
 * so no secret is ever in the file. An exchange written out by hand (`AUTH PLAIN <blob>`, or `AUTH LOGIN`
 * and the lines that answer its 334s) still works: it is sent as written, the engine redacts it in every
 * transcript, and each line holding a credential gets an Information diagnostic that suggests the safe form.
 * No `vscode` here.
 */
import type { AuthMechanism } from '../protocol/authentication';
import { commandKindOf } from '../protocol/smtpCommand';
import { smtpFileProblemCodes, type SmtpCommandStep, type SmtpDocumentProblem, type SmtpStep } from './smtpSteps';

const authLinePattern = /^(\s*AUTH\s+(\S+))(?:(\s+)(\S.*?))?\s*$/i;
const safeFormPattern = /^AUTH\s+(PLAIN|LOGIN)$/i;
/** One token a server would decode as base64: a credential, "=" (an empty one), "*" (cancel) or a variable standing for one. */
const challengeAnswerPattern = /^(?:[A-Za-z0-9+/]+=*|=|\*|\{\{[^{}]*\}\})$/;
/** Single-word commands that the base64 pattern would also match. */
const singleWordVerbs = new Set(['HELP', 'TURN', 'ATRN', 'DATA', 'RSET', 'NOOP', 'QUIT', 'STARTTLS']);

const safeFormAdvice =
  'Write "AUTH PLAIN" or "AUTH LOGIN" alone on its line, with "# @user name": the password then comes from the keychain (SMTP: Set AUTH Password) or is asked for, masked.';

/**
 * The block's steps with the safe AUTH form turned into 'auth' steps and the lines answering a written-out
 * exchange marked; the credentials found are added to `problems` as Information.
 */
export function readAuthSteps(steps: readonly SmtpStep[], lines: readonly string[], problems: SmtpDocumentProblem[]): SmtpStep[] {
  const result: SmtpStep[] = [];
  for (let index = 0; index < steps.length; index += 1) {
    const step = steps[index];
    const auth = step.kind === 'command' ? authLinePattern.exec(lines[step.line]) : null;
    if (step.kind !== 'command' || !auth) {
      result.push(step);
      continue;
    }
    const answers: SmtpCommandStep[] = [];
    for (let next = steps[index + 1]; isChallengeAnswer(next); next = steps[index + 1 + answers.length]) {
      answers.push(next);
    }
    const safe = safeFormPattern.exec(step.text);
    if (safe && answers.length === 0) {
      result.push({ kind: 'auth', line: step.line, text: step.text, mechanism: safe[1].toUpperCase() as AuthMechanism });
      continue;
    }
    result.push(step);
    const [, head, , space, initialResponse] = auth;
    if (initialResponse !== undefined) {
      const startColumn = head.length + space.length;
      problems.push(credentialProblem(step.line, startColumn, startColumn + initialResponse.length, 'the initial response of AUTH'));
    }
    for (const answer of answers) {
      result.push({ ...answer, answersAuthChallenge: true });
      if (answer.text !== '*') {
        const text = lines[answer.line];
        const startColumn = text.length - text.trimStart().length;
        problems.push(credentialProblem(answer.line, startColumn, text.trimEnd().length, 'an answer to the AUTH challenge'));
      }
    }
    index += answers.length;
  }
  return result;
}

function isChallengeAnswer(step: SmtpStep | undefined): step is SmtpCommandStep {
  return (
    step?.kind === 'command' &&
    challengeAnswerPattern.test(step.text) &&
    commandKindOf(step.text) === 'other' &&
    !singleWordVerbs.has(step.text.toUpperCase())
  );
}

function credentialProblem(line: number, startColumn: number, endColumn: number, what: string): SmtpDocumentProblem {
  return {
    line,
    startColumn,
    endColumn,
    severity: 'information',
    code: smtpFileProblemCodes.credentialInFile,
    message: `${what} is a credential written in the file: it is sent as written and redacted in transcripts, but anyone who reads the file has it. ${safeFormAdvice}`,
  };
}
