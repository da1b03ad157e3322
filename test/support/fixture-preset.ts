/**
 * A preset no client can know, baked into a server bundle of its own
 * (scripts/build.mjs, QAS_FIXTURE_PRESETS): the editor tests show that a
 * preset added to the server's table reaches their login menus, and signs
 * in, with no client change. Its endpoints are a loopback provider's, so
 * the bundle is built once per test run, after the provider listens.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** A key the fixture's key rule takes; the provider must be started with it. */
export const FIXTURE_KEY = 'acme-fixture-key-0123456789abcdef';

/** The fixture preset, what the editors must show of it, with its two regions at `origin` (a provider peer's). */
export function fixturePreset(origin: string) {
  return {
    id: 'fixture-acme',
    label: 'Acme Fixture Cloud',
    description: 'A preset only the fixture build has',
    group: 'third-party',
    protocol: 'openai',
    envKey: 'ACME_FIXTURE_API_KEY',
    regions: [
      { id: 'north', label: 'Acme North', baseUrl: `${origin}/north/v1`, namePrefix: 'Acme', version: 'fixture-north' },
      { id: 'south', label: 'Acme South', baseUrl: `${origin}/south/v1`, namePrefix: 'Acme', version: 'fixture-south' },
    ],
    keyRule: { prefix: 'acme-', placeholder: 'acme-…', message: 'an Acme key starts with acme-' },
    owns: { kind: 'namePrefix' },
    models: [{ id: 'acme-large' }, { id: 'acme-small' }],
  } as const;
}

/**
 * Builds the server with `presets` added to its table, into a folder of its
 * own beside the bundle under test (so parallel runs on one checkout keep
 * apart); returns its server.js.
 */
export function buildFixtureServer(name: string, presets: readonly unknown[]): string {
  const dir = join(ROOT, '.cache', `${basename(process.env.QAS_DIST || 'dist')}-fixture-preset-${name}`);
  const file = `${dir}.json`;
  mkdirSync(join(ROOT, '.cache'), { recursive: true });
  writeFileSync(file, JSON.stringify(presets, null, 2));
  const r = runBuild({ QAS_DIST: dir, QAS_FIXTURE_PRESETS: file });
  if (r.status !== 0) throw new Error(`building the fixture server failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return join(dir, 'server.js');
}

/** Runs scripts/build.mjs with `env` over this process's environment (a value of undefined unsets it). */
export function runBuild(env: Record<string, string | undefined>) {
  return spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
}
