/**
 * `{{name}}` references in a .smtp file, and their substitution. No `vscode` here.
 *
 * Names are those of the grammar (`[A-Za-z_][\w.-]*`), or a built-in with a leading `$` (`{{$target.host}}`).
 * Substitution refuses any value holding a CR or LF: a variable, a setting or a snippet value must never turn
 * one command line into two (SMTP command injection), so the block is refused before anything is sent.
 */
import { CommandInjectionError } from '../protocol/errors';

/** A `{{name}}` in a line: where it is (0-based UTF-16 columns, end exclusive) and what it names. */
export interface VariableReference {
  name: string;
  /** The word after a built-in's name: `{{$processEnv HOME}}` -> "HOME". */
  argument?: string;
  startColumn: number;
  endColumn: number;
}

const referencePattern = /\{\{\s*(\$?[A-Za-z_][\w.-]*)(?:\s+([^\s{}]+))?\s*\}\}/g;

export function referencesIn(text: string): VariableReference[] {
  return [...text.matchAll(referencePattern)].map((match) => ({
    name: match[1],
    ...(match[2] !== undefined ? { argument: match[2] } : {}),
    startColumn: match.index,
    endColumn: match.index + match[0].length,
  }));
}

/**
 * Built-ins that take a word or are new at each use, as REST Client has them: `{{$guid}}`, `{{$timestamp}}`,
 * `{{$processEnv NAME}}`, `{{$dotenv NAME}}`, `{{$prompt name}}` (asked when the file runs) and
 * `{{$secret name}}` (from SecretStorage, or the CLI's environment; never written to a file or transcript).
 */
export const dynamicVariableNames = ['$guid', '$timestamp', '$processEnv', '$dotenv', '$prompt', '$secret'] as const;
export type DynamicVariableName = (typeof dynamicVariableNames)[number];
/** The built-ins that need the word after their name. */
export const dynamicVariablesWithArgument: readonly DynamicVariableName[] = ['$processEnv', '$dotenv', '$prompt', '$secret'];

export function isDynamicVariableName(name: string): name is DynamicVariableName {
  return (dynamicVariableNames as readonly string[]).includes(name);
}

/** Gives a dynamic built-in its value; undefined when it has none (an unset environment variable, an unanswered prompt). */
export type DynamicVariableResolver = (name: DynamicVariableName, argument: string | undefined) => string | undefined;

/**
 * A reference that cannot be replaced: undefined, defined in terms of itself, or (`noValue`) a known built-in
 * that has no value here (an unset environment variable, a target value a directive cannot use).
 */
export class UnresolvedVariableError extends Error {
  constructor(
    readonly variable: string,
    message: string,
    readonly noValue = false,
  ) {
    super(message);
    this.name = 'UnresolvedVariableError';
  }
}

/**
 * The variables one substitution can use: the file's own (`@name = value`, whose values may refer to other
 * variables) and the built-ins (`$target.host`...), which are plain values. A built-in whose value is not
 * known yet (no connection, no local domain) is `undefined`.
 */
export class VariableScope {
  constructor(
    private readonly fileVariables: ReadonlyMap<string, string>,
    private readonly builtins: ReadonlyMap<string, string | undefined> = new Map(),
    private readonly dynamic?: DynamicVariableResolver,
  ) {}

  /**
   * The text with every reference replaced. Throws UnresolvedVariableError for an undefined or circular
   * variable and CommandInjectionError for a value with a line break; `what` names the text in that message.
   */
  substitute(text: string, what = 'the line'): string {
    return this.expand(text, what, []);
  }

  private expand(text: string, what: string, resolving: readonly string[]): string {
    return text.replace(referencePattern, (_reference, name: string, argument: string | undefined) => {
      const value = this.valueOf(name, argument, what, resolving);
      if (/[\r\n]/.test(value)) {
        throw new CommandInjectionError(
          `refused: {{${name}}} holds a line break (CR or LF), which would turn ${what} into two SMTP commands; nothing was sent`,
        );
      }
      return value;
    });
  }

  private valueOf(name: string, argument: string | undefined, what: string, resolving: readonly string[]): string {
    if (isDynamicVariableName(name)) {
      return this.dynamicValue(name, argument);
    }
    if (name.startsWith('$')) {
      if (!this.builtins.has(name)) {
        throw new UnresolvedVariableError(name, `{{${name}}} is not a built-in variable (known: ${[...this.builtins.keys(), ...dynamicVariableNames].join(', ')})`);
      }
      const value = this.builtins.get(name);
      if (value === undefined) {
        throw new UnresolvedVariableError(name, `{{${name}}} has no value for this target yet`, true);
      }
      return value;
    }
    const raw = this.fileVariables.get(name);
    if (raw === undefined) {
      throw new UnresolvedVariableError(name, `{{${name}}} is not defined: add a line "@${name} = value"`);
    }
    if (resolving.includes(name)) {
      throw new UnresolvedVariableError(name, `{{${name}}} is defined in terms of itself (${[...resolving, name].join(' -> ')})`);
    }
    return this.expand(raw, what, [...resolving, name]);
  }

  private dynamicValue(name: DynamicVariableName, argument: string | undefined): string {
    const written = `{{${name}${argument === undefined ? '' : ` ${argument}`}}}`;
    if (dynamicVariablesWithArgument.includes(name) && argument === undefined) {
      throw new UnresolvedVariableError(name, `${written} needs a name after it: {{${name} NAME}}`);
    }
    if (!this.dynamic) {
      throw new UnresolvedVariableError(name, `${written} has no value before the file runs`, true);
    }
    const value = this.dynamic(name, argument);
    if (value === undefined) {
      throw new UnresolvedVariableError(
        name,
        `${written} has no value${name === '$processEnv' ? ': that environment variable is not set' : name === '$dotenv' ? ': the .env file beside the .smtp file does not set it' : ''}`,
        true,
      );
    }
    return value;
  }
}
