import * as vscode from 'vscode';
import { registerDiagnostics } from './diagnostics/registerDiagnostics';
import { LabContext, reportActivationFailure } from './labContext';
import { registerPasswordCommand } from './passwordCommand';
import { registerPracticeServer } from './practiceServerHost';
import { registerSmtpFiles } from './smtpFiles/registerSmtpFiles';
import { registerTargetCommands } from './targetCommands';
import { registerTestExplorer } from './testing/relayTestExplorer';
import { registerCompareWithPreviousRun } from './transcripts/compareWithPreviousRun';
import { registerTranscripts } from './transcripts/registerTranscripts';
import { registerSessionTerminal } from './terminal/registerSessionTerminal';
import { registerRelayCommands } from './verdict/registerRelayCommands';

/**
 * The composition root: build the context, register each face, return. No network and no file scans here;
 * features start work when the user invokes them.
 *
 * The LabContext reaches SecretStorage, so it is the extension's API only in test mode (the in-VS-Code
 * suite): anywhere else, any installed extension could read the SMTP passwords through
 * `vscode.extensions.getExtension(id).exports`.
 */
export function activate(context: vscode.ExtensionContext): LabContext | undefined {
  let lab: LabContext;
  try {
    lab = new LabContext(context);
  } catch (error) {
    reportActivationFailure('the extension', error);
    return undefined;
  }
  context.subscriptions.push(lab);

  lab.register('target selection', registerTargetCommands);
  lab.register('AUTH passwords', registerPasswordCommand);
  lab.register('transcript diagnostics', registerDiagnostics);
  lab.register('the transcripts store', registerTranscripts);
  lab.register('Compare with Previous Run', registerCompareWithPreviousRun);
  lab.register('the practice server', registerPracticeServer);
  lab.register('the session terminal', registerSessionTerminal);
  lab.register('.smtp files', registerSmtpFiles);
  lab.register('the Test Explorer', registerTestExplorer);
  lab.register('the relay suite and verdict commands', registerRelayCommands);

  return context.extensionMode === vscode.ExtensionMode.Test ? lab : undefined;
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions through LabContext.
}
