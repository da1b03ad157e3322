import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rename, symlink, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { sandboxPerTest } from '../support/per-test.js';
import type { TestServer } from '../support/server.js';

const ctx = sandboxPerTest();

// Issue 10, points 3 and 7: no file, however hostile, may stop the server answering.
const D = 100_000;
const ARRAYS = '['.repeat(D) + ']'.repeat(D);
const OBJECTS = '{"a":'.repeat(D) + '1' + '}'.repeat(D);
const MIXED = '{"a":['.repeat(D / 2) + '1' + ']}'.repeat(D / 2);
/** The same nesting in three disguises: a bare value, inside a valid object, with a comment (the JSONC parser). */
const DEEP_SETTINGS = [OBJECTS, `{ "model": { "name": "hidden" }, "extra": ${ARRAYS} }`, `// hand-edited\n{ "model": { "name": "hidden" }, "x": ${MIXED} }`];

const settings = (model: string) => `{ "model": { "name": "${model}" }, "security": { "auth": { "selectedType": "openai" } } }\n`;

async function promptly<T>(what: string, p: Promise<T>, ms = 3000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every request a client makes at start answers, and quickly. */
async function answersEverything(srv: TestServer) {
  const list = await promptly('model/list', srv.request('model/list'));
  const resolved = await promptly('config/resolve', srv.request('config/resolve'));
  const auth = await promptly('auth/status', srv.request('auth/status'));
  return { list, resolved, auth };
}

const about = (resolved: any, path: string) => resolved.diagnostics.filter((d: any) => d.path === path);
const uri = (path: string) => pathToFileURL(path).href;
const published = (srv: TestServer, path: string, nonEmpty: boolean, since = 0) =>
  srv.waitFor('textDocument/publishDiagnostics', (p) => p.uri === uri(path) && p.diagnostics.length > 0 === nonEmpty, 3000, since);
/** A read while a write is under way may see a JSON error first: wait for the one that tells. */
const publishedSaying = (srv: TestServer, path: string, message: RegExp, since: number) =>
  srv.waitFor('textDocument/publishDiagnostics', (p) => p.uri === uri(path) && message.test(p.diagnostics[0]?.message ?? ''), 3000, since);

/** Replaces whatever is at `path` the way editors save: a new file renamed over it. */
async function replaceWithFile(path: string, text: string) {
  const tmp = `${path}.new`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

describe('hostile files', () => {
  const SCOPES = {
    systemDefaults: 'etc/system-defaults.json',
    user: 'home/.qwen/settings.json',
    workspace: 'work/project/.qwen/settings.json',
    system: 'etc/settings.json',
  };
  for (const [scope, rel] of Object.entries(SCOPES)) {
    it(`${scope} settings nested 100,000 deep: served with a diagnostic, and a fix applies without a restart`, async () => {
      const path = await ctx.sb.write(rel, DEEP_SETTINGS[0]!);
      const srv = await ctx.start();
      const { resolved } = await answersEverything(srv);
      const diags = about(resolved, path);
      assert.equal(diags.length, 1, JSON.stringify(resolved.diagnostics));
      assert.match(diags[0].message, /more than 100 levels deep/);
      assert.ok(resolved.layers.find((l: any) => l.scope === scope).error);
      await published(srv, path, true);

      let mark = srv.notifications.length;
      await writeFile(path, settings(`fixed-${scope}`));
      await srv.waitFor('model/didChange', (p) => p.selected?.id === `fixed-${scope}`, 3000, mark);
      await published(srv, path, false, mark);

      for (const hostile of DEEP_SETTINGS.slice(1)) {
        mark = srv.notifications.length;
        await writeFile(path, hostile);
        await publishedSaying(srv, path, /more than 100 levels deep/, mark);
        const again = await answersEverything(srv);
        assert.equal(again.list.selected.id, `fixed-${scope}`, 'the last good contents still count');
        assert.match(about(again.resolved, path)[0].message, /more than 100 levels deep/);
      }
    });
  }

  it('a trusted-folders file nested 100,000 deep: served, diagnosed, and trust applies once it is fixed', async () => {
    await ctx.sb.write('home/.qwen/settings.json', '{ "security": { "folderTrust": { "enabled": true } } }');
    await ctx.sb.write('work/project/.qwen/settings.json', settings('from-workspace'));
    const trust = await ctx.sb.write('home/.qwen/trustedFolders.json', ARRAYS);
    const srv = await ctx.start();
    const { list, resolved } = await answersEverything(srv);
    assert.match(about(resolved, trust)[0]?.message ?? '', /more than 100 levels deep/, JSON.stringify(resolved.diagnostics));
    assert.notEqual(list.selected?.id, 'from-workspace', 'no folder is trusted while the file is unreadable');

    const mark = srv.notifications.length;
    await writeFile(trust, JSON.stringify({ [ctx.sb.project]: 'TRUST_FOLDER' }));
    await srv.waitFor('model/didChange', (p) => p.selected?.id === 'from-workspace', 3000, mark);
    assert.deepEqual(about(await srv.request('config/resolve'), trust), []);
  });

  it('named pipes at ~/.qwen/.env, <project>/.env and settings.json: every request answered at once, each pipe diagnosed', async () => {
    await ctx.sb.write('home/.qwen/.keep', '');
    const pipes = [ctx.sb.path('home/.qwen/.env'), ctx.sb.path('work/project/.env'), ctx.sb.path('home/.qwen/settings.json')];
    for (const p of pipes) execFileSync('mkfifo', [p]);
    const srv = await ctx.start();
    const t0 = Date.now();
    const { resolved } = await answersEverything(srv);
    assert.ok(Date.now() - t0 < 2000, `answered in ${Date.now() - t0} ms`);
    for (const p of pipes) {
      assert.match(about(resolved, p)[0]?.message ?? '', /named pipe \(FIFO\).*only regular files/, `${p}: ${JSON.stringify(resolved.diagnostics)}`);
    }
    // Still answering once the watcher has looked at them.
    await new Promise((r) => setTimeout(r, 300));
    await answersEverything(srv);
  });

  it('a named pipe at ~/.qwen/.env replaced by a file (one line nested 100,000 deep): read without a restart', async () => {
    await ctx.sb.write('home/.qwen/.keep', '');
    const env = ctx.sb.path('home/.qwen/.env');
    execFileSync('mkfifo', [env]);
    const srv = await ctx.start();
    const { resolved } = await answersEverything(srv);
    assert.equal(about(resolved, env).length, 1);
    await new Promise((r) => setTimeout(r, 300)); // the watcher starts after `initialized`

    const mark = srv.notifications.length;
    await replaceWithFile(env, `DEEP=${ARRAYS}\nGEMINI_MODEL=from-home-env\n`);
    await srv.waitFor('config/didChange', (p) => p.paths.includes(env), 3000, mark);
    const after = await srv.request('config/resolve');
    assert.equal(after.env.GEMINI_MODEL?.value, 'from-home-env');
    assert.deepEqual(about(after, env), []);
  });

  it('oauth_creds.json as a named pipe, then nested 100,000 deep, then valid: always answered, each state told', async () => {
    await ctx.sb.write('home/.qwen/.keep', '');
    const creds = ctx.sb.path('home/.qwen/oauth_creds.json');
    execFileSync('mkfifo', [creds]);
    const srv = await ctx.start();
    const { list, auth } = await answersEverything(srv);
    const qwen = auth.methods.find((m: any) => m.id === 'qwen-oauth');
    assert.equal(qwen.state, 'error');
    assert.match(qwen.message, /oauth_creds\.json is \(or links to\) a named pipe/);
    const coder = list.groups.flatMap((g: any) => g.models).find((m: any) => m.id === 'coder-model');
    assert.match(coder.unavailableReason, /oauth_creds\.json/);
    await new Promise((r) => setTimeout(r, 300));

    let mark = srv.notifications.length;
    const expiry = Date.now() + 3_600_000;
    await replaceWithFile(creds, `{"access_token":"token-0123456789abcdef","expiry_date":${expiry},"x":${ARRAYS}}`);
    const deep = await srv.waitFor('auth/didChange', (p) => p.method === 'qwen-oauth' && /more than 100 levels deep/.test(p.message ?? ''), 3000, mark);
    assert.equal(deep.params.state, 'error');
    await answersEverything(srv);

    mark = srv.notifications.length;
    await replaceWithFile(creds, JSON.stringify({ access_token: 'token-0123456789abcdef', refresh_token: 'r', expiry_date: expiry }));
    await srv.waitFor('auth/didChange', (p) => p.method === 'qwen-oauth' && p.state === 'signedIn', 3000, mark);
    const status = await srv.request('auth/status');
    assert.equal(status.methods.find((m: any) => m.id === 'qwen-oauth').state, 'signedIn');
  });

  it('settings.json linked to /dev/zero: answered with little memory and a diagnostic; linked to a file, it is read', async () => {
    await ctx.sb.write('home/.qwen/.keep', '');
    const path = ctx.sb.path('home/.qwen/settings.json');
    await symlink('/dev/zero', path);
    const srv = await ctx.start();
    const { resolved } = await answersEverything(srv);
    assert.match(about(resolved, path)[0]?.message ?? '', /character device.*only regular files/);
    const peakMb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${srv.child.pid}/status`, 'utf8'))![1]) / 1024;
    assert.ok(peakMb < 150, `peak RSS ${peakMb.toFixed(0)} MB`);
    await new Promise((r) => setTimeout(r, 300));

    // A dotfile manager's link to a regular file is fine.
    const mark = srv.notifications.length;
    const target = await ctx.sb.write('home/dotfiles/qwen-settings.json', settings('linked'));
    const link = `${path}.link`;
    await symlink(target, link);
    await rename(link, path);
    await srv.waitFor('model/didChange', (p) => p.selected?.id === 'linked', 3000, mark);
    await published(srv, path, false, mark);
  });

  it('model/select into a settings.json nested 100,000 deep: refused at once with what to do, the file left as it was', async () => {
    for (const hostile of DEEP_SETTINGS) {
      const path = await ctx.sb.write('home/.qwen/settings.json', hostile);
      const srv = await ctx.start();
      const started = Date.now();
      const err = await promptly('model/select', srv.request('model/select', { authType: 'qwen-oauth', id: 'coder-model', scope: 'user' }).then(
        () => assert.fail('the select was accepted'),
        (e: any) => e,
      ));
      assert.ok(Date.now() - started < 1500, `answered after ${Date.now() - started} ms`);
      assert.equal(err.code, -33001, JSON.stringify(err));
      assert.equal(err.data.code, 'ConfigInvalid');
      assert.match(err.message, /more than 100 levels deep/);
      assert.equal(readFileSync(path, 'utf8'), hostile, 'the file is as it was');
    }
  });

  it('an oversized settings.json: a diagnostic that says so, and its last good contents kept', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', settings('good'));
    const srv = await ctx.start();
    await srv.request('config/resolve');
    await new Promise((r) => setTimeout(r, 300));

    const mark = srv.notifications.length;
    const padding = 'x'.repeat(5 * 1024 * 1024);
    await writeFile(path, `{ "model": { "name": "big" }, "security": { "auth": { "selectedType": "openai" } }, "padding": "${padding}" }`);
    await publishedSaying(srv, path, /more than the 4\.0 MiB the server reads of a settings file/, mark);
    const { list } = await answersEverything(srv);
    assert.equal(list.selected.id, 'good');
    assert.ok(!srv.notifications.slice(mark).some((x) => x.method === 'model/didChange'));
  });
});
