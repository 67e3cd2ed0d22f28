import { runAnnotateCommand, annotateHelp } from './annotateCommand';
import type { CliContext } from './cliContext';
import { UsageError } from './commandLineArguments';
import { exitCodeHelp, exitCodes } from './exitCodes';
import { labHelp, runLabCommand } from './labCommand';
import { relayHelp, runRelayCommand } from './relayCommand';
import { runHelp, runRunCommand } from './runCommand';
import { toolLabel } from './toolVersion';
import { displayText } from '../core/protocol/displayText';
import { describeError } from '../core/protocol/errors';
import { oneLine } from '../core/protocol/socketFailure';

export const mainHelp = `Usage: smtp-relay-lab COMMAND [options]

Commands:
  relay      run the KB 304897 open-relay tests against a server (or a practice server with --lab)
  annotate   give every reply of a transcript file its verdict
  lab        run a practice SMTP server on loopback until Ctrl+C
  run        run a .smtp file's blocks and check its # @expect lines (JUnit and JSON for CI)

Run "smtp-relay-lab COMMAND --help" for the options of a command.
  -h, --help      show this help
  -v, --version   print the version

${exitCodeHelp}
`;

const commands: Record<string, { run: (args: string[], context: CliContext) => Promise<number>; help: string }> = {
  relay: { run: runRelayCommand, help: relayHelp },
  annotate: { run: runAnnotateCommand, help: annotateHelp },
  lab: { run: runLabCommand, help: labHelp },
  run: { run: runRunCommand, help: runHelp },
};

/** Runs one command line; every failure becomes one line on stderr and an exit code, never a stack trace. */
export async function runCli(args: string[], context: CliContext): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined) {
    context.err(mainHelp);
    return exitCodes.usage;
  }
  if (first === '-h' || first === '--help' || first === 'help') {
    context.out(mainHelp);
    return exitCodes.ok;
  }
  if (first === '-v' || first === '--version') {
    context.out(`${toolLabel}\n`);
    return exitCodes.ok;
  }
  const command = commands[first];
  if (!command) {
    context.err(`smtp-relay-lab: unknown command "${first}" (commands: ${Object.keys(commands).join(', ')}; see smtp-relay-lab --help)\n`);
    return exitCodes.usage;
  }
  try {
    return await command.run(rest, context);
  } catch (error) {
    // A failure can quote a server (a refused greeting): shown escaped, as every server text is.
    context.err(`smtp-relay-lab ${first}: ${displayText(oneLine(describeError(error)))}\n`);
    // Anything else (unreachable server, TLS failure, unreadable file, port in use) is a runtime error.
    return error instanceof UsageError ? exitCodes.usage : exitCodes.error;
  }
}


function processContext(): CliContext {
  const controller = new AbortController();
  let interrupts = 0;
  const interrupt = () => {
    interrupts += 1;
    if (interrupts > 1) {
      // A second Ctrl+C does not wait for the run to wind down.
      process.exit(exitCodes.interrupted);
    }
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  // A reader that went away (`smtp-relay-lab relay ... | head`) is not an error of the run: stop writing
  // to it, and still finish with the verdict's exit code.
  const closedStreams = new Set<NodeJS.WriteStream>();
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') {
        throw error;
      }
      closedStreams.add(stream);
    });
  }
  const writeTo = (stream: NodeJS.WriteStream) => (text: string) => {
    if (!closedStreams.has(stream)) {
      stream.write(text);
    }
  };
  return {
    out: writeTo(process.stdout),
    err: writeTo(process.stderr),
    errIsTerminal: process.stderr.isTTY === true,
    signal: controller.signal,
  };
}

if (require.main === module) {
  runCli(process.argv.slice(2), processContext()).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`smtp-relay-lab: ${displayText(oneLine(describeError(error)))}\n`);
      process.exitCode = exitCodes.error;
    },
  );
}
