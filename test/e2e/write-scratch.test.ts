import assert from 'node:assert/strict';
import { watch } from 'node:fs';
import { mkdir, readdir, symlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { sandboxPerTest } from '../support/per-test.js';

const ctx = sandboxPerTest();
const SETTINGS = '{ "modelProviders": { "openai": [{ "id": "m0" }, { "id": "m1" }] } }\n';

/** The names that changed in `dir` while `run` ran, as anyone watching the folder sees them. */
async function namesChangedIn(dir: string, run: () => Promise<void>): Promise<Set<string>> {
  const seen = new Set<string>();
  const w = watch(dir, (_event, name) => {
    if (name) seen.add(name.toString());
  });
  try {
    await run();
    await sleep(200);
  } finally {
    w.close();
  }
  return seen;
}

describe('what a write shows to those who watch the settings folders', () => {
  it('saves through model/select, workspace/trust and a key login show in ~/.qwen as the files they change, nothing else', async () => {
    const qwenDir = ctx.sb.path('home/.qwen');
    await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const srv = await ctx.start();
    // The first write makes the writers' folder.
    await srv.request('model/select', { authType: 'openai', id: 'm1', scope: 'user' });
    const seen = await namesChangedIn(qwenDir, async () => {
      for (const id of ['m0', 'm1', 'm0']) await srv.request('model/select', { authType: 'openai', id, scope: 'user' });
      await srv.request('workspace/trust', { level: 'TRUST_FOLDER' });
      await srv.request('auth/login', { method: 'api-key', authType: 'openai', envKey: 'SCRATCH_TEST_KEY', apiKey: 'sk-scratch-0123456789abcdef', verify: false });
    });
    assert.deepEqual([...seen].sort(), ['.env', 'settings.json', 'trustedFolders.json']);
  });

  it('a key saved into ~/.env (the home .env in use) adds no folder to the home folder', async () => {
    await ctx.sb.write('home/.env', 'OTHER=1\n');
    const srv = await ctx.start();
    const before = await readdir(ctx.sb.home);
    await srv.request('auth/login', { method: 'api-key', authType: 'openai', envKey: 'SCRATCH_HOME_KEY', apiKey: 'sk-scratch-home-0123456789', verify: false });
    assert.match(await ctx.sb.read('home/.env'), /^SCRATCH_HOME_KEY=/m);
    assert.deepEqual((await readdir(ctx.sb.home)).sort(), before.sort());
  });

  it('a writers folder a repository planted as a link elsewhere is not written through: the lock and temp file stay beside the file', async () => {
    const elsewhere = ctx.sb.path('elsewhere');
    await mkdir(elsewhere);
    await ctx.sb.write('work/project/.qwen/settings.json', SETTINGS);
    await symlink(elsewhere, ctx.sb.path('work/project/.qwen/.qwen-agent-server'));
    await ctx.sb.write('home/.qwen/trustedFolders.json', JSON.stringify({ [ctx.sb.project]: 'TRUST_FOLDER' }));
    const srv = await ctx.start();
    const seen = await namesChangedIn(elsewhere, async () => {
      const r = await srv.request('model/select', { authType: 'openai', id: 'm1', scope: 'workspace' });
      assert.equal(r.persistedTo, ctx.sb.path('work/project/.qwen/settings.json'));
    });
    assert.deepEqual([...seen], []);
    assert.deepEqual(await readdir(elsewhere), []);
    assert.match(await ctx.sb.read('work/project/.qwen/settings.json'), /"name": "m1"/);
  });
});
