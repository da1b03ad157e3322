import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { sandboxPerTest } from '../support/per-test.js';
import type { TestServer } from '../support/server.js';

const ctx = sandboxPerTest();
const KEY = 'sk-formats-test-0000-abcd';

async function diagnosticsOf(srv: TestServer, path: string): Promise<any[]> {
  const uri = pathToFileURL(path).href;
  return (await srv.waitFor('textDocument/publishDiagnostics', (p) => p.uri === uri, 3000)).params.diagnostics;
}

const V1_FILE = `// written by an old Qwen Code
{
  "selectedAuthType": "openai",
  "model": "m-old",
  "theme": "dark"
}
`;

describe('old and new settings formats (Qwen Code 0.24.4 migrates v1…v3 up and v5 down to $version 4)', () => {
  it('a v1 flat file selects its model, and a diagnostic says what Qwen Code will migrate', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', V1_FILE);
    const srv = await ctx.start({ env: { OPENAI_API_KEY: KEY } });
    const list = await srv.request('model/list');
    assert.equal(list.selected?.authType, 'openai');
    assert.equal(list.selected?.id, 'm-old');
    assert.equal(list.selected?.source.path, path);
    const resolved = await srv.request('config/resolve');
    assert.ok(JSON.stringify(resolved).includes('m-old'));
    const info = (await diagnosticsOf(srv, path)).find((d) => /settings format version 1/.test(d.message));
    assert.ok(info, 'a diagnostic names the old format');
    assert.equal(info.severity, 3, 'information: nothing is wrong yet');
    assert.match(info.message, /selectedAuthType → security\.auth\.selectedType/);
    assert.match(info.message, /model → model\.name/);
    assert.equal(info.range.start.line, 2, 'at the first key that moves');
  });

  it('model/select on a v1 file migrates it as Qwen Code would, keeps its comment, and says so', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', V1_FILE.replace('"theme": "dark"', '"theme": "dark",\n  "modelProviders": { "openai": [{ "id": "m-new" }] }'));
    const srv = await ctx.start({ env: { OPENAI_API_KEY: KEY } });
    const r = await srv.request('model/select', { authType: 'openai', id: 'm-new' });
    assert.equal(r.persistedTo, path);
    assert.ok(r.warnings?.some((w: string) => w.includes(path) && /version 1/.test(w) && /migrated/.test(w)), JSON.stringify(r.warnings));
    const text = await readFile(path, 'utf8');
    assert.ok(text.startsWith('// written by an old Qwen Code'), 'the comment stays');
    const { parse } = await import('jsonc-parser');
    assert.deepEqual(parse(text), {
      $version: 4,
      model: { name: 'm-new' },
      security: { auth: { selectedType: 'openai' } },
      ui: { theme: 'dark' },
      modelProviders: { openai: [{ id: 'm-new' }] },
    });
    const again = await ctx.start({ env: { OPENAI_API_KEY: KEY } });
    assert.equal((await again.request('model/list')).selected?.id, 'm-new');
  });

  it('a v5 file: modelProviders.<key> = {protocol, models} lists its models, usable with their envKey', async () => {
    await ctx.sb.write(
      'home/.qwen/settings.json',
      JSON.stringify({
        $version: 5,
        security: { auth: { selectedType: 'openai' } },
        model: { name: 'm-a' },
        modelProviders: { openai: { protocol: 'openai', models: [{ id: 'm-a', baseUrl: 'http://127.0.0.1:9/v1', envKey: 'QAS_KEY_A' }] } },
      }),
    );
    const srv = await ctx.start({ env: { QAS_KEY_A: KEY } });
    const list = await srv.request('model/list');
    const openai = list.groups.find((g: any) => g.authType === 'openai');
    const m = openai?.models.find((x: any) => x.id === 'm-a');
    assert.ok(m, JSON.stringify(list));
    assert.equal(m.available, true);
    assert.equal(m.envKey, 'QAS_KEY_A');
    assert.equal(m.baseUrl, 'http://127.0.0.1:9/v1');
    assert.equal(list.selected?.id, 'm-a');
  });
});

describe('trailing commas (Qwen Code parses settings with JSON.parse after stripping comments)', () => {
  const USER = `{
  "security": { "auth": { "selectedType": "openai" } },
  "model": { "name": "m-a" },
  "modelProviders": { "openai": [{ "id": "m-a", "baseUrl": "http://127.0.0.1:9/v1" }] },
}
`;

  it('in the user file: an error at the comma, every model unusable because Qwen Code will not start, writes refused, the file untouched', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', USER);
    const srv = await ctx.start({ env: { OPENAI_API_KEY: KEY } });
    const error = (await diagnosticsOf(srv, path)).find((d) => /trailing comma/.test(d.message));
    assert.ok(error);
    assert.equal(error.severity, 1);
    const character = USER.split('\n')[3]!.lastIndexOf(',');
    assert.deepEqual(error.range.start, { line: 3, character }, 'the comma itself');
    assert.match(error.message, /refuses to start/);
    const list = await srv.request('model/list');
    assert.equal(list.selected?.id, 'm-a', 'the graph still reads the file');
    for (const m of list.groups.flatMap((g: any) => g.models)) {
      assert.equal(m.available, false, m.id);
      assert.match(m.unavailableReason, /^Qwen Code will not start /);
      assert.ok(m.unavailableReason.includes(`${path} has a trailing comma (line 4, column ${character + 1})`), m.unavailableReason);
    }
    const err = await srv.requestError('model/select', { authType: 'openai', id: 'm-a' });
    assert.equal(err.data?.code, 'ConfigInvalid');
    assert.ok(err.message.includes(`trailing comma at line 4, column ${character + 1}`), err.message);
    assert.equal(await readFile(path, 'utf8'), USER, 'the server never rewrites it');
  });

  it('in the workspace file: read as {} (what Qwen Code resets it to), with an error at the comma; the file is left alone', async () => {
    await ctx.sb.write(
      'home/.qwen/settings.json',
      JSON.stringify({ security: { auth: { selectedType: 'openai' } }, model: { name: 'user-model' }, modelProviders: { openai: [{ id: 'user-model' }, { id: 'ws-model' }] } }),
    );
    const wsText = '{ "model": { "name": "ws-model" }, }\n';
    const wsPath = await ctx.sb.write(join(ctx.sb.project, '.qwen', 'settings.json'), wsText);
    const srv = await ctx.start({ env: { OPENAI_API_KEY: KEY } });
    const list = await srv.request('model/list');
    assert.equal(list.selected?.id, 'user-model', 'the workspace choice does not apply');
    assert.ok(list.groups.flatMap((g: any) => g.models).some((m: any) => m.id === 'user-model' && m.available));
    const error = (await diagnosticsOf(srv, wsPath)).find((d) => /trailing comma/.test(d.message));
    assert.ok(error);
    assert.equal(error.severity, 1);
    assert.deepEqual(error.range.start, { line: 0, character: wsText.lastIndexOf(',') });
    assert.match(error.message, /settings\.json\.corrupted/);
    const err = await srv.requestError('model/select', { authType: 'openai', id: 'ws-model', scope: 'workspace' });
    assert.equal(err.data?.code, 'ConfigInvalid');
    assert.equal(await readFile(wsPath, 'utf8'), wsText);
    await assert.rejects(access(`${wsPath}.corrupted`), 'no copy made by the server');
  });
});
