/**
 * The values of the built-ins that do not come from the target: `{{$guid}}`, `{{$timestamp}}`,
 * `{{$processEnv NAME}}`, `{{$dotenv NAME}}`, `{{$prompt name}}` and `{{$secret name}}`. One resolver for
 * the commands of a block and for the directives (`# @target 127.0.0.1:{{$processEnv LAB_PORT}}`), in the
 * editor's Run file and the CLI's `run` alike. No `vscode` here.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseDotenv } from './dotenv';
import type { DynamicVariableResolver } from './variableReferences';

/** Where a run's dynamic built-ins get their values. */
export interface DynamicVariableSources {
  /** `{{$processEnv NAME}}`; this process's environment when absent. */
  processEnv?: NodeJS.ProcessEnv;
  /** The folder of a saved file, where `{{$dotenv NAME}}` reads `.env`; none for an untitled file. */
  fileDirectory?: string;
  /** The answers to `{{$prompt name}}`, asked by the face before anything is sent. */
  prompts?: ReadonlyMap<string, string>;
  /** The values of `{{$secret name}}`: the face redacts them from everything it writes. */
  secrets?: ReadonlyMap<string, string>;
}

/**
 * A resolver over `sources`: undefined for a value it does not have (an unset environment variable, a
 * prompt not answered), which the substitution turns into an error that names the reference. `.env` is read
 * once per resolver, at its first use.
 */
export function dynamicVariableResolver(sources: DynamicVariableSources): DynamicVariableResolver {
  let dotenv: ReadonlyMap<string, string> | undefined;
  const dotenvValues = (): ReadonlyMap<string, string> => (dotenv ??= readDotenv(sources.fileDirectory));
  return (name, argument) => {
    switch (name) {
      case '$guid':
        return randomUUID();
      case '$timestamp':
        return String(Math.floor(Date.now() / 1000));
      case '$processEnv':
        return argument === undefined ? undefined : (sources.processEnv ?? process.env)[argument];
      case '$dotenv':
        return argument === undefined ? undefined : dotenvValues().get(argument);
      case '$prompt':
        return argument === undefined ? undefined : sources.prompts?.get(argument);
      case '$secret':
        return argument === undefined ? undefined : sources.secrets?.get(argument);
    }
  };
}

function readDotenv(fileDirectory: string | undefined): ReadonlyMap<string, string> {
  if (!fileDirectory) {
    return new Map();
  }
  try {
    return parseDotenv(readFileSync(path.join(fileDirectory, '.env'), 'utf8'));
  } catch {
    return new Map();
  }
}
