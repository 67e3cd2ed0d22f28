import * as vscode from 'vscode';
import { createPersona } from '../lab/personaCatalogue';
import { practicePersonas, type PracticePersona } from './target';

/**
 * The quick pick of practice-server personas, for "Start Practice Server" and the target picker alike:
 * the preferred one (the setting) first, each described by the lab's own summary of it.
 */
export async function pickPracticePersona(preferred: PracticePersona, title: string): Promise<PracticePersona | undefined> {
  const ordered = [preferred, ...practicePersonas.filter((persona) => persona !== preferred)];
  const chosen = await vscode.window.showQuickPick(
    ordered.map((persona) => ({ label: persona, detail: createPersona(persona).summary, persona })),
    { title, placeHolder: 'How should the practice server behave?' },
  );
  return chosen?.persona;
}
