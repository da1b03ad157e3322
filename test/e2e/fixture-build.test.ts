/**
 * The fixture build (scripts/build.mjs, QAS_FIXTURE_PRESETS) is for tests
 * only: it refuses what could turn it into a way to add a real login target,
 * and a fixture build's extra preset is in its table and no other's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildFixtureServer, fixturePreset, runBuild } from '../support/fixture-preset.js';
import { makeSandbox } from '../support/sandbox.js';
import { SERVER, startServer } from '../support/server.js';

const scratch = mkdtempSync(join(tmpdir(), 'qas-fixture-build-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function build(presets: unknown, env: Record<string, string | undefined>) {
  const file = join(scratch, `presets-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(presets));
  return runBuild({ QAS_FIXTURE_PRESETS: file, ...env });
}

describe('the fixture build', () => {
  const origin = 'http://127.0.0.1:9';
  const out = join('.cache', 'dist-fixture-refused');

  it('never builds into dist/', () => {
    const r = build([fixturePreset(origin)], { QAS_DIST: undefined });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /QAS_DIST folder only, never into dist\//);
  });

  it('refuses a preset that names a host other than 127.0.0.1, or takes a real preset\'s id', () => {
    const remote = { ...fixturePreset(origin), regions: [{ ...fixturePreset(origin).regions[0], baseUrl: 'https://api.example.com/v1' }] };
    const r1 = build([remote], { QAS_DIST: out });
    assert.equal(r1.status, 1);
    assert.match(r1.stderr, /may only name http:\/\/127\.0\.0\.1 endpoints/);
    const r2 = build([{ ...fixturePreset(origin), id: 'deepseek' }], { QAS_DIST: out });
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /starts with fixture-|may not replace a real one/);
  });

  it('a fixture build lists its preset in auth/methods; the bundle under test does not', async () => {
    const sb = await makeSandbox();
    try {
      const fixture = buildFixtureServer('e2e', [fixturePreset(origin)]);
      const ids = async (server: string) => {
        const srv = await startServer(sb, { server });
        try {
          return (await srv.request('auth/methods')).methods.map((m: { id: string }) => m.id);
        } finally {
          await srv.close();
        }
      };
      assert.ok((await ids(fixture)).includes('fixture-acme'));
      assert.ok(!(await ids(SERVER)).includes('fixture-acme'));
    } finally {
      await sb.cleanup();
    }
  });
});
