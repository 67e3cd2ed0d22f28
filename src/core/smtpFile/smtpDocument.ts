/**
 * The `.smtp` session file: SMTP commands written as you would type them into telnet, in blocks that are
 * sent one at a time (the REST Client idea, for SMTP). No `vscode` here: plain node tests read it.
 *
 *     # @target mail.example.com:25          directives: where and how to connect (anywhere in the file)
 *     # @local-domain corp.example
 *     @sender = postmaster@corp.example      variables, file-wide wherever they are defined
 *
 *     ### greet                              "###" starts a block; the rest of the line names it
 *     EHLO client.example.org
 *
 *     ### kb1                                # a comment
 *     MAIL FROM:<{{sender}}>                 {{name}} and built-ins such as {{$target.host}}
 *     RCPT TO:<relay-test@example.net>
 *     DATA                                   the lines up to a lone "." are the message
 *     Subject: test
 *
 *     ..a line that starts with a dot        written as on the wire: ".." for a leading "."
 *     .
 *
 * Directives: `# @target host[:port]`, `# @tls starttls|implicit|none`, `# @local-domain name` (repeatable),
 * `# @insecure` (no certificate check), `# @helo name`, `# @user name` (who `AUTH PLAIN` / `AUTH LOGIN` alone
 * logs in as; see authSteps.ts), `# @env name` (the environment whose variables the file uses). The value is
 * the first word; the rest is a comment. Two directives belong to a block: `# @expect X` (what the reply to
 * the block's next command must be: expectations.ts) and `# @confirm` (the block may
 * send DATA or name a remote recipient without asking; before the first block, for the whole file).
 *
 * Variables come from the file (`@name = value`), then the environment (`smtpRelayLab.environments`, or the
 * CLI's), with `overrides` (the CLI's --var) above both: ParseOptions. A directive's value may use them and
 * the dynamic built-ins (`# @target 127.0.0.1:{{$processEnv LAB_PORT}}`, `{{$prompt mx}}`, `{{$secret mx}}`):
 * those get their values from ParseOptions.dynamic, which the faces give when the file runs (the parse made
 * while typing leaves such a directive for then: SmtpDirectives.atRun). The target's and the server's
 * built-ins (`{{$target.host}}`) have no value in a directive: the directives are what say where to connect.
 *
 * Text before the first `###` is a block only when it holds a command; otherwise it is the file's header.
 * Line numbers are 0-based, as in editors; columns are 0-based UTF-16 offsets, end exclusive.
 */
import type { TlsMode } from '../protocol/sessionOptions';
import { parseHostPort, tlsModes } from '../relay/target';
import { parseExpectation, type Expectation } from './expectations';
import { readAuthSteps } from './authSteps';
import { builtinVariableNames } from './builtinVariables';
import { isDynamicVariableName, referencesIn, UnresolvedVariableError, VariableScope, type DynamicVariableResolver } from './variableReferences';
import { snippetPlaceholderNames } from './snippetPlaceholders';
import { smtpFileProblemCodes, type SmtpDataStep, type SmtpDocumentProblem, type SmtpDocumentProblemCode, type SmtpStep } from './smtpSteps';

export type { SmtpAuthStep, SmtpCommandStep, SmtpDataStep, SmtpDocumentProblem, SmtpDocumentProblemCode, SmtpStep } from './smtpSteps';

export interface ParseOptions {
  /** The chosen environment's variables, `$shared` merged under them: a file variable of the same name wins. */
  environment?: ReadonlyMap<string, string>;
  /** The CLI's `--var name=value`: above the file's own variables. */
  overrides?: ReadonlyMap<string, string>;
  /**
   * The run's values of `{{$guid}}`, `{{$processEnv NAME}}`, `{{$prompt name}}`... (dynamicVariables.ts), for
   * the directives. Without it (the parse made while typing), a directive that uses one is left for the run.
   */
  dynamic?: DynamicVariableResolver;
}

export interface SmtpDocument {
  directives: SmtpDirectives;
  /** `@name = value`, raw (references in values are resolved when a block runs). */
  variables: ReadonlyMap<string, VariableDefinition>;
  /** Every variable's raw value as a run sees it: the environment, the file's, then the overrides. */
  values: ReadonlyMap<string, string>;
  blocks: SmtpBlock[];
  problems: SmtpDocumentProblem[];
  /** The lines of the `# @name` directives other than `@expect` and `@confirm`, in order. */
  directiveLines: number[];
}

