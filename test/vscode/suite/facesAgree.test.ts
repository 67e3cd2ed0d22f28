import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RelayTestResult } from '../../../src/core/relay/relayTypes';
import { commandIds, extensionId } from '../../../src/extension/ids';
import type { LabContext } from '../../../src/extension/labContext';
import { diagnosticSource } from '../../../src/extension/diagnostics/transcriptDiagnostics';
import type { RelayVerdictRecord } from '../../../src/extension/verdict/relayVerdictRecord';
import { saveRelayTranscript } from '../../../src/extension/verdict/relayTranscriptSaving';
import { runAllTests } from './runAllTests';

/**
 * Issue 7, "The editor follows": a run from the Test Explorer, then its saved transcript opened in the editor.
 * The Problems of that file must say per test what the Test Explorer said: an Error where a test failed
 * (relayed), a Warning where it needs confirmation or is inconclusive, nothing at all for the accepted
 * control, and no Error or Warning in a test that passed. The saved file marks each test (`=== test <id>: …`),
 * which is how the Problems are found per test here, as a reader of the file would find them.
 */
describe('a saved run: its Problems match the Test Explorer outcomes of the same run', () => {
  let lab: LabContext;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'smtp-relay-lab-faces-'));

  before(async () => {
    lab = (await vscode.extensions.getExtension(extensionId)!.activate()) as LabContext;
  });

  after(async () => {
    await vscode.commands.executeCommand(commandIds.stopPracticeServer);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  async function runAllAgainst(persona: string): Promise<RelayVerdictRecord> {
    await vscode.commands.executeCommand(commandIds.startPracticeServer, persona);
    const published = new Promise<RelayVerdictRecord>((resolve) => {
      const listener = lab.relayVerdicts.onDidPublish((record) => {
        listener.dispose();
        resolve(record);
      });
    });
    await runAllTests(lab);
    return published;
  }

  /** The file's diagnostics of ours, once the extension has annotated it. */
  async function problemsOf(uri: vscode.Uri): Promise<vscode.Diagnostic[]> {
    const ours = (): vscode.Diagnostic[] => vscode.languages.getDiagnostics(uri).filter((diagnostic) => diagnostic.source === diagnosticSource);
    if (ours().length > 0) {
      return ours();
    }
    return new Promise((resolve) => {
      const listener = vscode.languages.onDidChangeDiagnostics((event) => {
        if (event.uris.some((changed) => changed.toString() === uri.toString()) && ours().length > 0) {
          listener.dispose();
          resolve(ours());
        }
      });
    });
  }

  /** 0-based [first, last] lines of each test's section: from its `=== test id:` line to the next one. */
  function sections(text: string): Map<string, [number, number]> {
    const lines = text.split('\n');
    const starts = lines.flatMap((line, index) => {
      const match = /^\S+ === test ([^:]+): /.exec(line);
      return match ? [{ id: match[1], index }] : [];
    });
    return new Map(starts.map((start, n) => [start.id, [start.index, (starts[n + 1]?.index ?? lines.length) - 1]]));
  }

  function inSection(problems: readonly vscode.Diagnostic[], section: [number, number]): vscode.Diagnostic[] {
    return problems.filter((problem) => problem.range.start.line >= section[0] && problem.range.start.line <= section[1]);
  }

  function expectAgreement(result: RelayTestResult, state: string | undefined, found: vscode.Diagnostic[]): void {
    const severities = found.map((problem) => problem.severity);
    const where = `${result.id} (${result.outcome}, Test Explorer: ${state})`;
    switch (result.outcome) {
      case 'failed':
        assert.equal(state, 'failed', where);
        assert.ok(severities.includes(vscode.DiagnosticSeverity.Error), `${where}: an Error in its section`);
        assert.ok(
          found.some((problem) => problem.severity === vscode.DiagnosticSeverity.Error && problem.message.startsWith(`${result.id} failed`)),
          `${where}: the Error names the test`,
        );
        break;
      case 'needs-confirmation':
      case 'inconclusive':
        assert.notEqual(state, 'failed', where);
        assert.ok(!severities.includes(vscode.DiagnosticSeverity.Error), `${where}: no Error`);
        assert.ok(
          found.some((problem) => problem.severity === vscode.DiagnosticSeverity.Warning && problem.message.startsWith(`${result.id} `)),
          `${where}: a Warning that names the test`,
        );
        break;
      case 'passed':
        assert.equal(state, 'passed', where);
        assert.ok(!severities.includes(vscode.DiagnosticSeverity.Error) && !severities.includes(vscode.DiagnosticSeverity.Warning), `${where}: no Error or Warning`);
        if (result.group === 'control') {
          assert.deepEqual(found, [], `${where}: the accepted control is no finding at all`);
        }
        break;
      case 'error':
        break;
    }
  }

  for (const persona of ['open', 'exchange']) {
    it(`${persona}: every test's Problems say what the Test Explorer said`, async () => {
      const record = await runAllAgainst(persona);
      const destination = vscode.Uri.file(path.join(scratch, `${persona}.smtp-transcript`));
      assert.equal((await saveRelayTranscript(record, destination))?.toString(), destination.toString());
      const document = await vscode.workspace.openTextDocument(destination);
      await vscode.window.showTextDocument(document);
      const problems = await problemsOf(destination);
      const bySection = sections(document.getText());
      assert.deepEqual([...bySection.keys()], record.report.tests.map((result) => result.id), 'the saved file marks every test');
      for (const result of record.report.tests) {
        expectAgreement(result, record.testItems?.[result.id]?.state, inSection(problems, bySection.get(result.id)!));
      }
      if (persona === 'open') {
        assert.ok(record.report.tests.some((result) => result.outcome === 'failed'), 'the open relay fails tests');
      }
    });
  }
});
