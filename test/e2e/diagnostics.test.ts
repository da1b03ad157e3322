import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { sandboxPerTest } from '../support/per-test.js';
import type { StartOptions } from '../support/server.js';

const ctx = sandboxPerTest();

async function diagnosticsFor(path: string, opts: StartOptions = {}) {
  const srv = await ctx.start(opts);
    const uri = pathToFileURL(path).href;
  const n = await srv.waitFor('textDocument/publishDiagnostics', (p) => p.uri === uri, 3000);
  return { srv, diagnostics: n.params.diagnostics as any[] };
}

const SETTINGS = `{
  "modelProviders": {
    "openai": [
      { "id": "good-one" },
      { "id": 5 },
      { "id": "needs-key", "envKey": "NOWHERE_KEY" }
    ],
    "mistral": [{ "id": "x" }]
  },
  "env": { "SOME_API_KEY": "sk-plaintextsecret000000" }
}
`;

describe('diagnostics for the files the server reads', () => {
  it('schema errors point at the offending key; the bad entry is dropped, the rest kept', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const { srv, diagnostics } = await diagnosticsFor(path);
    const schema = diagnostics.find((d) => d.message.includes('modelProviders.openai.1.id'));
    assert.ok(schema, JSON.stringify(diagnostics));
    assert.equal(schema.severity, 1);
    assert.equal(schema.range.start.line, 4, 'the line of "id": 5');
    const ids = (await srv.request('model/list')).groups.find((g: any) => g.authType === 'openai').models.map((m: any) => m.id);
    assert.deepEqual(ids, ['good-one', 'needs-key']);
  });

  it('an unset envKey whose requests fall through to the auth type\'s own key is information that names that key, not a warning', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const { diagnostics } = await diagnosticsFor(path, { env: { OPENAI_API_KEY: 'sk-fallthrough-0000000000' } });
    const env = diagnostics.find((d) => d.message.includes('NOWHERE_KEY is not set'));
    assert.ok(env, JSON.stringify(diagnostics));
    assert.equal(env.severity, 3);
    assert.match(env.message, /carry OPENAI_API_KEY instead/);
    assert.ok(!JSON.stringify(diagnostics).includes('sk-fallthrough-0000000000'));
  });

  it('flags unknown protocols, envKeys that resolve to nothing, and plaintext secrets (without repeating them)', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const { diagnostics } = await diagnosticsFor(path);
    const text = JSON.stringify(diagnostics);
    assert.ok(diagnostics.some((d) => d.message.includes('modelProviders.mistral') && d.range.start.line === 7));
    const env = diagnostics.find((d) => d.message.includes('NOWHERE_KEY is not set'));
    assert.ok(env);
    assert.equal(env.range.start.line, 5);
    assert.ok(diagnostics.some((d) => d.message.includes('secret (SOME_API_KEY) is written in plain text')));
    assert.ok(!text.includes('sk-plaintextsecret000000'));
  });

  it('a project .env: excluded names are flagged at their line', async () => {
    const path = await ctx.sb.write('work/project/.env', '# project\nGEMINI_MODEL=x\nDEBUG=1\n');
    const { diagnostics } = await diagnosticsFor(path);
    const d = diagnostics.find((x) => x.message.includes('DEBUG is not loaded'));
    assert.ok(d);
    assert.equal(d.range.start.line, 2);
  });

  it('an untrusted workspace (folder trust on) is shown, not applied', async () => {
    await ctx.sb.write('home/.qwen/settings.json', '{ "security": { "folderTrust": { "enabled": true } } }');
    const ws = await ctx.sb.write('work/project/.qwen/settings.json', '{ "model": { "name": "from-untrusted" } }');
    const { srv, diagnostics } = await diagnosticsFor(ws);
    assert.ok(diagnostics.some((d) => d.message.includes('not trusted')));
    const c = await srv.request('config/resolve');
    assert.equal(c.settings['model.name'], undefined);
    assert.equal(c.layers.find((l: any) => l.scope === 'workspace').trusted, false);
    const t = await srv.request('workspace/trust', { level: 'TRUST_FOLDER' });
    assert.equal(t.trusted, true);
    assert.equal((await srv.request('config/resolve')).settings['model.name'].value, 'from-untrusted');
  });

  it('a baseUrl written as a $VAR reference is checked once expanded', async () => {
    const path = await ctx.sb.write(
      'home/.qwen/settings.json',
      '{ "modelProviders": { "openai": [{ "id": "via-var", "baseUrl": "${MY_LLM_URL}/v1" }, { "id": "plain" }] } }',
    );
    const set = await ctx.start({ env: { MY_LLM_URL: 'http://127.0.0.1:9' } });
    const models = (await set.request('model/list')).groups.find((g: any) => g.authType === 'openai').models;
    assert.equal(models.find((m: any) => m.id === 'via-var')?.baseUrl, 'http://127.0.0.1:9/v1');
    const { srv, diagnostics } = await diagnosticsFor(path);
    const d = diagnostics.find((x) => x.message.includes('"via-var" is not a URL once its $VAR references are expanded'));
    assert.ok(d, JSON.stringify(diagnostics));
    const ids = (await srv.request('model/list')).groups.find((g: any) => g.authType === 'openai').models.map((m: any) => m.id);
    assert.deepEqual(ids, ['plain']);
  });
});

