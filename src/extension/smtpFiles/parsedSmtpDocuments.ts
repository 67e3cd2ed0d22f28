import type * as vscode from 'vscode';
import { parseSmtpDocument, type ParseOptions, type SmtpDocument } from '../../core/smtpFile/smtpDocument';
import type { DynamicVariableResolver } from '../../core/smtpFile/variableReferences';

/**
 * The parse of each open .smtp document, for its current version and environment: CodeLens, diagnostics and
 * the commands all ask for it after every edit, and one parse serves them all.
 */
export class ParsedSmtpDocuments {
  private readonly parsed = new Map<string, { version: number; generation: number; document: SmtpDocument }>();
  private generation = 0;

  /** `optionsFor` gives the variables of the environment a file's text uses. */
  constructor(private readonly optionsFor: (text: string) => ParseOptions = () => ({})) {}

  get(document: vscode.TextDocument): SmtpDocument {
    const key = document.uri.toString();
    const known = this.parsed.get(key);
    if (known?.version === document.version && known.generation === this.generation) {
      return known.document;
    }
    const text = document.getText();
    const parsed = parseSmtpDocument(text, this.optionsFor(text));
    this.parsed.set(key, { version: document.version, generation: this.generation, document: parsed });
    return parsed;
  }

  /**
   * The document parsed for a run: as get() parses it, with the run's values of the dynamic built-ins for
   * its directives (`# @target {{$processEnv MX}}`). Not kept: each run has its own values.
   */
  parseForRun(document: vscode.TextDocument, dynamic: DynamicVariableResolver): SmtpDocument {
    const text = document.getText();
    return parseSmtpDocument(text, { ...this.optionsFor(text), dynamic });
  }

  /** The environments changed: every parse is stale. */
  invalidate(): void {
    this.generation += 1;
  }

  forget(uri: vscode.Uri): void {
    this.parsed.delete(uri.toString());
  }
}