export interface SmtpDirectives {
  target?: { host: string; port: number };
  tls?: TlsMode;
  /** In the order written; empty when none. */
  localDomains: string[];
  /** `# @insecure`: do not check the server's certificate. */
  insecure: boolean;
  helo?: string;
  /** `# @user`: the user name AUTH logs in as, instead of the target's. */
  user?: string;
  /** `# @env`: the environment this file uses, whatever the status bar has chosen. */
  env?: string;
  /** `# @confirm` before the first block: every block may send without asking. */
  confirmAll: boolean;
  /**
   * Directives ("target", "user"...) whose value uses a dynamic built-in and was left for the run, since this
   * parse had no ParseOptions.dynamic: their fields above are unset. Absent when there are none.
   */
  atRun?: string[];
}

/** `# @expect X` on `line`, for the reply to the command on `commandLine`. */
export interface BlockExpectation {
  line: number;
  commandLine: number;
  expectation: Expectation;
}

export interface VariableDefinition {
  value: string;
  line: number;
}

export interface SmtpBlock {
  index: number;
  /** The text after `###`, trimmed; "" for an unnamed block. */
  title: string;
  /** The `###` line, or the first command of a block before any `###`. */
  startLine: number;
  /** The last line before the next `###` (or the end of the file), inclusive. */
  endLine: number;
  steps: SmtpStep[];
  /** In the order written. */
  expectations: BlockExpectation[];
  /** `# @confirm` in this block (or before the first one). */
  confirmed: boolean;
}

export const knownDirectives = ['target', 'tls', 'local-domain', 'insecure', 'helo', 'user', 'env', 'expect', 'confirm'] as const;

