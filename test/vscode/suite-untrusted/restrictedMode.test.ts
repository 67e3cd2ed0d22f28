import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as vscode from 'vscode';
import { writeTranscript } from '../../../src/core/transcript/transcriptFormat';
import { commandIds, extensionId, languageIds, settingKeys } from '../../../src/extension/ids';
import type { LabContext } from '../../../src/extension/labContext';
import type { SmtpFileRun } from '../../../src/extension/smtpFiles/smtpFileSessions';
import { userLevelTarget, workspaceDnsResolver, workspaceLevelTarget, workspaceReplySeconds } from './restrictedWorkspace';

/**
 * A loopback SMTP server that counts the connections it is offered: the witness that opening files connects
 * to nothing. It answers just enough for a .smtp file to run when the user's own settings name it.
 */
class CountingSmtpServer {
  connections = 0;
  private readonly server = net.createServer((socket) => {
    this.connections += 1;
    socket.write('220 counting.example.com ESMTP\r\n');
    let pending = '';
    socket.on('data', (chunk) => {
      const lines = (pending + chunk.toString('latin1')).split('\r\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (/^QUIT/i.test(line)) {
          socket.end('221 2.0.0 Bye\r\n');
        } else {
          socket.write(/^EHLO/i.test(line) ? '250 counting.example.com\r\n' : '250 2.0.0 OK\r\n');
        }
      }
    });
    socket.on('error', () => undefined);
  });

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Resolves once `accept` holds for the document's diagnostics, checking at each change (never a timer). */
function diagnosticsWhen(uri: vscode.Uri, accept: (diagnostics: vscode.Diagnostic[]) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): boolean => accept(vscode.languages.getDiagnostics(uri));
    if (check()) {
      resolve();
      return;
    }
    const listener = vscode.languages.onDidChangeDiagnostics((event) => {
      if (event.uris.some((changed) => changed.toString() === uri.toString()) && check()) {
        listener.dispose();
        resolve();
      }
    });
  });
}

async function writeWorkspaceFile(name: string, text: string): Promise<vscode.Uri> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the suite runs with a workspace folder');
  const uri = vscode.Uri.joinPath(folder.uri, name);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  return uri;
}

async function setUserTargets(targets: readonly object[]): Promise<void> {
  await vscode.workspace.getConfiguration().update(settingKeys.targets, targets, vscode.ConfigurationTarget.Global);
}

/**
 * The extension in a workspace the user did not trust (code-server with workspace trust on, no startup prompt):
 * supported in a limited way, with targets from user settings only and nothing that connects on its own.
 */
