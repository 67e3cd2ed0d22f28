/**
 * nmap, swaks and postfix come from Debian (scripts/install-debian-deps.sh). As root the bench installs
 * what is missing; otherwise it says what to run and benchmarks without the missing pieces, so a
 * partial table is still printed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export type BenchProgram = 'nmap' | 'swaks' | 'postfix';

export interface Prerequisites {
  /** Absolute paths of the programs found. */
  found: Partial<Record<BenchProgram, string>>;
  /** Why Postfix targets cannot run (missing package, not root), if so. */
  postfixProblem?: string;
  /** Lines for the reader: what was installed, what is missing and how to get it. */
  notes: string[];
}

const installScript = path.resolve(__dirname, '..', '..', 'scripts', 'install-debian-deps.sh');

function findProgram(name: BenchProgram): string | undefined {
  const directories = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const directory of directories) {
    const candidate = path.join(directory, name);
    if (directory && existsSync(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

function lookUp(): Partial<Record<BenchProgram, string>> {
  const found: Partial<Record<BenchProgram, string>> = {};
  for (const name of ['nmap', 'swaks', 'postfix'] as const) {
    const where = findProgram(name);
    if (where) {
      found[name] = where;
    }
  }
  return found;
}

export function ensurePrerequisites(log: (line: string) => void): Prerequisites {
  let found = lookUp();
  const notes: string[] = [];
  const missing = (): BenchProgram[] => (['nmap', 'swaks', 'postfix'] as const).filter((name) => !found[name]);
  const isRoot = process.getuid?.() === 0;
  if (missing().length > 0 && isRoot) {
    log(`installing ${missing().join(', ')} with scripts/install-debian-deps.sh ...`);
    try {
      execFileSync('bash', [installScript], { stdio: 'inherit' });
    } catch {
      notes.push('scripts/install-debian-deps.sh failed; see its output above.');
    }
    found = lookUp();
  }
  for (const name of missing()) {
    notes.push(`${name} is missing: run \`sudo bash scripts/install-debian-deps.sh\`, then the bench again. Its figures are left out.`);
  }
  let postfixProblem: string | undefined;
  if (!found.postfix) {
    postfixProblem = 'postfix is not installed';
  } else if (!isRoot) {
    postfixProblem = 'a lab Postfix must be started as root (its master binds the port and switches users); run the bench as root';
    notes.push(`Postfix targets skipped: ${postfixProblem}.`);
  }
  return { found, notes, ...(postfixProblem ? { postfixProblem } : {}) };
}
