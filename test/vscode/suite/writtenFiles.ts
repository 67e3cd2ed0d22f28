import type { Dirent } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** One place a search found a needle: which file, and the name of the form that was found. */
export interface Finding {
  readonly file: string;
  readonly form: string;
}

/**
 * Every regular file under `roots`, once each (roots may nest: the logs folder lies inside the user data
 * folder). Symbolic links are not followed: the extensions folder links to the repository itself.
 * A root that does not exist is skipped; the caller asserts on the roots it must find.
 */
export async function filesUnder(roots: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(full);
      } else if (entry.isFile()) {
        found.add(full);
      }
    }
  };
  for (const root of roots) {
    await walk(root);
  }
  return [...found].sort();
}

/**
 * Searches the raw bytes of each file for each needle: no decoding, so a secret inside a binary file
 * (a SQLite database, a cache) is found as surely as in a log line. A file that vanished meanwhile is skipped.
 */
export async function findInFiles(files: readonly string[], needles: ReadonlyMap<string, string>): Promise<Finding[]> {
  const findings: Finding[] = [];
  const needleBytes = [...needles].map(([form, needle]) => ({ form, bytes: Buffer.from(needle, 'utf8') }));
  for (const file of files) {
    let content: Buffer;
    try {
      content = await fs.readFile(file);
    } catch {
      continue;
    }
    for (const { form, bytes } of needleBytes) {
      if (content.includes(bytes)) {
        findings.push({ file, form });
      }
    }
  }
  return findings;
}

/**
 * The folders a window's logs live in, from an extension's logUri: VS Code puts it at
 * `<user data>/logs/<session>/…/<extension id>`, in Electron and in code-server alike. Undefined when the
 * path has no `logs` folder above it (a host that lays its logs out otherwise).
 */
export function logFoldersOf(extensionLogDir: string): { sessionLogs: string; userData: string } | undefined {
  let child = extensionLogDir;
  let parent = path.dirname(child);
  while (parent !== child) {
    if (path.basename(parent) === 'logs') {
      return { sessionLogs: child, userData: path.dirname(parent) };
    }
    child = parent;
    parent = path.dirname(child);
  }
  return undefined;
}
