import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describeTarget } from '../core/protocol/sessionOptions';
import { displayJson } from '../core/protocol/displayText';
import { replyInOneLine, textInOneLine } from '../core/smtpFile/expectations';
import { environmentNames, parseJsonWithComments, readEnvironments, variablesOfEnvironment, type Environments } from '../core/smtpFile/environments';
import { blockName, blockPassed, junitXml, reportJson, type FileRunReport } from '../core/smtpFile/fileRunReport';
import { writeTranscript } from '../core/transcript/transcriptFormat';
import { parseHostPort, type Target } from '../core/relay/target';
import { pinnedEnvironmentOf, runAndJudge, type JudgedBlock } from '../core/smtpFile/fileRun';
import { blocksNeedingConfirmation } from '../core/smtpFile/guardRails';
import { askedVariablesOf, SmtpFileConversation } from '../core/smtpFile/smtpFileConversation';
import { targetOfFile } from '../core/smtpFile/smtpFileTarget';
import { parseSmtpDocument, splitDocumentLines, type SmtpDocument } from '../core/smtpFile/smtpDocument';
import { dynamicVariableResolver } from '../core/smtpFile/dynamicVariables';
import { SecretRedactor } from '../core/smtpFile/secretRedaction';
import { VariableScope, type DynamicVariableResolver } from '../core/smtpFile/variableReferences';
import { CliRuntimeError, type CliContext } from './cliContext';
import { parseCommandArguments, UsageError } from './commandLineArguments';
import { exitCodes } from './exitCodes';
import { toolLabel } from './toolVersion';

export const runHelp = `Usage: smtp-relay-lab run FILE.smtp [--env NAME] [--var NAME=VALUE]... [--junit FILE] [--json]
                          [--save FILE] [--yes]

Runs every block of a .smtp file in order on the file's connection, exactly as "Run file" does in the
editor, and judges each "# @expect" line by the reply to the command after it.

  --env NAME         the environment of smtpRelayLab.environments to use (read from the nearest
                     .vscode/settings.json above the file); default: the file's "# @env", else $shared only
  --var NAME=VALUE   a variable, above the file's own and the environment's; repeatable. A file without
                     "# @target" takes its server from --var target=HOST:PORT. {{$prompt NAME}} is
                     answered by --var NAME=VALUE; {{$secret NAME}} comes from the environment variable
                     SMTP_RELAY_LAB_SECRET_NAME (upper case) and is never printed or saved;
                     "AUTH PLAIN" / "AUTH LOGIN" alone log in as "# @user" with the password in
                     SMTP_RELAY_LAB_AUTH_PASSWORD
  --junit FILE       write a JUnit XML report: one testcase per block, named after its ### title
  --json             print the report as JSON instead of text
  --save FILE        also write the transcript to FILE
  --yes              run blocks that send DATA or name a remote recipient without "# @confirm"
  -h, --help         show this help

Exit codes: 0 every expectation held, 1 an expectation failed, 3 a connection error (or a file that
cannot be read or written), 64 usage error (including a problem in the file, shown with its line).
`;