describe('Restricted Mode (an untrusted workspace)', () => {
  let lab: LabContext;
  const server = new CountingSmtpServer();

  before(async () => {
    const extension = vscode.extensions.getExtension<LabContext>(extensionId);
    assert.ok(extension, `${extensionId} is installed`);
    lab = await extension.activate();
    await server.listen();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await setUserTargets([userLevelTarget]);
    await server.close();
  });

  it('runs in a workspace that VS Code really does not trust, and the extension activates there', () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the host opened the folder in Restricted Mode');
    assert.equal(vscode.extensions.getExtension(extensionId)?.isActive, true);
  });

  it('reads the workspace settings for what is not restricted', () => {
    assert.equal(vscode.workspace.getConfiguration().inspect(settingKeys.replySeconds)?.workspaceValue, workspaceReplySeconds);
    assert.equal(lab.settings.replySeconds.value, workspaceReplySeconds);
  });

  it('offers only the user-level targets: the server the workspace settings name is ignored', () => {
    assert.deepEqual(
      lab.targets.configured.map((target) => `${target.label} ${target.host}:${target.port}`),
      [`${userLevelTarget.name} ${userLevelTarget.host}:${userLevelTarget.port}`],
    );
    assert.equal(
      lab.targets.configured.some((target) => target.host === workspaceLevelTarget.host),
      false,
      `${workspaceLevelTarget.host}, from .vscode/settings.json, is not offered`,
    );
  });

  it('ignores a workspace-level relay.confirmByDelivery: the workspace cannot make a relay test send DATA', () => {
    assert.equal(lab.settings.confirmByDelivery.value, false);
  });

  it('ignores a workspace-level dnsResolver: a domain typed in the picker is looked up with the system resolver', () => {
    assert.notEqual(lab.settings.dnsResolver.value, workspaceDnsResolver);
    assert.equal(lab.settings.dnsResolver.value, '');
  });

  it('ignores the workspace-level catcher settings: the workspace cannot make the extension listen, log in or pick the sender', () => {
    assert.equal(lab.settings.catcher.value, '');
    assert.equal(lab.settings.mailFrom.value, '');
    assert.equal(lab.settings.confirmTimeoutSeconds.value, 60);
  });

  describe('files that name a server', () => {
    let smtpFile: vscode.Uri;
    let transcriptFile: vscode.Uri;

    before(async () => {
      smtpFile = await writeWorkspaceFile(
        'from-the-workspace.smtp',
        [`# @target 127.0.0.1:${server.port}`, '# @tls none', '', '### greet', 'EHLO client.example.org', ''].join('\n'),
      );
      const startedAt = Date.parse('2026-11-28T22:30:00.000Z');
      const events: [('sent' | 'received'), string][] = [
        ['received', '220 counting.example.com ESMTP'],
        ['sent', 'EHLO client.example.org'],
        ['received', '250 counting.example.com'],
        ['sent', 'MAIL FROM:<user@example.net>'],
        ['received', '250 2.1.0 Sender OK'],
        ['sent', 'RCPT TO:<someone@example.net>'],
        ['received', '550 5.7.1 Unable to relay for someone@example.net'],
      ];
      transcriptFile = await writeWorkspaceFile(
        'from-the-workspace.smtp-transcript',
        writeTranscript({
          header: { tool: 'smtp-relay-lab 0.1.0', target: `127.0.0.1:${server.port}`, startedAt },
          events: events.map(([kind, text], index) => ({ kind, text, tls: false, at: startedAt + index * 10 })),
        }),
      );
    });

    it('opening a .smtp file whose # @target is a listening loopback server, and a saved transcript of it, connects to nothing', async () => {
      const smtpDocument = await vscode.workspace.openTextDocument(smtpFile);
      await vscode.window.showTextDocument(smtpDocument);
      assert.equal(smtpDocument.languageId, languageIds.smtp);
      // The extension has handled the file once its CodeLens is there: Send and Run file, not run.
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', smtpFile);
      assert.ok(lenses.length > 0, 'the .smtp file has its CodeLens');

      const transcriptDocument = await vscode.workspace.openTextDocument(transcriptFile);
      await vscode.window.showTextDocument(transcriptDocument, vscode.ViewColumn.Beside);
      assert.equal(transcriptDocument.languageId, languageIds.transcript);
      // ...and the saved transcript once its relay-denied reply is marked.
      await diagnosticsWhen(transcriptFile, (found) => found.some((diagnostic) => diagnostic.code === 'relay-denied'));

      assert.equal(server.connections, 0, 'the server named in both files was never connected to');
    });

    it('Run File refuses the file\'s own # @target: nothing is sent, the server sees no connection', async () => {
      const run = await vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.runFile, smtpFile);
      assert.equal(run, undefined, 'Run File resolves with nothing sent');
      const block = await vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.sendBlock, smtpFile, 0);
      assert.equal(block, undefined, 'Send Block resolves with nothing sent');
      assert.equal(server.connections, 0);
    });

    it('Run File connects once the user\'s own settings name that server: user settings decide, not the workspace', async () => {
      const ownServer = { name: 'My loopback server', host: '127.0.0.1', port: server.port, tls: 'none' };
      const listed = new Promise<void>((resolve) => {
        const listener = lab.settings.targets.onDidChange((targets) => {
          if (targets.some((target) => target.port === server.port)) {
            listener.dispose();
            resolve();
          }
        });
      });
      await setUserTargets([userLevelTarget, ownServer]);
      await listed;

      const run = await vscode.commands.executeCommand<SmtpFileRun | undefined>(commandIds.runFile, smtpFile);
      assert.ok(run, 'Run File sent the file');
      assert.equal(run.results[0]?.error, undefined);
      assert.equal(server.connections, 1);
    });
  });
});
