import * as vscode from 'vscode';
import { relayCatalogue } from '../../core/relay/relayCatalogue';
import { DisposableStore } from '../disposableStore';
import { commandIds, terminalProfileId } from '../ids';
import type { LabContext } from '../labContext';
import { readTarget, type Target } from '../target';
import { SessionTerminal } from './sessionTerminal';
import { SessionTerminalRegistry } from './sessionTerminalRegistry';

/**
 * The argument `smtpRelayLab.openSessionTerminal` accepts, so that a test, a walkthrough step or another
 * command can skip the target picker: a target in the shape of the `smtpRelayLab.targets` setting.
 */
export interface OpenSessionTerminalArguments {
  target?: unknown;
}

/**
 * The session terminal face: "Open Session Terminal", "Run Relay Test in Session Terminal" (the
 * walkthrough's buttons) and the "SMTP Session" terminal profile. Both commands resolve with the
 * SessionTerminal they used, or undefined when the user cancelled.
 */
export function registerSessionTerminal(lab: LabContext): vscode.Disposable {
  const store = new DisposableStore();
  const registry = store.add(
    new SessionTerminalRegistry(
      {
        settings: lab.settings,
        passwords: lab.passwords,
        transcripts: lab.transcripts,
        relayVerdicts: lab.relayVerdicts,
        // Read at each test: the practice server may start after the terminal's feature registered.
        practiceDeliveryEvidence: (target) => lab.practiceDeliveryEvidence?.(target),
      },
      lab.connectionStatus,
    ),
  );

  const targetFrom = async (argument: unknown): Promise<Target | undefined> => {
    const given = (argument as OpenSessionTerminalArguments | undefined)?.target;
    if (given === undefined) {
      return lab.targets.resolveSingleHost();
    }
    const target = readTarget(given);
    if (!target) {
      void vscode.window.showErrorMessage('Open Session Terminal: the target given has no usable host.');
    }
    // A mail domain: the terminal talks to one of its MX addresses, picked here.
    return target ? lab.targets.singleHost(target) : undefined;
  };

  store.add(
    vscode.commands.registerCommand(commandIds.openSessionTerminal, async (argument?: unknown) => {
      const target = await targetFrom(argument);
      return target ? registry.show(target) : undefined;
    }),
  );

  store.add(
    vscode.commands.registerCommand(commandIds.runRelayTest, async (testIds?: string | string[]) => {
      const ids = testIds === undefined ? await pickRelayTests() : typeof testIds === 'string' ? [testIds] : testIds;
      if (!ids || ids.length === 0) {
        return undefined;
      }
      // A terminal whose connection is gone would only answer "not connected": the tests get a fresh one.
      let session = registry.active;
      if (session && session.connection.kind !== 'closed') {
        registry.reveal(session);
      } else {
        const target = await lab.targets.resolveSingleHost();
        if (!target) {
          return undefined;
        }
        session = registry.show(target);
      }
      await session.runTests(ids);
      return session;
    }),
  );

  store.add(
    vscode.window.registerTerminalProfileProvider(terminalProfileId, {
      async provideTerminalProfile() {
        const target = await lab.targets.resolveSingleHost();
        if (!target) {
          return undefined;
        }
        return new vscode.TerminalProfile({
          name: SessionTerminal.titleFor(target),
          pty: registry.create(target),
          iconPath: new vscode.ThemeIcon('mail'),
        });
      },
    }),
  );
  return store;
}

/**
 * Several tests can be ticked; Enter with none ticked runs the highlighted one, so typing "kb1" and Enter
 * runs kb1 (a multi-select picker would otherwise close and run nothing).
 */
export async function pickRelayTests(onShow?: (picker: vscode.QuickPick<vscode.QuickPickItem>) => void): Promise<string[] | undefined> {
  const picker = vscode.window.createQuickPick();
  picker.title = 'Run Relay Test in Session Terminal';
  picker.placeholder = 'Type a test id (kb1) and press Enter, or tick several';
  picker.canSelectMany = true;
  picker.matchOnDescription = true;
  picker.items = relayCatalogue.map((test) => ({ label: test.id, description: test.title, detail: test.probes }));
  try {
    return await new Promise<string[] | undefined>((resolve) => {
      picker.onDidAccept(() => {
        resolve(acceptedTestIds(picker));
        picker.hide();
      });
      picker.onDidHide(() => resolve(undefined));
      picker.show();
      onShow?.(picker);
    });
  } finally {
    picker.dispose();
  }
}

/** Ticked tests; else the test whose id was typed ("kb1"); else the highlighted one. */
function acceptedTestIds(picker: vscode.QuickPick<vscode.QuickPickItem>): string[] {
  if (picker.selectedItems.length > 0) {
    return picker.selectedItems.map((item) => item.label);
  }
  const typed = picker.value.trim().toLowerCase();
  const named = picker.items.find((item) => item.label.toLowerCase() === typed);
  if (named) {
    return [named.label];
  }
  return picker.activeItems.slice(0, 1).map((item) => item.label);
}
