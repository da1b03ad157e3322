import assert from 'node:assert/strict';
import { readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { lockHeldBy } from '../support/lock-held.js';
import { sandboxPerTest } from '../support/per-test.js';

const ctx = sandboxPerTest();

async function started() {
  const s = await ctx.start();
    // The watcher starts after `initialized`; a request round trip makes sure it was handled.
  await s.request('config/resolve');
  await new Promise((r) => setTimeout(r, 300));
  return s;
}

const settings = (model: string) => `// hand-edited\n{ "model": { "name": "${model}" }, "security": { "auth": { "selectedType": "openai" } } }\n`;

describe('file watching', () => {
  it('an in-place edit of settings.json reaches the client as model/didChange within a second', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', settings('first'));
    const srv = await started();
    const t0 = Date.now();
    await writeFile(path, settings('second'));
    const n = await srv.waitFor('model/didChange', (p) => p.selected?.id === 'second', 1000);
    assert.ok(n.at - t0 < 1000);
    await srv.waitFor('config/didChange', (p) => p.paths.includes(path), 1000);
  });

  it('~/.qwen made by a key login after start-up: a settings.json written there later is seen', async () => {
    const srv = await started();
    await srv.request('auth/login', { method: 'api-key', authType: 'openai', apiKey: 'sk-watch-0123456789abcdef', verify: false });
    await new Promise((r) => setTimeout(r, 500));
    const mark = srv.notifications.length;
    await writeFile(ctx.sb.path('home/.qwen/settings.json'), settings('after-login'));
    await srv.waitFor('model/didChange', (p) => p.selected?.id === 'after-login', 2000, mark);
  });

  it('a replace-by-rename edit (how editors save) is seen too', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', settings('first'));
    const srv = await started();
    const tmp = ctx.sb.path('home/.qwen/.settings.json.swp');
    await writeFile(tmp, settings('renamed'));
    await rename(tmp, path);
    await srv.waitFor('model/didChange', (p) => p.selected?.id === 'renamed', 1000);
  });

  it('a settings file that appears after start-up (and its folder) is picked up', async () => {
    const srv = await started();
    await ctx.sb.write('work/project/.qwen/settings.json', settings('late'));
    await srv.waitFor('model/didChange', (p) => p.selected?.id === 'late', 2000);
  });

  it('a .env change changes the resolved environment and is announced', async () => {
    await ctx.sb.write('home/.qwen/settings.json', settings('m'));
    const srv = await started();
    const env = await ctx.sb.write('work/project/.env', 'GEMINI_MODEL=from-new-file\n');
    await srv.waitFor('config/didChange', (p) => p.paths.includes(env), 2000);
    const c = await srv.request('config/resolve');
    assert.equal(c.env.GEMINI_MODEL.value, 'from-new-file');
  });

  it('settings.json linked to a dotfiles folder: an edit of the file it links to is seen', async () => {
    const target = await ctx.sb.write('home/dotfiles/qwen/settings.json', settings('first'));
    await ctx.sb.write('home/.qwen/.keep', '');
    await symlink(target, ctx.sb.path('home/.qwen/settings.json'));
    const srv = await started();
    assert.equal((await srv.request('model/list')).selected.id, 'first');
    await writeFile(target, settings('edited-in-dotfiles'));
    await srv.waitFor('model/didChange', (p) => p.selected?.id === 'edited-in-dotfiles', 1000);
    const tmp = `${target}.swp`;
    await writeFile(tmp, settings('saved-by-rename'));
    await rename(tmp, target);
    await srv.waitFor('model/didChange', (p) => p.selected?.id === 'saved-by-rename', 1000);
  });

  it('a corrupt settings.json: diagnostic published, last good graph kept, writes refused, bytes unchanged', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', settings('good'));
    const srv = await started();
    const broken = '{ "model": { "name": "bad" ,, }\n';
    await writeFile(path, broken);
    const diag = await srv.waitFor('textDocument/publishDiagnostics', (p) => p.uri.endsWith('/home/.qwen/settings.json') && p.diagnostics.length > 0, 2000);
    assert.match(diag.params.diagnostics[0].message, /JSON error/);
    assert.equal(diag.params.diagnostics[0].range.start.line, 0);
    const list = await srv.request('model/list');
    assert.equal(list.selected.id, 'good', 'the last good contents still count');
    const c = await srv.request('config/resolve');
    assert.ok(c.layers.find((l: any) => l.scope === 'user').error);
    const before = await stat(path);
    const err = await srv.requestError('model/select', { id: 'coder-model', scope: 'user' });
    assert.equal(err.code, -33001);
    assert.equal(err.data.code, 'ConfigInvalid');
    assert.equal(await readFile(path, 'utf8'), broken);
    assert.equal((await stat(path)).mtimeMs, before.mtimeMs);
    // Fixed: the diagnostics are cleared with an empty list.
    const mark = srv.notifications.length;
    await writeFile(path, settings('fixed'));
    await srv.waitFor('textDocument/publishDiagnostics', (p) => p.uri.endsWith('/home/.qwen/settings.json') && p.diagnostics.length === 0, 2000, mark);
    await srv.waitFor('model/didChange', (p) => p.selected?.id === 'fixed', 2000, mark);
  });

  it('a storm of saves (one every 50 ms for 3 s): reported about once a second at most, the last save within a second of it', { timeout: 20_000 }, async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', settings('first'));
    const srv = await started();
    const mark = srv.notifications.length;
    const stormEnds = Date.now() + 3000;
    let n = 0;
    while (Date.now() < stormEnds) {
      const tmp = `${path}.${n}.swp`;
      await writeFile(tmp, settings(`save-${n}`));
      await rename(tmp, path);
      n++;
      await new Promise((r) => setTimeout(r, 50));
    }
    const last = `save-${n - 1}`;
    const lastAt = Date.now();
    const seen = await srv.waitFor('model/didChange', (p) => p.selected?.id === last, 2000, mark);
    assert.ok(seen.at - lastAt < 1100, `the last save was reported ${seen.at - lastAt} ms after it`);
    const reports = srv.notifications.slice(mark).filter((x) => x.method === 'config/didChange').length;
    // Reported at once, then gathered for 250, 500, then 1000 ms: about six reports for 3 s, not one per save or per 250 ms.
    assert.ok(reports >= 2 && reports <= 8, `${reports} reports for ${n} saves`);
  });

  it('a change on disk while this server waits for a lock to write is still reported, within about a second', { timeout: 20_000 }, async () => {
    const settingsPath = await ctx.sb.write('home/.qwen/settings.json', '{ "modelProviders": { "openai": [{ "id": "chosen" }] } }\n');
    const srv = await started();
    // Another live writer holds the lock of settings.json.
    const lock = await lockHeldBy(settingsPath, { pid: process.pid });
    const selecting = srv.request('model/select', { authType: 'openai', id: 'chosen', scope: 'user' });
    await new Promise((r) => setTimeout(r, 200));
    const mark = srv.notifications.length;
    const dotenv = await ctx.sb.write('home/.qwen/.env', 'OPENAI_MODEL=from-env\n');
    const t0 = Date.now();
    const seen = await srv.waitFor('config/didChange', (p) => p.paths.includes(dotenv), 3000, mark);
    assert.ok(seen.at - t0 < 1600, `reported ${seen.at - t0} ms after the change`);
    await rm(lock, { recursive: true });
    const answer = await selecting;
    assert.equal(answer.selected.id, 'chosen');
  });
});