const separatorPattern = /^\s*###(.*)$/;
const directivePattern = /^(\s*#\s*@)([A-Za-z][\w-]*)(.*)$/;
const commentPattern = /^\s*#/;
const variablePattern = /^(\s*@)([A-Za-z_][\w.-]*)\s*=\s*(.*?)\s*$/;
const dataPattern = /^\s*DATA\s*$/i;
const endOfDataPattern = /^\.\s*$/;

/** The lines as editors count them: CRLF, CR and LF all end a line. */
export function splitDocumentLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

export function parseSmtpDocument(text: string, options: ParseOptions = {}): SmtpDocument {
  const lines = splitDocumentLines(text);
  const problems: SmtpDocumentProblem[] = [];
  const variables = new Map<string, VariableDefinition>();
  const directiveLines: { line: number; name: string; valueColumn: number; value: string }[] = [];
  const blocks: SmtpBlock[] = [];

  interface OpenBlock {
    title: string;
    startLine: number;
    steps: SmtpStep[];
    expectations: BlockExpectation[];
    confirmed: boolean;
  }
  let current: OpenBlock | undefined;
  let confirmAll = false;
  /** `# @expect` lines waiting for the command they judge. */
  let pendingExpectations: { line: number; expectation: Expectation }[] = [];
  const orphanExpectations = (): void => {
    for (const pending of pendingExpectations) {
      problems.push(
        problemAt(pending.line, lines[pending.line], 'error', smtpFileProblemCodes.invalidDirective, '@expect judges the reply to the next command of its block, and no command follows it'),
      );
    }
    pendingExpectations = [];
  };
  const addStep = (block: OpenBlock, step: SmtpStep): void => {
    block.steps.push(step);
    block.expectations.push(...pendingExpectations.map((pending) => ({ ...pending, commandLine: step.line })));
    pendingExpectations = [];
  };
  // A block with nothing to send gets no "Send": a trailing "###" or a block of comments is not a block.
  const closeBlock = (endLine: number): void => {
    orphanExpectations();
    if (current && current.steps.length > 0) {
      const steps = readAuthSteps(current.steps, lines, problems);
      blocks.push({
        index: blocks.length,
        title: current.title,
        startLine: current.startLine,
        endLine,
        steps,
        expectations: current.expectations,
        confirmed: current.confirmed || confirmAll,
      });
    }
    current = undefined;
  };
  const newBlock = (title: string, startLine: number): OpenBlock => ({ title, startLine, steps: [], expectations: [], confirmed: false });

  for (let line = 0; line < lines.length; line += 1) {
    const text = lines[line];
    const separator = separatorPattern.exec(text);
    if (separator) {
      closeBlock(line - 1);
      current = newBlock(separator[1].trim(), line);
      continue;
    }
    if (text.trim() === '') {
      continue;
    }
    const directive = directivePattern.exec(text);
    if (directive) {
      const [, lead, name, rest] = directive;
      const lowerName = name.toLowerCase();
      if (lowerName === 'expect') {
        const parsed = parseExpectation(rest.trim());
        if ('error' in parsed) {
          problems.push(problemAt(line, text, 'error', smtpFileProblemCodes.invalidDirective, parsed.error));
        } else {
          pendingExpectations.push({ line, expectation: parsed });
        }
        continue;
      }
      if (lowerName === 'confirm') {
        if (current) {
          current.confirmed = true;
        } else {
          confirmAll = true;
        }
        continue;
      }
      // The first word; a {{reference}} counts as one even with spaces inside ({{$processEnv LAB_PORT}}).
      const value = /^(?:\{\{[^{}]*\}\}|[^\s{]+|\{)+/.exec(rest.trim())?.[0] ?? '';
      const valueColumn = value === '' ? text.length : lead.length + name.length + rest.indexOf(value);
      directiveLines.push({ line, name: name.toLowerCase(), valueColumn, value });
      continue;
    }
    if (commentPattern.test(text)) {
      continue;
    }
    const variable = variablePattern.exec(text);
    if (variable) {
      variables.set(variable[2], { value: variable[3], line });
      continue;
    }
    if (text.trimStart().startsWith('@')) {
      problems.push(problemAt(line, text, 'error', smtpFileProblemCodes.invalidVariable, 'a variable is defined as "@name = value"'));
      continue;
    }
    current ??= newBlock('', line);
    if (dataPattern.test(text)) {
      const data = readData(lines, line);
      addStep(current, data);
      if (data.endLine === undefined) {
        problems.push(
          problemAt(line, text, 'error', smtpFileProblemCodes.unterminatedData, 'DATA has no lone "." line ending its message before the block ends'),
        );
      }
      line = data.endLine ?? data.bodyStartLine + data.body.length - 1;
      continue;
    }
    addStep(current, { kind: 'command', line, text: text.trim() });
  }
  closeBlock(lines.length - 1);

  const values = new Map<string, string>([
    ...(options.environment ?? new Map<string, string>()),
    ...[...variables].map(([name, definition]): [string, string] => [name, definition.value]),
    ...(options.overrides ?? new Map<string, string>()),
  ]);
  const directives = readDirectives(directiveLines, lines, values, problems, options.dynamic);
  directives.confirmAll = confirmAll;
  checkReferences(lines, blocks, values, variables, directiveLines, problems);
  checkPlaceholders(lines, blocks, directiveLines, problems);
  problems.sort((a, b) => a.line - b.line || a.startColumn - b.startColumn);
  return { directives, variables, values, blocks, problems, directiveLines: directiveLines.map((directive) => directive.line) };
}

/**
 * A snippet's placeholder left as written (`MAIL FROM:<local_user@remote_domain>`) would go to a real server
 * as an address: an error, so the block is not sent until it is filled in.
 */
function checkPlaceholders(lines: string[], blocks: SmtpBlock[], directives: { line: number }[], problems: SmtpDocumentProblem[]): void {
  const checked = new Set<number>([...directives.map((directive) => directive.line), ...blocks.flatMap(linesSentBy)]);
  const pattern = new RegExp(`(?<![\\w.{$-])(${snippetPlaceholderNames.join('|')})(?![\\w-])`, 'g');
  for (const line of [...checked].sort((a, b) => a - b)) {
    // Inside {{...}} a name is a variable, not a placeholder.
    const text = lines[line].replace(/\{\{[^{}]*\}\}/g, (reference) => ' '.repeat(reference.length));
    for (const match of text.matchAll(pattern)) {
      problems.push({
        line,
        startColumn: match.index,
        endColumn: match.index + match[0].length,
        severity: 'error',
        code: smtpFileProblemCodes.unfilledPlaceholder,
        message: `"${match[0]}" is a snippet placeholder that was not filled in: type the real value (or a variable) before sending, or this block is not sent`,
      });
    }
  }
}

/** The message after a DATA line: up to a lone "." or the next `###`, whichever comes first. */
function readData(lines: string[], dataLine: number): SmtpDataStep {
  const body: string[] = [];
  let line = dataLine + 1;
  for (; line < lines.length; line += 1) {
    const text = lines[line];
    if (endOfDataPattern.test(text)) {
      return { kind: 'data', line: dataLine, text: lines[dataLine].trim(), body, bodyStartLine: dataLine + 1, endLine: line };
    }
    if (separatorPattern.test(text)) {
      break;
    }
    // Written as on the wire (RFC 5321 §4.5.2): the engine doubles a leading dot again when it sends.
    body.push(text.startsWith('..') ? text.slice(1) : text);
  }
  return { kind: 'data', line: dataLine, text: lines[dataLine].trim(), body, bodyStartLine: dataLine + 1 };
}

function readDirectives(
  written: { line: number; name: string; valueColumn: number; value: string }[],
  lines: string[],
  values: ReadonlyMap<string, string>,
  problems: SmtpDocumentProblem[],
  dynamic: DynamicVariableResolver | undefined,
): SmtpDirectives {
  const directives: SmtpDirectives = { localDomains: [], insecure: false, confirmAll: false };
  const seen = new Map<string, number>();
  /** Set when the directive being read took a `{{$secret}}`: its messages then never quote its value. */
  let usesSecret = false;
  // The target's and the server's built-ins are known (so not "undefined") but have no value here.
  const scope = new VariableScope(values, new Map(builtinVariableNames.map((builtin) => [builtin, undefined])), (builtin, argument) => {
    if (!dynamic) {
      throw new ValueAtRun();
    }
    usesSecret ||= builtin === '$secret';
    return dynamic(builtin, argument);
  });
  for (const { line, name, valueColumn, value: rawValue } of written) {
    const report = (severity: SmtpDocumentProblem['severity'], code: SmtpDocumentProblemCode, message: string): void => {
      const endColumn = rawValue === '' ? lines[line].length : valueColumn + rawValue.length;
      problems.push({ line, startColumn: rawValue === '' ? 0 : valueColumn, endColumn, severity, code, message });
    };
    if (!(knownDirectives as readonly string[]).includes(name)) {
      const known = knownDirectives.map((directive) => `@${directive}`).join(', ');
      problems.push(problemAt(line, lines[line], 'warning', smtpFileProblemCodes.unknownDirective, `unknown directive @${name}: known are ${known}`));
      continue;
    }
    const first = seen.get(name);
    if (first !== undefined && name !== 'local-domain') {
      report('warning', smtpFileProblemCodes.invalidDirective, `@${name} is already given on line ${first + 1}; the first one counts`);
      continue;
    }
    seen.set(name, line);
    if (name === 'insecure') {
      directives.insecure = true;
      continue;
    }
    if (rawValue === '') {
      report('error', smtpFileProblemCodes.invalidDirective, `@${name} needs a value`);
      continue;
    }
    if (name === 'env' && referencesIn(rawValue).length > 0) {
      // The environment is chosen before the variables exist (they come from it), so nothing can choose it.
      report('error', smtpFileProblemCodes.invalidDirective, '@env takes the name of an environment as written, not a {{reference}}: the variables come from the environment (run: --env NAME)');
      continue;
    }
    let value: string;
    usesSecret = false;
    try {
      value = scope.substitute(rawValue, `the @${name} directive`);
    } catch (error) {
      if (error instanceof ValueAtRun) {
        (directives.atRun ??= []).push(name);
        continue;
      }
      // Undefined references are reported once, by checkReferences; values missing (an unset environment
      // variable, a target built-in) and line breaks are said here.
      if (!(error instanceof UnresolvedVariableError) || error.noValue) {
        const message =
          error instanceof UnresolvedVariableError && !isDynamicVariableName(error.variable)
            ? `{{${error.variable}}} has no value in a directive: the target's and the server's values are known only once the directives have said where to connect`
            : (error as Error).message;
        report('error', smtpFileProblemCodes.invalidDirective, `@${name}: ${message}`);
      }
      continue;
    }
    // A secret's value is never in a message (they are printed and logged): only what the file says.
    const quoted = (text: string): string => (usesSecret ? `${rawValue} (a secret, not shown)` : text);
    switch (name) {
      case 'target': {
        const parsed = parseHostPort(value);
        if ('error' in parsed) {
          report('error', smtpFileProblemCodes.invalidDirective, `@target: ${usesSecret ? `${quoted(value)} is not host[:port]` : parsed.error}`);
        } else {
          directives.target = parsed;
        }
        break;
      }
      case 'tls':
        if ((tlsModes as readonly string[]).includes(value.toLowerCase())) {
          directives.tls = value.toLowerCase() as TlsMode;
        } else {
          report('error', smtpFileProblemCodes.invalidDirective, `@tls is one of ${tlsModes.join(', ')}, not ${usesSecret ? quoted(value) : `"${value}"`}`);
        }
        break;
      case 'local-domain':
        directives.localDomains.push(value);
        break;
      case 'helo':
        directives.helo = value;
        break;
      case 'user':
        directives.user = value;
        break;
      case 'env':
        directives.env = value;
        break;
    }
  }
  return directives;
}

/** Thrown by the stand-in resolver of a parse without ParseOptions.dynamic: the directive waits for the run. */
class ValueAtRun extends Error {}

/** Every {{name}} in commands, messages, directives and variable values must name something. */
function checkReferences(
  lines: string[],
  blocks: SmtpBlock[],
  values: ReadonlyMap<string, string>,
  variables: ReadonlyMap<string, VariableDefinition>,
  directives: { line: number }[],
  problems: SmtpDocumentProblem[],
): void {
  const checkedLines = new Set<number>(directives.map((directive) => directive.line));
  for (const definition of variables.values()) {
    checkedLines.add(definition.line);
  }
  for (const line of blocks.flatMap(linesSentBy)) {
    checkedLines.add(line);
  }
  // Dynamic built-ins get their values when the file runs; here only their form is checked.
  const fileScope = new VariableScope(
    values,
    new Map(builtinVariableNames.map((name) => [name, ''])),
    () => '',
  );
  for (const line of [...checkedLines].sort((a, b) => a - b)) {
    for (const reference of referencesIn(lines[line])) {
      const written = reference.argument === undefined ? reference.name : `${reference.name} ${reference.argument}`;
      const message = unresolvedReason(fileScope, written);
      if (message !== undefined) {
        problems.push({
          line,
          startColumn: reference.startColumn,
          endColumn: reference.endColumn,
          severity: 'error',
          code: smtpFileProblemCodes.undefinedVariable,
          message,
        });
      }
    }
  }
}

/** Why {{name}} cannot be replaced, or undefined when it can (built-ins count as known). */
function unresolvedReason(scope: VariableScope, name: string): string | undefined {
  try {
    scope.substitute(`{{${name}}}`);
    return undefined;
  } catch (error) {
    return error instanceof UnresolvedVariableError ? error.message : undefined;
  }
}

function problemAt(
  line: number,
  text: string,
  severity: SmtpDocumentProblem['severity'],
  code: SmtpDocumentProblemCode,
  message: string,
): SmtpDocumentProblem {
  const startColumn = text.length - text.trimStart().length;
  return { line, startColumn, endColumn: text.trimEnd().length, severity, code, message };
}

/** The block that holds a line, if any. */
export function blockAtLine(document: SmtpDocument, line: number): SmtpBlock | undefined {
  return document.blocks.find((block) => block.startLine <= line && line <= block.endLine);
}

/** The lines a block sends: its commands, DATA lines and message lines. */
export function linesSentBy(block: SmtpBlock): number[] {
  return block.steps.flatMap((step) =>
    step.kind === 'data' ? [step.line, ...step.body.map((_, offset) => step.bodyStartLine + offset)] : [step.line],
  );
}

/**
 * The errors that stop this block from being sent: those on lines it sends, and those on lines no block
 * sends (directives, variables), since they decide where every block connects and what it says.
 */
export function problemsStoppingBlock(document: SmtpDocument, block: SmtpBlock): SmtpDocumentProblem[] {
  const ownLines = new Set(linesSentBy(block));
  const sentLines = new Set(document.blocks.flatMap(linesSentBy));
  return document.problems.filter(
    (problem) => problem.severity === 'error' && (ownLines.has(problem.line) || !sentLines.has(problem.line)),
  );
}
