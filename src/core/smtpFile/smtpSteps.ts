/**
 * The steps of a .smtp block and the problems found in its text: the types smtpDocument.ts (which reads the
 * file) and authSteps.ts (which reads its AUTH lines) share, in a module of their own so that neither
 * imports the other. No `vscode` here.
 */
import type { AuthMechanism } from '../protocol/authentication';

export type SmtpStep = SmtpCommandStep | SmtpDataStep | SmtpAuthStep;

export interface SmtpCommandStep {
  kind: 'command';
  line: number;
  /** The command as written, trimmed, references not yet replaced. */
  text: string;
  /** A line written to answer the 334 of the AUTH before it: sent only when the server did ask. */
  answersAuthChallenge?: boolean;
}

/** `AUTH PLAIN` or `AUTH LOGIN` alone: authenticates with a password that is never in the file. */
export interface SmtpAuthStep {
  kind: 'auth';
  line: number;
  text: string;
  mechanism: AuthMechanism;
}

/** `DATA` and the message after it. */
export interface SmtpDataStep {
  kind: 'data';
  line: number;
  text: string;
  /** The message lines as the server will read them (a leading ".." written in the file is one "."). */
  body: string[];
  bodyStartLine: number;
  /** The line of the lone ".", or undefined when the block ended first (a problem: the block is not run). */
  endLine?: number;
}

/**
 * The `code` of each problem the parser finds in a .smtp file's text: diagnostics in the editor (the
 * extension's diagnosticCodes include these), and what `run` prints. Stable: users filter on them.
 */
export const smtpFileProblemCodes = {
  /** In .smtp files: a `# @name` that is not a directive. */
  unknownDirective: 'unknown-directive',
  /** In .smtp files: a directive with a bad or repeated value. */
  invalidDirective: 'invalid-directive',
  /** In .smtp files: a line starting with @ that is not `@name = value`. */
  invalidVariable: 'invalid-variable',
  /** In .smtp files: a `{{name}}` that names nothing, or itself. */
  undefinedVariable: 'undefined-variable',
  /** In .smtp files: DATA without the lone "." that ends its message. */
  unterminatedData: 'unterminated-data',
  /** In .smtp files: an AUTH credential written in the file (an Information: it is sent, redacted in transcripts). */
  credentialInFile: 'credential-in-file',
  /** In .smtp files: a snippet placeholder (`local_user`, `remote_domain`...) left as written. */
  unfilledPlaceholder: 'unfilled-placeholder',
} as const;

export type SmtpDocumentProblemCode = (typeof smtpFileProblemCodes)[keyof typeof smtpFileProblemCodes];

export interface SmtpDocumentProblem {
  line: number;
  startColumn: number;
  endColumn: number;
  /** An error stops the block it is in (or, outside every block, the whole file) from being sent. */
  severity: 'error' | 'warning' | 'information';
  code: SmtpDocumentProblemCode;
  message: string;
}
