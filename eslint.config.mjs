// `npm run lint`: ESLint with type information over src, test, bench and scripts (part of `npm test`).
// The rules that guard the design: no floating promises, no import cycles, and no `vscode` in the
// vscode-free layers (src/core, src/lab, src/cli), which plain node, the CLI and the tests load; and no
// import of src/extension from those layers either: the CLI shares the editor's engine and .smtp parser
// through src/core, never through the extension's folder (one engine, one parser).
import eslint from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import { noTypeImportCycle } from './scripts/eslint/noTypeImportCycle.mjs';

const noVscode = {
  paths: [{ name: 'vscode', message: 'src/core, src/lab and src/cli stay free of vscode: the CLI and plain node tests load them. Put VS Code code in src/extension.' }],
};

export default tseslint.config(
  { linterOptions: { reportUnusedDisableDirectives: 'off' } },
  { ignores: ['node_modules/', 'dist/', 'out/', '.cache/', '.vscode-test/', 'test-results/', 'bench-results/', 'test/fixtures/'] },
  {
    files: ['**/*.ts'],
    extends: [eslint.configs.recommended, ...tseslint.configs.recommended],
    plugins: { 'import-x': importX, local: { rules: { 'no-type-import-cycle': noTypeImportCycle } } },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      // node:test's describe() and test() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'test', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'local/no-type-import-cycle': 'error',
      // The compiler checks these (noUnusedLocals, strict); ESLint would only say it twice.
      '@typescript-eslint/no-unused-vars': 'off',
      'no-undef': 'off',
      // Terminal output and the wire format are made of control characters on purpose: finding and escaping
      // them is what those regexes are for. (A leftover `eslint-disable no-control-regex` is harmless, so
      // unused disable directives are not reported either.)
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/lab/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', noVscode],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: ['cli', 'core', 'lab'].map((layer) => ({
            target: `./src/${layer}`,
            from: './src/extension',
            message: `src/${layer} may not import from src/extension: what the CLI and the editor share lives in src/core (the .smtp parser and runner: src/core/smtpFile).`,
          })),
        },
      ],
    },
  },
  {
    files: ['**/*.mjs'],
    extends: [eslint.configs.recommended],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: { 'no-empty': ['error', { allowEmptyCatch: true }] },
  },
);
