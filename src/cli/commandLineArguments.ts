import { stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
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
    return parseArgs({ args: attachDashedValues(args, options), options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(describeParseError(command, error));
  }
}

/**
 * `--port -1` and `--host -oX`: parseArgs reads a value that starts with a dash as another option and
 * says the flag "takes no value". A flag that takes a value is given the next argument as its value
 * (`--port=-1`), unless that argument is one of the command's own options, so the flag's own check names
 * the bad value ("--port must be a port number ..., not "-1""). `--host --port 25` still says --host
 * needs a value.
 */
function attachDashedValues(args: string[], options: ParseOptions): string[] {
  const known = new Set<string>();
  for (const [name, option] of Object.entries(options)) {
    known.add(`--${name}`);
    if (option.short !== undefined) {
      known.add(`-${option.short}`);
    }
  }
  const attached: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index];
    const next = args[index + 1];
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    const takesValue = name !== undefined && options[name]?.type === 'string';
    if (arg === '--') {
      attached.push(...args.slice(index));
      break;
    }
    if (takesValue && next !== undefined && next.startsWith('-') && next !== '-' && next !== '--' && !known.has(next.split('=')[0])) {
      attached.push(`${arg}=${next}`);
      index += 1;
      continue;
    }
    attached.push(arg);
  }
  return attached;
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
      // "does not take an argument" for a boolean flag given one; "argument missing" or "ambiguous" (the
      // next argument is another of our options) for a flag whose value is missing.
      return /does not take an argument/.test(message) ? `${flag} takes no value ${help}` : `${flag} needs a value ${help}`;
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

/**
 * A host as the user may write it: a name, an IPv4 address, an IPv6 address bare or in brackets
 * (`[::1]`, as in URLs and in our `[::1]:2525` targets). Returns it without brackets. A value that starts
 * with a dash, or holds spaces, slashes, "@" or brackets inside, is refused naming the value: it is not a
 * host, and handed to another tool it could be read as an option.
 */
export function hostValue(flag: string, value: string): string {
  const bracketed = /^\[([^[\]]*)\]$/.exec(value);
  const host = bracketed ? bracketed[1] : value;
  const valid =
    host !== '' &&
    !host.startsWith('-') &&
    !/[\s/@<>[\]\\,;'"`]/.test(host) &&
    (bracketed ? isIP(host) === 6 : host.includes(':') ? isIP(host) === 6 : true);
  if (!valid) {
    throw new UsageError(`${flag} must be a host name or an IP address (IPv6 bare or in brackets, as [::1]), not "${value}"`);
  }
  return host;
}

/**
 * `--save FILE` checked before anything connects: its directory exists and is a directory, and FILE is
 * not one. (Write permission shows only when writing; that failure is reported after the verdict.)
 */
export async function checkSavePath(file: string, flag = '--save'): Promise<void> {
  const directory = path.dirname(path.resolve(file));
  const directoryKind = await kindOf(directory);
  if (directoryKind === 'missing') {
    throw new UsageError(`${flag} ${file}: the directory ${directory} does not exist`);
  }
  if (directoryKind !== 'directory') {
    throw new UsageError(`${flag} ${file}: ${directory} is not a directory`);
  }
  if ((await kindOf(file)) === 'directory') {
    throw new UsageError(`${flag} ${file}: that is a directory, not a file`);
  }
}

async function kindOf(file: string): Promise<'missing' | 'directory' | 'other'> {
  try {
    return (await stat(file)).isDirectory() ? 'directory' : 'other';
  } catch {
    return 'missing';
  }
}
