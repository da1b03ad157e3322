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

// QAS_FIXTURE_PRESETS (tests only) names a JSON list of presets baked into
// this bundle's table (src/auth/presets/fixture.ts); checked here, so that
// nothing reads it at run time. Every other build has none, and dist/ (what
// ships) never does.
let fixturePresets;
if (process.env.QAS_FIXTURE_PRESETS) {
  if (!process.env.QAS_DIST) {
    console.error('QAS_FIXTURE_PRESETS builds into a QAS_DIST folder only, never into dist/');
    process.exit(1);
  }
  const { tsImport } = await import('tsx/esm/api');
  const { FixturePresets } = await tsImport('../src/auth/presets/fixture-schema.ts', import.meta.url);
  const file = resolve(process.env.QAS_FIXTURE_PRESETS);
  const parsed = FixturePresets.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    console.error(`QAS_FIXTURE_PRESETS: ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    process.exit(1);
  }
  fixturePresets = parsed.data;
}
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
  define: {
    __SERVER_VERSION__: JSON.stringify(pkg.version),
    __QAS_FIXTURE_PRESETS__: fixturePresets ? JSON.stringify(fixturePresets) : 'undefined',
    __QAS_FIXTURE_PRESET_IDS__: fixturePresets ? JSON.stringify(fixturePresets.map((p) => p.id)) : 'undefined',
  },
  banner: {
    // Bundled CommonJS dependencies call require(); give them one.
    js: "import { createRequire as __qasCreateRequire } from 'node:module';\nconst require = __qasCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
