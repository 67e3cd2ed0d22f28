import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
    const allowed = /^(package\.json|README\.md|LICENSE|dist\/(extension|cli)\.js|language-configuration(-transcript)?\.json|syntaxes\/[\w-]+\.tmLanguage\.json|snippets\/smtp\.json|media\/.+\.(png|svg|md)|docs\/screenshots\/[\w-]+\.png)$/;
    const unexpected = files.filter((file) => !allowed.test(file));
    assert.deepEqual(unexpected, []);
  });
});

describe("the README's pictures on the installed extension's page", () => {
  test('every image the README shows by a relative path is in the .vsix (the package script does not rewrite links)', () => {
    const files = packagedFiles();
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((match) => match[1]!).filter((link) => !/^[a-z]+:/i.test(link));
    assert.ok(images.length > 0, 'the README shows pictures');
    assert.deepEqual(images.filter((image) => !files.includes(image)), []);
  });
});

describe('npm run package', () => {
  test("its vsce command packages the extension as it is (README images and all) into a .vsix", () => {
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    const vsceStep = String(manifest.scripts.package)
      .split('&&')
      .map((step) => step.trim())
      .find((step) => step.startsWith('vsce '));
    assert.ok(vsceStep, 'the package script runs vsce');
    const folder = mkdtempSync(path.join(tmpdir(), 'relay-lab-vsix-'));
    try {
      const output = path.join(folder, 'test.vsix');
      const args = vsceStep.split(/\s+/).slice(1);
      const outputFlag = args.indexOf('-o');
      assert.ok(outputFlag >= 0, 'the script names its output');
      args[outputFlag + 1] = output;
      execFileSync(path.join(root, 'node_modules', '.bin', 'vsce'), args, { cwd: root, stdio: 'pipe' });
      assert.ok(statSync(output).size > 0);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
