import type * as vscode from 'vscode';
import { parseSmtpDocument, type SmtpDocument } from './smtpDocument';

/**
 * The parse of each open .smtp document, for its current version: CodeLens, diagnostics and the commands
 * all ask for it after every edit, and one parse serves them all.
 */
export class ParsedSmtpDocuments {
  private readonly parsed = new Map<string, { version: number; document: SmtpDocument }>();

  get(document: vscode.TextDocument): SmtpDocument {
    const key = document.uri.toString();
    const known = this.parsed.get(key);
    if (known?.version === document.version) {
      return known.document;
    }
    const parsed = parseSmtpDocument(document.getText());
    this.parsed.set(key, { version: document.version, document: parsed });
    return parsed;
  }

  forget(uri: vscode.Uri): void {
    this.parsed.delete(uri.toString());
  }
}
