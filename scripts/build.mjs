// Bundles the server into one file so that start-up reads few files.
// Provider SDKs stay external: they are imported lazily, on first use.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['src/server.ts'],
  outfile: 'dist/server.js',
  bundle: true,
  platform: 'node',
  // jsonc-parser's UMD build hides its requires from the bundler; its ESM build does not.
  mainFields: ['module', 'main'],
  format: 'esm',
  target: 'node20.19',
  sourcemap: 'linked',
  legalComments: 'none',
  external: ['openai', '@anthropic-ai/sdk', '@google/genai', 'fsevents'],
  define: { __SERVER_VERSION__: JSON.stringify(pkg.version) },
  banner: {
    // Bundled CommonJS dependencies call require(); give them one.
    js: "#!/usr/bin/env node\nimport { createRequire as __qasCreateRequire } from 'node:module';\nconst require = __qasCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