const runOptions = {
  env: { type: 'string' },
  var: { type: 'string', multiple: true },
  junit: { type: 'string' },
  json: { type: 'boolean' },
  save: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runRunCommand(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArguments('run', args, runOptions, true);
  if (values.help) {
    context.out(runHelp);
    return exitCodes.ok;
  }
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'run needs a .smtp file (see smtp-relay-lab run --help)' : `run takes one file, not ${positionals.length}`);
  }
  const file = positionals[0];
  const overrides = readVarFlags(values.var ?? []);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliRuntimeError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }

  const environments = await environmentsNear(file);
  const environmentName = values.env ?? pinnedEnvironmentOf(text);
  if (environmentName !== undefined && !environments.has(environmentName)) {
    const known = environmentNames(environments);
    throw new UsageError(
      `no environment "${environmentName}"${values.env === undefined ? ' (named by the file\'s # @env)' : ''}: ${known.length > 0 ? `known are ${known.join(', ')}` : 'no .vscode/settings.json above the file sets smtpRelayLab.environments'}`,
    );
  }
  const parseOptions = { environment: variablesOfEnvironment(environments, environmentName), overrides };
  const written = parseSmtpDocument(text, parseOptions);
  const lines = splitDocumentLines(text);
  const problems = fileProblems(file, written);
  if (problems !== undefined) {
    context.err(problems);
    return exitCodes.usage;
  }

  const asked = askedVariablesOf(written, written.blocks.map((block) => block.index), lines);
  const prompts = new Map<string, string>();
  for (const name of asked.prompts) {
    const answer = overrides.get(name);
    if (answer === undefined) {
      throw new UsageError(`${file}: {{$prompt ${name}}} is asked when the file runs: give it with --var ${name}=VALUE`);
    }
    prompts.set(name, answer);
  }
  const secrets = new Map<string, string>();
  for (const name of asked.secrets) {
    const variable = secretVariableName(name);
    const value = process.env[variable];
    if (value === undefined) {
      throw new UsageError(`${file}: {{$secret ${name}}} comes from the environment variable ${variable}, which is not set`);
    }
    secrets.set(name, value);
  }
  // The directives again, now with the run's built-ins ({{$processEnv NAME}}, {{$prompt name}}...), as the
  // commands get them: an unset environment variable is a problem of the file, with its line and column.
  const fileDirectory = path.dirname(path.resolve(file));
  const dynamic = dynamicVariableResolver({ fileDirectory, prompts, secrets });
  const document = parseSmtpDocument(text, { ...parseOptions, dynamic });
  const runProblems = fileProblems(file, document);
  if (runProblems !== undefined) {
    context.err(runProblems);
    return exitCodes.usage;
  }
  const target = targetOf(file, document, overrides, dynamic);
  // A secret that says where to connect (# @target {{$secret mx}}) is named nowhere: not in what is printed,
  // nor in a report or the saved transcript.
  const shownTarget = new SecretRedactor(secrets.values()).redact(describeTarget(target));

  const indices = document.blocks.map((block) => block.index);
  if (indices.length === 0) {
    throw new UsageError(`${file} has no block to run: write SMTP commands, in blocks that start with ###`);
  }
  const risky = blocksNeedingConfirmation(document, indices, target, lines);
  if (risky.length > 0 && !values.yes) {
    const list = risky.map((block) => `  ${blockName({ ...block, line: document.blocks[block.index].startLine + 1 })}:\n${block.reasons.map((reason) => `    ${reason}`).join('\n')}`);
    context.err(
      `smtp-relay-lab run: ${file} would send to ${shownTarget} what needs a confirmation (these blocks have no "# @confirm"):\n${list.join('\n')}\nNothing was sent. Run again with --yes if that server is yours to test.\n`,
    );
    return exitCodes.usage;
  }

  const conversation = new SmtpFileConversation({
    target,
    fileName: path.basename(file),
    fileDirectory,
    credentials: {
      // No one to ask in CI: the user is the file's # @user, the password an environment variable.
      askForUsername: () => Promise.resolve(undefined),
      passwordFor: () => Promise.resolve(process.env[authPasswordVariable] || undefined),
    },
  });
  const authPassword = process.env[authPasswordVariable];
  if (authPassword !== undefined && authPassword !== '') {
    secrets.set(`\u0000${authPasswordVariable}`, authPassword);
  }
  const startedAt = Date.now();
  const abort = () => conversation.close('interrupted');
  context.signal.addEventListener('abort', abort);
  let judged: JudgedBlock[];
  try {
    // Text output follows the run block by block, so a long suite shows its progress in a CI log.
    if (!values.json) {
      context.out(runHeading(file, shownTarget));
    }
    judged = (
      await runAndJudge(conversation, document, indices, { prompts, secrets }, target.localDomains, (block) => {
        if (!values.json) {
          context.out(renderBlock(block));
        }
      })
    ).blocks;
  } finally {
    context.signal.removeEventListener('abort', abort);
    conversation.close();
  }
  const report: FileRunReport = { file, target: conversation.redact(describeTarget(target)), blocks: judged };

  if (values.json) {
    context.out(`${displayJson(reportJson(report), 2)}\n`);
  } else {
    context.out(renderRest(judged));
  }
  if (values.junit !== undefined) {
    await writeOutput(values.junit, junitXml(report), 'the JUnit report');
  }
  if (values.save !== undefined) {
    const transcript = writeTranscript({
      header: { target: report.target, startedAt, tool: toolLabel, extra: { file: path.basename(file), tls: target.tls } },
      events: [...conversation.events],
    });
    await writeOutput(values.save, transcript, 'the transcript');
  }
  if (context.signal.aborted) {
    return exitCodes.interrupted;
  }
  if (judged.some((block) => block.error !== undefined)) {
    return exitCodes.error;
  }
  return judged.every(blockPassed) ? exitCodes.ok : exitCodes.open;
}

/** `--var name=value`: the name as a file writes it, the value as given (it may hold "="). */
function readVarFlags(flags: readonly string[]): Map<string, string> {
  const variables = new Map<string, string>();
  for (const flag of flags) {
    const match = /^([A-Za-z_][\w.-]*)=(.*)$/s.exec(flag);
    if (!match) {
      throw new UsageError(`--var takes NAME=VALUE, not "${flag}"`);
    }
    if (/[\r\n]/.test(match[2])) {
      throw new UsageError(`--var ${match[1]}: a value must be one line (a line break would split an SMTP command)`);
    }
    variables.set(match[1], match[2]);
  }
  return variables;
}

