import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { sandboxPerTest } from '../support/per-test.js';

const ctx = sandboxPerTest();

const USER_FILE = `// my settings: keep this comment
{
  "ui": { "theme": "dark" }, // trailing comment
  "someFutureKey": [1, 2, 3],
  "modelProviders": {
    "openai": [
      { "id": "gpt-a", "name": "GPT A", "envKey": "OPENAI_API_KEY" },
      { "id": "shared-id" }
    ],
    "anthropic": [{ "id": "shared-id", "baseUrl": "http://127.0.0.1:9" }]
  }
}
`;

describe('model/list and model/select', () => {
  it('lists the built-in coder-model and every modelProviders entry with availability', async () => {
    await ctx.sb.write('home/.qwen/settings.json', USER_FILE);
    const srv = await ctx.start();
    const list = await srv.request('model/list');
    assert.deepEqual(list.groups.map((g: any) => g.authType), ['qwen-oauth', 'openai', 'anthropic']);
    const coder = list.groups[0].models[0];
    assert.equal(coder.id, 'coder-model');
    assert.deepEqual(coder.source, { layer: 'builtin' });
    assert.equal(coder.available, false);
    assert.match(coder.unavailableReason, /sign in/);
    const gptA = list.groups[1].models[0];
    assert.equal(gptA.available, false);
    assert.match(gptA.unavailableReason, /OPENAI_API_KEY is not set/);
    assert.equal(gptA.source.path, ctx.sb.path('home/.qwen/settings.json'));
  });

  it('a model becomes available once its key is set and an auth type is selected', async () => {
    await ctx.sb.write('home/.qwen/settings.json', USER_FILE);
    const srv = await ctx.start({ env: { OPENAI_API_KEY: 'sk-abcdefghijklmnop' } });
    const none = (await srv.request('model/list')).groups[1].models[0];
    assert.equal(none.available, false, 'no auth type: Qwen Code refuses to start');
    assert.match(none.unavailableReason, /no auth type is selected.*model\/select.*security\.auth\.selectedType/);
    await ctx.sb.write('home/.qwen/settings.json', USER_FILE.replace('"ui"', '"security": { "auth": { "selectedType": "openai" } },\n  "ui"'));
    const selected = await ctx.start({ env: { OPENAI_API_KEY: 'sk-abcdefghijklmnop' } });
    assert.equal((await selected.request('model/list')).groups[1].models[0].available, true);
  });

  it('select keeps comments and unknown keys, and a new server process sees the choice', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', USER_FILE);
    const srv = await ctx.start();
    const r = await srv.request('model/select', { authType: 'openai', id: 'gpt-a' });
    assert.equal(r.persistedTo, path);
    assert.equal(r.selected.id, 'gpt-a');
    assert.ok(r.warnings.some((w: string) => w.includes('OPENAI_API_KEY')), 'missing credential is a warning, not an error');
    const text = await readFile(path, 'utf8');
    assert.ok(text.startsWith('// my settings: keep this comment'));
    assert.ok(text.includes('// trailing comment'));
    assert.ok(text.includes('"someFutureKey": [1, 2, 3]'));
    assert.ok(text.includes('"name": "gpt-a"'));
    assert.ok(text.includes('"selectedType": "openai"'));
    const second = await ctx.start();
    const list = await second.request('model/list');
    assert.equal(list.selected.id, 'gpt-a');
    assert.equal(list.selected.authType, 'openai');
    assert.equal(list.selected.source.scope, 'user');
    assert.ok(list.groups[1].models[0].selected);
  });

  it('selects into the workspace file when it has its own modelProviders (Qwen Code rule)', async () => {
    await ctx.sb.write('home/.qwen/settings.json', '{}');
    const ws = await ctx.sb.write('work/project/.qwen/settings.json', '{ "modelProviders": { "gemini": [{ "id": "gem-1" }] } }');
    const srv = await ctx.start();
    const r = await srv.request('model/select', { id: 'gem-1' });
    assert.equal(r.persistedTo, ws);
    assert.equal(JSON.parse(await readFile(ws, 'utf8')).model.name, 'gem-1');
  });

  it('session scope never touches the disk', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', USER_FILE);
    const before = await stat(path);
    const srv = await ctx.start();
    const r = await srv.request('model/select', { authType: 'openai', id: 'gpt-a', scope: 'session' });
    assert.equal(r.persistedTo, undefined);
    assert.deepEqual(r.selected.source, { layer: 'session' });
    assert.equal(await readFile(path, 'utf8'), USER_FILE);
    assert.equal((await stat(path)).mtimeMs, before.mtimeMs);
    const list = await srv.request('model/list');
    assert.equal(list.selected.id, 'gpt-a');
    const other = await ctx.start();
    assert.notEqual((await other.request('model/list')).selected?.id, 'gpt-a');
  });

  it('--model wins over settings and is never saved', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', USER_FILE.replace('"ui"', '"model": { "name": "gpt-a" },\n  "ui"'));
    const srv = await ctx.start({ args: ['--model', 'shared-id', '--auth-type', 'anthropic'] });
    const list = await srv.request('model/list');
    assert.equal(list.selected.id, 'shared-id');
    assert.equal(list.selected.authType, 'anthropic');
    assert.deepEqual(list.selected.source, { layer: 'cli' });
    await srv.request('config/resolve');
    assert.ok(!(await readFile(path, 'utf8')).includes('"name": "shared-id"'));
  });

  it('unknown ids are ModelNotFound; ids under several auth types are AmbiguousModel', async () => {
    await ctx.sb.write('home/.qwen/settings.json', USER_FILE);
    const srv = await ctx.start();
    const nf = await srv.requestError('model/select', { id: 'no-such-model' });
    assert.equal(nf.code, -33002);
    assert.equal(nf.data.code, 'ModelNotFound');
    const amb = await srv.requestError('model/select', { id: 'shared-id' });
    assert.equal(amb.code, -33003);
    assert.equal(amb.data.code, 'AmbiguousModel');
    assert.deepEqual(amb.data.candidates.map((c: any) => c.authType).sort(), ['anthropic', 'openai']);
    const ok = await srv.request('model/select', { id: 'shared-id', authType: 'anthropic', scope: 'session' });
    assert.equal(ok.selected.authType, 'anthropic');
  });

  it('answers model/list again after every change, not from an old answer', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', USER_FILE);
    const srv = await ctx.start();
    const first = await srv.request('model/list');
    assert.deepEqual(await srv.request('model/list'), first, 'asking twice without a change gives the same answer');
    await srv.request('model/select', { authType: 'openai', id: 'gpt-a', scope: 'session' });
    const afterSelect = await srv.request('model/list');
    assert.equal(afterSelect.selected.id, 'gpt-a');
    assert.ok(afterSelect.groups[1].models[0].selected);
    // A name outside ASCII: the frame's Content-Length counts bytes, not characters.
    const seen = srv.notifications.length;
    await ctx.sb.write(path, USER_FILE.replace('"name": "GPT A"', '"name": "GPT A — 通义千问 ✓"'));
    await srv.waitFor('config/didChange', () => true, 5000, seen);
    const afterEdit = await srv.request('model/list');
    assert.equal(afterEdit.groups[1].models[0].name, 'GPT A — 通义千问 ✓');
    assert.equal(afterEdit.selected.id, 'gpt-a', 'the session choice still holds');
  });
});
