/** What the benchmarks share: statistics, settings files, the bare baseline server, bundle sizes. */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
export const median = (xs: number[]): number => {
  const s = sorted(xs);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
export const p90 = (xs: number[]): number => {
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.9) - 1)]!;
};

export const PROVIDER_KEYS = ['openai', 'anthropic', 'gemini', 'vertex-ai'] as const;
/** The environment variables the generated models' envKeys name. */
export const ENV_KEYS = Array.from({ length: 7 }, (_, i) => `BENCH_KEY_${i}`);

/**
 * A user settings.json with `n` models spread round-robin over the four
 * modelProviders keys, each with an envKey (7 distinct names) and half with a baseUrl
 * of their own, the way people configure them.
 */
export function settingsWith(n: number, selected = 'model-0'): string {
  const providers: Record<string, object[]> = Object.fromEntries(PROVIDER_KEYS.map((k) => [k, []]));
  for (let i = 0; i < n; i++) {
    const key = PROVIDER_KEYS[i % 4]!;
    providers[key]!.push({
      id: `model-${i}`,
      name: `Model ${i}`,
      envKey: ENV_KEYS[i % ENV_KEYS.length],
      // Half of each provider's models name their own endpoint.
      ...(i % 8 >= 4 ? { baseUrl: `https://llm-${i % 13}.example.com/v1` } : {}),
    });
  }
  return `${JSON.stringify(
    {
      $version: 2,
      ui: { theme: 'GitHub' },
      model: { name: selected },
      security: { auth: { selectedType: 'openai' } },
      modelProviders: providers,
    },
    null,
    2,
  )}\n`;
}

/** Sets every ENV_KEYS name, so that each model has a credential (the ordinary case). */
export function withKeys(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  ENV_KEYS.forEach((k, i) => (out[k] = `sk-bench-${String(i).repeat(24)}`));
  return out;
}

/**
 * Bundles bench/bare-server.mjs the way scripts/build.mjs bundles the server
 * (esbuild, ESM, node target, same minification and require banner), so the
 * two start from equally prepared files.
 */
export async function buildBareServer(cacheDir: string): Promise<string> {
  const outfile = resolve(cacheDir, 'bare-server.mjs');
  await build({
    entryPoints: [resolve('bench/bare-server.mjs')],
    outfile,
    bundle: true,
    platform: 'node',
    mainFields: ['module', 'main'],
    format: 'esm',
    target: 'node20.19',
    legalComments: 'none',
    minifyWhitespace: true,
    minifySyntax: true,
    banner: { js: "import { createRequire as __c } from 'node:module';\nconst require = __c(import.meta.url);" },
    logLevel: 'error',
  });
  return outfile;
}

/** The files a bundle loads through static imports, starting from `entry`. */
function staticClosure(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const text = readFileSync(entry, 'utf8');
  for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*"(\.{1,2}\/[^"]+)"/g)) staticClosure(join(dirname(entry), m[1]!), seen);
  return seen;
}

const kb = (files: Iterable<string>) => [...files].reduce((n, f) => n + statSync(f).size, 0) / 1024;

/**
 * Sizes of dist/: the entry file alone, what loads before the initialize
 * answer (its static imports), what loads for the first request (plus the
 * app chunk's), and every .js file.
 */
export function bundleSizes(serverFile: string): { entryKb: number; initKb: number; firstRequestKb: number } {
  const atInit = staticClosure(serverFile);
  const app = /import\("(\.\/chunks\/app-[^"]+)"\)/.exec(readFileSync(serverFile, 'utf8'))?.[1];
  const atFirst = app ? staticClosure(join(dirname(serverFile), app), new Set(atInit)) : atInit;
  return { entryKb: statSync(serverFile).size / 1024, initKb: kb(atInit), firstRequestKb: kb(atFirst) };
}