describe('an empty settings file (Qwen Code 0.24.4 cannot JSON.parse it)', () => {
  const ENV = { OPENAI_API_KEY: 'sk-empty-settings-0000-abcd', OPENAI_MODEL: 'env-model', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' };

  for (const [label, text] of [['0 bytes', ''], ['only whitespace and a comment', '\n  // nothing here yet\n']] as const) {
    it(`the user file, ${label}: an error that says Qwen Code will not start and how to fix it; every model unusable until then`, async () => {
      const path = await ctx.sb.write('home/.qwen/settings.json', text);
      const { srv, diagnostics } = await diagnosticsFor(path, { env: ENV });
      assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
      const [d] = diagnostics;
      assert.equal(d.severity, 1);
      assert.deepEqual(d.range.start, { line: 0, character: 0 });
      assert.match(d.message, /Qwen Code will not start/);
      assert.ok(d.message.includes(`Cannot read operator sandbox policy from ${path}: SyntaxError: Unexpected end of JSON input`), d.message);
      assert.match(d.message, /settings\.json\.corrupted/);
      assert.match(d.message, /write \{\} into it \(or delete it\)/);
      const list = await srv.request('model/list');
      assert.equal(list.selected?.id, 'env-model', 'what would be used once it starts');
      const models = list.groups.flatMap((g: any) => g.models);
      assert.ok(models.length > 0);
      for (const m of models) {
        assert.equal(m.available, false, m.id);
        assert.equal(m.unavailableReason, `Qwen Code will not start while ${path} has no JSON in it: write {} into it (or delete it)`);
      }
      assert.equal(await readFile(path, 'utf8'), text, 'the server leaves it alone');
    });
  }

  it('the user file: a model/select writes JSON into it, and then Qwen Code can start', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', '');
    const srv = await ctx.start({ env: ENV });
    const envModel = async () => (await srv.request('model/list')).groups.flatMap((g: any) => g.models).find((x: any) => x.id === 'env-model');
    assert.equal((await envModel()).available, false);
    const r = await srv.request('model/select', { authType: 'openai', id: 'env-model' });
    assert.equal(r.persistedTo, path);
    assert.equal(JSON.parse(await readFile(path, 'utf8')).model.name, 'env-model');
    const m = await envModel();
    assert.equal(m.available, true, m.unavailableReason);
  });

  it('the system file: the same error, without the copy (Qwen Code saves one of the user file only)', async () => {
    const path = await ctx.sb.write('etc/settings.json', ' ');
    const { srv, diagnostics } = await diagnosticsFor(path, { env: ENV });
    assert.equal(diagnostics[0]?.severity, 1);
    assert.match(diagnostics[0].message, /holds only whitespace, which Qwen Code cannot parse: Qwen Code will not start/);
    assert.doesNotMatch(diagnostics[0].message, /corrupted/);
    const m = (await srv.request('model/list')).groups.flatMap((g: any) => g.models).find((x: any) => x.id === 'env-model');
    assert.equal(m.available, false);
  });

  it('the workspace file: a warning that Qwen Code will reset it to {}; the user file decides, and the file is left alone', async () => {
    await ctx.sb.write(
      'home/.qwen/settings.json',
      JSON.stringify({ security: { auth: { selectedType: 'openai' } }, model: { name: 'user-model' }, modelProviders: { openai: [{ id: 'user-model', baseUrl: 'http://127.0.0.1:9/v1' }] } }),
    );
    const ws = await ctx.sb.write('work/project/.qwen/settings.json', '');
    const { srv, diagnostics } = await diagnosticsFor(ws, { env: ENV });
    assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
    assert.equal(diagnostics[0].severity, 2);
    assert.match(diagnostics[0].message, /is empty \(0 bytes\), which Qwen Code cannot parse: when it next starts here it copies the file to settings\.json\.corrupted and replaces it with \{\}/);
    const list = await srv.request('model/list');
    assert.equal(list.selected?.id, 'user-model');
    assert.equal(list.groups.flatMap((g: any) => g.models).find((m: any) => m.id === 'user-model')?.available, true);
    assert.equal(await readFile(ws, 'utf8'), '');
    await assert.rejects(access(`${ws}.corrupted`), 'no copy made by the server');
  });
});
