// A local ESLint rule: import-x/no-cycle skips `import type`, so a cycle held by a type-only import (as
// authSteps.ts <-> smtpDocument.ts was) passes it. This rule reports, at each type-only import or export
// of a relative module, a path that leads back to the importing file through imports of any kind.
// Cycles made only of value imports are import-x/no-cycle's to report.
import * as fs from 'node:fs';
import * as path from 'node:path';

const specifierPattern = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
const extensions = ['.ts', '.mts', '.js', '.mjs', '/index.ts', '/index.js'];

/** Relative imports of a file, resolved to files; read once per lint run. */
const importsOf = new Map();

function resolveFrom(file, specifier) {
  const base = path.resolve(path.dirname(file), specifier);
  for (const candidate of [base, ...extensions.map((extension) => base + extension)]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
      return candidate;
    }
  }
  return undefined;
}

function relativeImports(file) {
  let found = importsOf.get(file);
  if (found === undefined) {
    found = [];
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      // A file that cannot be read has no imports to follow.
    }
    for (const match of text.matchAll(specifierPattern)) {
      const resolved = resolveFrom(file, match[1]);
      if (resolved !== undefined) {
        found.push(resolved);
      }
    }
    importsOf.set(file, found);
  }
  return found;
}

/** The files from `start` back to `target`, or undefined when no import path leads there. */
function pathBack(start, target) {
  const seen = new Set([start]);
  const queue = [[start]];
  while (queue.length > 0) {
    const trail = queue.shift();
    for (const next of relativeImports(trail[trail.length - 1])) {
      if (next === target) {
        return trail;
      }
      if (!seen.has(next)) {
        seen.add(next);
        queue.push([...trail, next]);
      }
    }
  }
  return undefined;
}

function isTypeOnly(node) {
  if (node.importKind === 'type' || node.exportKind === 'type') {
    return true;
  }
  const specifiers = node.specifiers ?? [];
  return specifiers.length > 0 && specifiers.every((specifier) => specifier.importKind === 'type' || specifier.exportKind === 'type');
}

export const noTypeImportCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'Import cycles that go through a type-only import (import-x/no-cycle ignores those)' },
    schema: [],
    messages: { cycle: 'Import cycle through a type-only import: {{trail}}. Move the shared types into a module of their own.' },
  },
  create(context) {
    const file = context.filename;
    const check = (node) => {
      const specifier = node.source?.value;
      if (typeof specifier !== 'string' || !specifier.startsWith('.') || !isTypeOnly(node)) {
        return;
      }
      const imported = resolveFrom(file, specifier);
      const trail = imported === undefined ? undefined : pathBack(imported, file);
      if (trail !== undefined) {
        const names = [file, ...trail, file].map((name) => path.relative(context.cwd, name));
        context.report({ node, messageId: 'cycle', data: { trail: names.join(' -> ') } });
      }
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check };
  },
};
