/**
 * Writes snippets/smtp.json from the relay-test catalogue (src/core/smtpFile/relaySnippets.ts).
 * Compiled with the tests: `npm run compile-tests && node out/scripts/generate-snippets.js`.
 * `--check` writes nothing and exits 1 when the committed file is not what the catalogue gives now.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { relaySnippetsFileText } from '../src/core/smtpFile/relaySnippets';

/**
 * The repository root: the nearest folder above this script with tsconfig.json (out/ holds a copy of
 * package.json, since the CLI imports it, but no tsconfig.json).
 */
function repositoryRoot(): string {
  let folder = __dirname;
  while (!existsSync(path.join(folder, 'tsconfig.json'))) {
    const parent = path.dirname(folder);
    if (parent === folder) {
      throw new Error(`no tsconfig.json above ${__dirname}`);
    }
    folder = parent;
  }
  return folder;
}

const snippetsFile = path.join(repositoryRoot(), 'snippets', 'smtp.json');
const wanted = relaySnippetsFileText();
const committed = existsSync(snippetsFile) ? readFileSync(snippetsFile, 'utf8') : undefined;

if (process.argv.includes('--check')) {
  if (committed !== wanted) {
    console.error(`${snippetsFile} is out of date: run node out/scripts/generate-snippets.js`);
    process.exitCode = 1;
  }
} else if (committed !== wanted) {
  writeFileSync(snippetsFile, wanted);
  console.log(`wrote ${snippetsFile}`);
} else {
  console.log(`${snippetsFile} is up to date`);
}
