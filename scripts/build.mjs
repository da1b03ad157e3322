// Bundles the server so that start-up reads few files: dist/server.js plus
// chunks that load on first use (file watching, writes, OAuth, networking).
// Provider SDKs stay external: they are imported lazily, on first use.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: ['src/server.ts'],
  outdir: 'dist',
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
