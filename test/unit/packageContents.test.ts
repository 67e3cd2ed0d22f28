import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');

/** What `vsce package` would put in the .vsix, as `vsce ls` lists it from .vscodeignore. */
function packagedFiles(): string[] {
  const output = execFileSync(path.join(root, 'node_modules', '.bin', 'vsce'), ['ls', '--no-dependencies'], {
    cwd: root,
    encoding: 'utf8',
  });
  return output.split('\n').map((line) => line.trim()).filter((line) => line.length > 0);
}

describe('the .vsix holds only what runs', () => {
  const files = packagedFiles();

  test('the two bundles, the manifest and its contributions are in it', () => {
    for (const needed of ['package.json', 'dist/extension.js', 'dist/cli.js', 'snippets/smtp.json', 'syntaxes/smtp.tmLanguage.json']) {
      assert.ok(files.includes(needed), `${needed} is packaged`);
    }
  });

  test('no source, test, fixture, source map, cache or dependency is in it', () => {
    const allowed = /^(package\.json|README\.md|LICENSE|dist\/(extension|cli)\.js|language-configuration(-transcript)?\.json|syntaxes\/[\w-]+\.tmLanguage\.json|snippets\/smtp\.json|media\/.+\.(png|svg|md))$/;
    const unexpected = files.filter((file) => !allowed.test(file));
    assert.deepEqual(unexpected, []);
  });
});
