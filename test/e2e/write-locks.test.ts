import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { sandboxPerTest } from '../support/per-test.js';
import { deadPid } from '../support/dead-pid.js';

const ctx = sandboxPerTest();

const CREDS = JSON.stringify({
  access_token: 'at-lock-test-0123456789',
  refresh_token: 'rt-lock-test-0123456789',
  token_type: 'Bearer',
  resource_url: 'portal.qwen.ai',
  expiry_date: Date.now() + 3600_000,
});

const alive: ChildProcess[] = [];
function livePid(): number {
  const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  alive.push(c);
  return c.pid!;
}
after(() => {
  for (const c of alive) c.kill('SIGKILL');
});

/** The time a request takes, and its answer. */
async function timed<T>(p: Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = Date.now();
  const value = await p;
  return { ms: Date.now() - t0, value };
}

describe('locks left by writers that died', () => {
  for (const [what, content] of [
    ['an earlier version of this server (a bare pid)', () => `${deadPid()}\n`],
    ['this server (pid, start time, host)', () => JSON.stringify({ holder: 'qwen-agent-server', pid: deadPid(), host: hostname(), start: '1' })],
  ] as const) {
    it(`a fresh oauth_creds.lock left by ${what} that died: auth/logout answers at once`, async () => {
      const creds = await ctx.sb.write('home/.qwen/oauth_creds.json', CREDS);
      const lock = await ctx.sb.write('home/.qwen/oauth_creds.lock', content());
      const srv = await ctx.start();
      const r = await timed(srv.request('auth/logout', { method: 'qwen-oauth' }));
      assert.deepEqual(r.value, { state: 'signedOut' });
      assert.ok(r.ms < 1000, `took ${r.ms} ms`);
      assert.ok(!existsSync(creds), 'signed out');
      assert.ok(!existsSync(lock), 'the lock is let go');
    });
  }

  for (const [what, content] of [
    ['a live process (its pid)', () => `${livePid()}\n`],
    ['a running Qwen Code (a random id, as it writes)', () => '8a0c6f9e-4d0b-4c55-9d1e-3f7f3b7c2e11'],
  ] as const) {
    it(`an oauth_creds.lock held by ${what} for 15 s is still honoured (Qwen Code waits 35 s), and its release is noticed at once`, async () => {
      const creds = await ctx.sb.write('home/.qwen/oauth_creds.json', CREDS);
      const lock = await ctx.sb.write('home/.qwen/oauth_creds.lock', content());
      const since = new Date(Date.now() - 15_000);
      await utimes(lock, since, since);
      const srv = await ctx.start();
      let answered = 0;
      const logout = srv.request('auth/logout', { method: 'qwen-oauth' }).then((v) => {
        answered = Date.now();
        return v;
      });
      await sleep(1500);
      assert.equal(answered, 0, 'logout waited for the lock');
      assert.ok(existsSync(creds), 'nothing removed while the lock is held');
      const released = Date.now();
      await rm(lock);
      assert.deepEqual(await logout, { state: 'signedOut' });
      assert.ok(answered - released < 300, `answered ${answered - released} ms after the lock went`);
    });
  }

  it('a settings.json lock folder whose holder died: model/select answers at once', async () => {
    await ctx.sb.write('home/.qwen/settings.json', '{ "modelProviders": { "openai": [{ "id": "m0" }] } }\n');
    const lockDir = ctx.sb.path('home/.qwen/.qwen-agent-server/settings.json.lock');
    await mkdir(lockDir, { recursive: true });
    await writeFile(`${lockDir}/holder`, JSON.stringify({ holder: 'qwen-agent-server', pid: deadPid(), host: hostname() }));
    const srv = await ctx.start();
    const r = await timed(srv.request('model/select', { authType: 'openai', id: 'm0', scope: 'user' }));
    assert.ok(r.ms < 1000, `took ${r.ms} ms`);
    assert.ok(!existsSync(lockDir));
  });
});
