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
 * logs in as; see authSteps.ts). The value is the first word; the rest is a comment.
 *
 * Text before the first `###` is a block only when it holds a command; otherwise it is the file's header.
 * Line numbers are 0-based, as in editors; columns are 0-based UTF-16 offsets, end exclusive.
 */
import type { TlsMode } from '../../core/sessionOptions';
import { diagnosticCodes } from '../ids';
import { parseHostPort, tlsModes } from '../target';
import { readAuthSteps } from './authSteps';
import { builtinVariableNames } from './builtinVariables';
import type { SmtpDataStep, SmtpDocumentProblem, SmtpDocumentProblemCode, SmtpStep } from './smtpSteps';
import { referencesIn, UnresolvedVariableError, VariableScope } from './variableReferences';

export type { SmtpAuthStep, SmtpCommandStep, SmtpDataStep, SmtpDocumentProblem, SmtpDocumentProblemCode, SmtpStep } from './smtpSteps';

export interface SmtpDocument {
  directives: SmtpDirectives;
  /** `@name = value`, raw (references in values are resolved when a block runs). */
  variables: ReadonlyMap<string, VariableDefinition>;
  blocks: SmtpBlock[];
  problems: SmtpDocumentProblem[];
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
}

export const knownDirectives = ['target', 'tls', 'local-domain', 'insecure', 'helo', 'user'] as const;

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

export function parseSmtpDocument(text: string): SmtpDocument {
  const lines = splitDocumentLines(text);
  const problems: SmtpDocumentProblem[] = [];
  const variables = new Map<string, VariableDefinition>();
  const directiveLines: { line: number; name: string; valueColumn: number; value: string }[] = [];
  const blocks: SmtpBlock[] = [];

  let current: { title: string; startLine: number; steps: SmtpStep[] } | undefined;
  // A block with nothing to send gets no "Send": a trailing "###" or a block of comments is not a block.
  const closeBlock = (endLine: number): void => {
    if (current && current.steps.length > 0) {
      const steps = readAuthSteps(current.steps, lines, problems);
      blocks.push({ index: blocks.length, title: current.title, startLine: current.startLine, endLine, steps });
    }
    current = undefined;
  };

  for (let line = 0; line < lines.length; line += 1) {
    const text = lines[line];
    const separator = separatorPattern.exec(text);
    if (separator) {
      closeBlock(line - 1);
      current = { title: separator[1].trim(), startLine: line, steps: [] };
      continue;
    }
    if (text.trim() === '') {
      continue;
    }
    const directive = directivePattern.exec(text);
    if (directive) {
      const [, lead, name, rest] = directive;
      const value = rest.trim().split(/\s+/)[0] ?? '';
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
      problems.push(problemAt(line, text, 'error', diagnosticCodes.invalidVariable, 'a variable is defined as "@name = value"'));
      continue;
    }
    current ??= { title: '', startLine: line, steps: [] };
    if (dataPattern.test(text)) {
      const data = readData(lines, line);
      current.steps.push(data);
      if (data.endLine === undefined) {
        problems.push(
          problemAt(line, text, 'error', diagnosticCodes.unterminatedData, 'DATA has no lone "." line ending its message before the block ends'),
        );
      }
      line = data.endLine ?? data.bodyStartLine + data.body.length - 1;
      continue;
    }
    current.steps.push({ kind: 'command', line, text: text.trim() });
  }
  closeBlock(lines.length - 1);

  const directives = readDirectives(directiveLines, lines, variables, problems);
  checkReferences(lines, blocks, variables, directiveLines, problems);
  problems.sort((a, b) => a.line - b.line || a.startColumn - b.startColumn);
  return { directives, variables, blocks, problems };
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
  variables: ReadonlyMap<string, VariableDefinition>,
  problems: SmtpDocumentProblem[],
): SmtpDirectives {
  const directives: SmtpDirectives = { localDomains: [], insecure: false };
  const seen = new Map<string, number>();
  const scope = new VariableScope(new Map([...variables].map(([name, definition]) => [name, definition.value])));
  for (const { line, name, valueColumn, value: rawValue } of written) {
    const report = (severity: SmtpDocumentProblem['severity'], code: SmtpDocumentProblemCode, message: string): void => {
      const endColumn = rawValue === '' ? lines[line].length : valueColumn + rawValue.length;
      problems.push({ line, startColumn: rawValue === '' ? 0 : valueColumn, endColumn, severity, code, message });
    };
    if (!(knownDirectives as readonly string[]).includes(name)) {
      const known = knownDirectives.map((directive) => `@${directive}`).join(', ');
      problems.push(problemAt(line, lines[line], 'warning', diagnosticCodes.unknownDirective, `unknown directive @${name}: known are ${known}`));
      continue;
    }
    const first = seen.get(name);
    if (first !== undefined && name !== 'local-domain') {
      report('warning', diagnosticCodes.invalidDirective, `@${name} is already given on line ${first + 1}; the first one counts`);
      continue;
    }
    seen.set(name, line);
    if (name === 'insecure') {
      directives.insecure = true;
      continue;
    }
    if (rawValue === '') {
      report('error', diagnosticCodes.invalidDirective, `@${name} needs a value`);
      continue;
    }
    let value: string;
    try {
      if (referencesIn(rawValue).some((reference) => reference.name.startsWith('$'))) {
        throw new UnresolvedVariableError('$', 'built-in variables have no value before the connection exists');
      }
      value = scope.substitute(rawValue, `the @${name} directive`);
    } catch (error) {
      // Undefined references are reported once, by checkReferences; only other failures are said here.
      if (!(error instanceof UnresolvedVariableError) || error.variable === '$') {
        report('error', diagnosticCodes.invalidDirective, `@${name}: ${(error as Error).message}`);
      }
      continue;
    }
    switch (name) {
      case 'target': {
        const parsed = parseHostPort(value);
        if ('error' in parsed) {
          report('error', diagnosticCodes.invalidDirective, `@target: ${parsed.error}`);
        } else {
          directives.target = parsed;
        }
        break;
      }
      case 'tls':
        if ((tlsModes as readonly string[]).includes(value.toLowerCase())) {
          directives.tls = value.toLowerCase() as TlsMode;
        } else {
          report('error', diagnosticCodes.invalidDirective, `@tls is one of ${tlsModes.join(', ')}, not "${value}"`);
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
    }
  }
  return directives;
}

/** Every {{name}} in commands, messages, directives and variable values must name something. */
function checkReferences(
  lines: string[],
  blocks: SmtpBlock[],
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
  const fileScope = new VariableScope(
    new Map([...variables].map(([name, definition]) => [name, definition.value])),
    new Map(builtinVariableNames.map((name) => [name, ''])),
  );
  for (const line of [...checkedLines].sort((a, b) => a - b)) {
    for (const reference of referencesIn(lines[line])) {
      const message = unresolvedReason(fileScope, reference.name);
      if (message !== undefined) {
        problems.push({
          line,
          startColumn: reference.startColumn,
          endColumn: reference.endColumn,
          severity: 'error',
          code: diagnosticCodes.undefinedVariable,
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