/** `smtpRelayLab.environments` of the nearest .vscode/settings.json in the file's folder or above it. */
async function environmentsNear(file: string): Promise<Environments> {
  let folder = path.dirname(path.resolve(file));
  for (;;) {
    const settings = path.join(folder, '.vscode', 'settings.json');
    if (existsSync(settings)) {
      let raw: unknown;
      try {
        raw = parseJsonWithComments(await readFile(settings, 'utf8'));
      } catch (error) {
        throw new UsageError(`cannot read the environments in ${settings}: ${(error as Error).message}`);
      }
      return readEnvironments((raw as Record<string, unknown> | null)?.['smtpRelayLab.environments']);
    }
    const parent = path.dirname(folder);
    if (parent === folder) {
      return new Map();
    }
    folder = parent;
  }
}

/**
 * Errors in the file stop the run before anything is sent, each with its line. An unknown directive is
 * only a warning in the editor (the user is typing), but a suite in CI must say what it means.
 */
function fileProblems(file: string, document: SmtpDocument): string | undefined {
  const blocking = document.problems.filter((problem) => problem.severity === 'error' || problem.code === 'unknown-directive');
  if (blocking.length === 0) {
    return undefined;
  }
  const list = blocking.map((problem) => `${file}:${problem.line + 1}:${problem.startColumn + 1}: ${textInOneLine(problem.message, 500)}`);
  return `smtp-relay-lab run: ${file} has ${blocking.length === 1 ? 'a problem' : `${blocking.length} problems`}; nothing was sent:\n${list.join('\n')}\n`;
}

function targetOf(file: string, document: SmtpDocument, overrides: ReadonlyMap<string, string>, dynamic: DynamicVariableResolver): Target {
  let directives = document.directives;
  if (!directives.target) {
    const given = overrides.get('target') ?? document.values.get('target');
    if (given === undefined) {
      throw new UsageError(`${file} has no "# @target host:port" and no --var target=HOST:PORT: say where to connect`);
    }
    let value: string;
    try {
      value = new VariableScope(document.values, new Map(), dynamic).substitute(given, 'the target variable');
    } catch (error) {
      throw new UsageError(`${file}: target: ${(error as Error).message}`);
    }
    const parsed = parseHostPort(value);
    if ('error' in parsed) {
      throw new UsageError(`--var target: ${parsed.error}`);
    }
    directives = { ...directives, target: parsed };
  }
  const target = targetOfFile(directives, []);
  if (!target) {
    throw new UsageError(`${file}: no target`);
  }
  return target;
}

/** The password `AUTH PLAIN` / `AUTH LOGIN` alone use in the CLI, as `# @user` (redacted like a secret). */
export const authPasswordVariable = 'SMTP_RELAY_LAB_AUTH_PASSWORD';

/** The environment variable that holds `{{$secret name}}` for the CLI: SMTP_RELAY_LAB_SECRET_ and the name in upper case. */
export function secretVariableName(name: string): string {
  return `SMTP_RELAY_LAB_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

async function writeOutput(file: string, text: string, what: string): Promise<void> {
  try {
    await writeFile(file, text, 'utf8');
  } catch (error) {
    throw new CliRuntimeError(`cannot write ${what} to ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The first lines of the text output, printed before the first block is sent. */
function runHeading(file: string, target: string): string {
  return `${file} against ${target}\n\n`;
}

/** One block with its exchange and a ✓ or ✗ per expectation, printed as soon as it was judged. */
function renderBlock(block: JudgedBlock): string {
  const mark = !block.ran ? '-' : blockPassed(block) ? '✓' : '✗';
  const out: string[] = [`${mark} ### ${blockName(block)} (line ${block.line})`];
  if (!block.ran) {
    out.push('    not run: a block before it stopped the run', '');
    return `${out.join('\n')}\n`;
  }
  for (const { command, reply } of block.replies) {
    if (command !== '') {
      out.push(`    -> ${textInOneLine(command, 300)}`);
    }
    out.push(`    <- ${replyInOneLine(reply, 300)}`);
  }
  for (const verdict of block.expectations) {
    out.push(`    ${verdict.passed ? '✓' : '✗'} line ${verdict.line + 1}: @expect ${verdict.message}`);
  }
  for (const finding of block.missingRset) {
    out.push(`    ! line ${finding.line + 1}: ${finding.message}`);
  }
  if (block.error !== undefined) {
    out.push(`    ✗ stopped: ${textInOneLine(block.error, 300)}`);
  }
  out.push('');
  return `${out.join('\n')}\n`;
}

/** After the run: the blocks it never reached, then a summary line. */
function renderRest(blocks: readonly JudgedBlock[]): string {
  const out = blocks.filter((block) => !block.ran).map(renderBlock);
  const expectations = blocks.flatMap((block) => block.expectations);
  const failed = expectations.filter((verdict) => !verdict.passed).length;
  const errors = blocks.filter((block) => block.error !== undefined).length;
  out.push(
    `${blocks.filter(blockPassed).length} of ${blocks.length} blocks passed; ${expectations.length - failed} of ${expectations.length} expectations held` +
      (errors > 0 ? `; ${errors} block${errors === 1 ? '' : 's'} stopped by a connection error` : '') +
      '\n',
  );
  return out.join('');
}
