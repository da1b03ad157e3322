// Bundles the server so that start-up reads few files: dist/server.js plus
// chunks that load on first use (file watching, writes, OAuth, networking).
// Provider SDKs stay external: they are imported lazily, on first use.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const require = createRequire(import.meta.url);

/**
 * zod re-exports every locale (about 300 KB of messages) for `z.locales`;
 * the server only ever speaks English, and start-up time is mostly parsing.
 */
const englishOnlyZod = {
  name: 'english-only-zod',
  setup(b) {
    const zodDir = dirname(require.resolve('zod/package.json'));
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.startsWith(zodDir) ? { path: 'zod-locales', namespace: 'zod-locales' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, () => ({
      contents: `export { default as en } from ${JSON.stringify(join(zodDir, 'v4/locales/en.js'))};`,
      resolveDir: zodDir,
    }));
  },
};

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
  plugins: [englishOnlyZod],
  banner: {
    // Bundled CommonJS dependencies call require(); give them one.
    js: "import { createRequire as __qasCreateRequire } from 'node:module';\nconst require = __qasCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
