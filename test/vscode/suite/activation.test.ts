import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { extensionId } from '../../../src/extension/ids';
import type { LabContext } from '../../../src/extension/labContext';

interface ContributedCommand {
  readonly command: string;
  readonly title: string;
}

describe('activation', () => {
  it(`the extension ${extensionId} is present`, () => {
    assert.ok(vscode.extensions.getExtension(extensionId), `${extensionId} is not among the installed extensions`);
  });

  it('activates with every feature started: no "Could not start …" reported', async () => {
    const extension = vscode.extensions.getExtension<LabContext | undefined>(extensionId)!;
    const lab = await extension.activate();
    assert.equal(extension.isActive, true);
    // Each feature's failure is caught (and shown as "SMTP Relay Lab could not start …"), so activate() never
    // throws: what can fail is the list of features that did not start.
    assert.ok(lab, 'the context was built (in test mode activate() returns it)');
    assert.deepEqual(lab.featuresNotStarted, []);
  });

  it('registers every command that package.json contributes', async () => {
    const extension = vscode.extensions.getExtension(extensionId)!;
    await extension.activate();
    // Read the manifest as shipped, so a command added there without a registration fails here.
    const manifest = JSON.parse(fs.readFileSync(path.join(extension.extensionPath, 'package.json'), 'utf8')) as {
      contributes?: { commands?: ContributedCommand[] };
    };
    const contributed = manifest.contributes?.commands ?? [];
    assert.ok(contributed.length > 0, 'package.json contributes no commands');

    const registered = new Set(await vscode.commands.getCommands(true));
    const unregistered = contributed.filter(({ command }) => !registered.has(command));
    assert.deepEqual(
      unregistered.map(({ command, title }) => `${command} (${title})`),
      [],
      'contributed in package.json but not registered by activate()',
    );
  });
});
