/**
 * `smtpRelayLab.environments`: named sets of variables for .smtp files, as REST Client's
 * `rest-client.environmentVariables`, with `$shared` under every set. The editor reads them from settings,
 * the CLI from the nearest `.vscode/settings.json`. No `vscode` here.
 *
 *     "smtpRelayLab.environments": {
 *       "$shared": { "sender": "postmaster@corp.example" },
 *       "staging": { "mx": "mx1.staging.example" },
 *       "production": { "mx": "mx1.example" }
 *     }
 */
export const sharedEnvironmentName = '$shared';

export type Environments = ReadonlyMap<string, ReadonlyMap<string, string>>;

const variableNamePattern = /^[A-Za-z_][\w.-]*$/;

/** The setting's value, checked: sets that are objects, names a file could write as {{name}}, values that are strings (numbers and booleans as text). */
export function readEnvironments(raw: unknown): Environments {
  const environments = new Map<string, ReadonlyMap<string, string>>();
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return environments;
  }
  for (const [name, set] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof set !== 'object' || set === null || Array.isArray(set) || name.trim() === '') {
      continue;
    }
    const variables = new Map<string, string>();
    for (const [variable, value] of Object.entries(set as Record<string, unknown>)) {
      if (variableNamePattern.test(variable) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) {
        variables.set(variable, String(value));
      }
    }
    environments.set(name, variables);
  }
  return environments;
}

/** The names a user can choose, `$shared` aside, in the order written. */
export function environmentNames(environments: Environments): string[] {
  return [...environments.keys()].filter((name) => name !== sharedEnvironmentName);
}

/** The variables of one environment over `$shared`; `$shared` alone when none is chosen. */
export function variablesOfEnvironment(environments: Environments, name: string | undefined): Map<string, string> {
  return new Map([...(environments.get(sharedEnvironmentName) ?? []), ...(name === undefined ? [] : (environments.get(name) ?? []))]);
}

/** JSON with comments and trailing commas, as VS Code writes settings.json. */
export function parseJsonWithComments(text: string): unknown {
  let result = '';
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index];
    if (inString) {
      result += character;
      if (character === '\\') {
        result += text[index + 1] ?? '';
        index += 1;
      } else if (character === '"') {
        inString = false;
      }
      continue;
    }
    if (character === '"') {
      inString = true;
      result += character;
    } else if (character === '/' && text[index + 1] === '/') {
      while (index < text.length && text[index] !== '\n') {
        index += 1;
      }
      result += '\n';
    } else if (character === '/' && text[index + 1] === '*') {
      const end = text.indexOf('*/', index + 2);
      index = end < 0 ? text.length : end + 1;
      result += ' ';
    } else if (character === ',' && /^\s*[}\]]/.test(text.slice(index + 1))) {
      // a trailing comma
    } else {
      result += character;
    }
  }
  return JSON.parse(result);
}
