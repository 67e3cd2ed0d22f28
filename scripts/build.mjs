// Bundles the two entry points: the extension (vscode is provided by the host) and the CLI.
// Tests are compiled by tsc instead (tsconfig.test.json), never bundled.
import * as esbuild from 'esbuild';
import * as path from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

// smtp-server ships a default key pair inside its tls-options module; the bundles get our stand-in.
const withoutSmtpServerDefaultKey = {
  name: 'smtp-server-tls-defaults',
  setup(build) {
    build.onResolve({ filter: /^\.\/tls-options(\.js)?$/ }, (args) =>
      args.importer.includes(`${path.sep}smtp-server${path.sep}`)
        ? { path: path.resolve('src/lab/smtpServerTlsDefaults.ts') }
        : undefined,
    );
  },
};

const common = {
  plugins: [withoutSmtpServerDefaultKey],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

const builds = [
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
];

// What .vscode/tasks.json's problem matcher waits for: F5 launches once a build finished.
const watchLog = {
  name: 'watch-log',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.log(location ? `${location.file}:${location.line}:${location.column + 1}: error: ${text}` : `error: ${text}`);
      }
      console.log(`[watch] build finished (${result.errors.length} errors)`);
    });
  },
};

if (watch) {
  for (const options of builds) {
    const context = await esbuild.context({ ...options, plugins: [...options.plugins, watchLog] });
    await context.watch();
  }
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
