import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake on the command line (exit 64): an unknown flag, a missing or malformed value. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type ParseOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * util.parseArgs in strict mode, with its errors turned into one short line that names the command
 * ("unknown option --bogus for relay") instead of its multi-sentence messages.
 */
export function parseCommandArguments<T extends ParseOptions>(command: string, args: string[], options: T, allowPositionals: boolean) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(describeParseError(command, error));
  }
}

function describeParseError(command: string, error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']+)'/.exec(message)?.[1];
  const help = `(see smtp-relay-lab ${command} --help)`;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? message} for ${command} ${help}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted ?? message}" for ${command} ${help}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = (quoted ?? message).replace(/ <value>$/, '');
      return /argument missing/.test(message) ? `${flag} needs a value ${help}` : `${flag} takes no value ${help}`;
    }
    default:
      return `${message.split('\n')[0]} ${help}`;
  }
}

/** Repeatable flags that also take comma lists: `--local-domain a.example,b.example --local-domain c.example`. */
export function listValues(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value.length > 0);
}

export function portValue(flag: string, value: string | undefined, fallback: number, options: { allowZero?: boolean } = {}): number {
  if (value === undefined) {
    return fallback;
  }
  const port = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  const lowest = options.allowZero ? 0 : 1;
  if (!Number.isInteger(port) || port < lowest || port > 65_535) {
    throw new UsageError(`${flag} must be a port number from ${lowest} to 65535, not "${value}"`);
  }
  return port;
}

export function choiceValue<T extends string>(flag: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) {
    return fallback;
  }
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${choices.join(', ')}, not "${value}"`);
  }
  return value as T;
}

/** A positive number of seconds ("30", "0.5"), as milliseconds; `fallback` when the flag is absent. */
export function secondsValue(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const seconds = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400) {
    throw new UsageError(`${flag} must be a number of seconds from 0 to 86400 (more than 0), not "${value}"`);
  }
  return Math.round(seconds * 1000);
}
