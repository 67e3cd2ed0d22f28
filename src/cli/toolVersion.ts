import packageManifest from '../../package.json';

/** The version in package.json, bundled into dist/cli.js by esbuild. */
export const toolVersion: string = packageManifest.version;

/** How transcripts and reports name their tool: "smtp-relay-lab 0.1.0". */
export const toolLabel = `smtp-relay-lab ${toolVersion}`;
