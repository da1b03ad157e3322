// Bundles the server so that start-up reads few files: dist/server.js plus
// chunks that load on first use (file watching, writes, OAuth, networking).
// Provider SDKs stay external: they are imported lazily, on first use.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// QAS_DIST builds elsewhere (a folder under the repo), so that parallel work
// on one checkout doesn't replace the bundle another test run is using.
const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = resolve(root, process.env.QAS_DIST || 'dist');
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/server.ts'],
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  // jsonc-parser's UMD build hides its requires from the bundler; its ESM build does not.
  mainFields: ['module', 'main'],
  format: 'esm',
  target: 'node20.19',
  sourcemap: 'linked',
  legalComments: 'none',
  // Names stay readable in stack traces; only white space and syntax shrink.
  minifyWhitespace: true,
  minifySyntax: true,
  external: ['openai', '@anthropic-ai/sdk', '@google/genai', 'fsevents'],
  define: { __SERVER_VERSION__: JSON.stringify(pkg.version) },
  banner: {
    // Bundled CommonJS dependencies call require(); give them one.
    js: "import { createRequire as __qasCreateRequire } from 'node:module';\nconst require = __qasCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
