import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { sandboxPerTest } from '../support/per-test.js';
import type { RpcError, TestServer } from '../support/server.js';
import { filesIn } from '../support/files-in.js';

const ctx = sandboxPerTest();

const SETTINGS = '{ "modelProviders": { "openai": [{ "id": "m0" }] } }\n';
const LOGIN = { method: 'api-key', authType: 'openai', apiKey: 'sk-writefail-0123456789abcdef', verify: false };

function assertWriteFailed(err: RpcError, path: string, reason: string, mentions: string = path): void {
  assert.equal(err.code, -33010, `WriteFailed, not ${err.code} ${err.message}`);
  assert.equal(err.data?.code, 'WriteFailed');
  assert.equal(err.data?.path, path);
  assert.equal(err.data?.reason, reason);
  assert.ok(err.message.includes(mentions), `the message names ${mentions}: ${err.message}`);
  assert.ok(typeof err.data?.hint === 'string' && err.data.hint.length > 0, 'a hint says what to do');
  assert.ok(!err.message.includes(LOGIN.apiKey) && !JSON.stringify(err.data).includes(LOGIN.apiKey), 'no key in the error');
}

/** The server still answers after a failed write. */
async function stillServes(srv: TestServer): Promise<void> {
  assert.ok((await srv.request('model/list')).groups.length > 0);
}

// Root ignores permission bits: a private mount namespace with a read-only
// bind mount makes a read-only HOME for real. Where that is not allowed, skip.
const canUnshare = spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;
const isRoot = process.getuid?.() === 0;
const canChattr = isRoot && spawnSync('chattr', ['--help']).error === undefined;

describe('writes the system refuses answer WriteFailed, with the path and the reason', () => {
  it('settings.json is a folder', async () => {
    const path = ctx.sb.path('home/.qwen/settings.json');
    await mkdir(path, { recursive: true });
    const srv = await ctx.start();
    assertWriteFailed(await srv.requestError('model/select', { authType: 'qwen-oauth', id: 'coder-model', scope: 'user' }), path, 'is-a-directory');
    await stillServes(srv);
  });

  it('~/.qwen is a file where the folder should be', async () => {
    const qwenDir = ctx.sb.path('home/.qwen');
    await writeFile(qwenDir, 'not a folder');
    const srv = await ctx.start();
    const err = await srv.requestError('model/select', { authType: 'qwen-oauth', id: 'coder-model', scope: 'user' });
    assertWriteFailed(err, `${qwenDir}/settings.json`, 'not-a-directory', qwenDir);
    assert.ok(err.message.includes(`${qwenDir} is a file`), err.message);
    await stillServes(srv);
  });

  it('~/.qwen/.env is a named pipe: refused at once, never opened (it would block)', { timeout: 20_000 }, async () => {
    await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const fifo = ctx.sb.path('home/.qwen/.env');
    execFileSync('mkfifo', [fifo]);
    const srv = await ctx.start();
    assertWriteFailed(await srv.requestError('auth/login', LOGIN), fifo, 'not-a-regular-file');
    await stillServes(srv);
  });

  it('a read-only HOME', { skip: !canUnshare && 'needs unshare -m (root)' }, async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const home = ctx.sb.home;
    const srv = await ctx.start({
      prefix: ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'mount --bind -o ro "$0" "$0" && exec "$@"', home],
    });
    assertWriteFailed(await srv.requestError('model/select', { authType: 'openai', id: 'm0', scope: 'user' }), path, 'read-only');
    assertWriteFailed(await srv.requestError('auth/login', LOGIN), `${home}/.qwen/.env`, 'read-only');
    await stillServes(srv);
  });

  it('a folder nobody may write in (immutable)', { skip: !canChattr && 'needs chattr (root)' }, async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const qwenDir = ctx.sb.path('home/.qwen');
    const srv = await ctx.start();
    execFileSync('chattr', ['+i', qwenDir]);
    try {
      assertWriteFailed(await srv.requestError('model/select', { authType: 'openai', id: 'm0', scope: 'user' }), path, 'permission-denied');
      await stillServes(srv);
    } finally {
      execFileSync('chattr', ['-i', qwenDir]);
    }
    assert.deepEqual(await filesIn(qwenDir), ['settings.json'], 'nothing left behind');
  });
});
