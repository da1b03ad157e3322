/**
 * What model/list, auth/status, model/test and model/select say about the
 * model, key and base URL Qwen Code 0.24.4 would use (issue 11, points 3, 4,
 * 6, 7, 12, 13): the answers the differential suite does not look at.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type ProviderServer, startProviderServer } from '../peers/provider-server.js';
import { sandboxPerTest } from '../support/per-test.js';

const KEY = 'sk-fallthrough-key-0123456789abcd';
const SETTINGS_KEY = 'sk-settings-apikey-0123456789wxyz';
let peer: ProviderServer;
const ctx = sandboxPerTest((s) => {
  const seen = s.stderr + JSON.stringify(s.notifications);
  assert.ok(!seen.includes(KEY) && !seen.includes(SETTINGS_KEY), 'no key leaks');
});
beforeEach(async () => {
  peer = await startProviderServer({ keys: [KEY, SETTINGS_KEY] });
});
afterEach(() => peer.close());

const openai = (extra: Record<string, unknown>) => JSON.stringify({ security: { auth: { selectedType: 'openai' } }, ...extra });
const models = (list: any) => list.groups.flatMap((g: any) => g.models);

describe('model resolution as Qwen Code 0.24 does it', () => {
  it('an unset envKey falls through to OPENAI_API_KEY: model/list, auth/status and the request agree', async () => {
    await ctx.sb.write(
      'home/.qwen/settings.json',
      openai({ model: { name: 'qwen3.5-plus' }, modelProviders: { openai: [{ id: 'qwen3.5-plus', baseUrl: peer.url, envKey: 'UNSET_KEY', generationConfig: { maxRetries: 0 } }] } }),
    );
    const srv = await ctx.start({ env: { OPENAI_API_KEY: KEY } });
    const m = models(await srv.request('model/list')).find((x: any) => x.id === 'qwen3.5-plus');
    assert.equal(m.available, true, JSON.stringify(m));
    const st = (await srv.request('auth/status')).methods.find((x: any) => x.envKey === 'UNSET_KEY');
    assert.equal(st.state, 'signedIn');
    assert.equal(st.credential.redacted, 'sk-…abcd');
    assert.match(st.message, /UNSET_KEY is not set: OPENAI_API_KEY is used instead/);
    const r = await srv.request('model/test', { authType: 'openai', id: 'qwen3.5-plus' });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(peer.requests.at(-1)!.headers.authorization, `Bearer ${KEY}`);
  });

  it('security.auth.apiKey and security.auth.baseUrl are the last layers: listed, used, and redacted', async () => {
    await ctx.sb.write(
      'home/.qwen/settings.json',
      JSON.stringify({ security: { auth: { selectedType: 'openai', apiKey: SETTINGS_KEY, baseUrl: peer.url } }, model: { name: 'qwen3.5-plus' } }),
    );
    const srv = await ctx.start();
    const list = await srv.request('model/list');
    assert.deepEqual({ id: list.selected.id, baseUrl: list.selected.baseUrl }, { id: 'qwen3.5-plus', baseUrl: peer.url });
    assert.equal(models(list).find((x: any) => x.id === 'qwen3.5-plus').available, true);
    const r = await srv.request('model/test', { authType: 'openai', id: 'qwen3.5-plus' });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(peer.requests.at(-1)!.headers.authorization, `Bearer ${SETTINGS_KEY}`);
    assert.ok(!JSON.stringify(await srv.request('config/resolve')).includes(SETTINGS_KEY), 'config/resolve shows it redacted');
  });

  it('every Model and ModelRef carries the base URL requests go to, defaults included', async () => {
    await ctx.sb.write('home/.qwen/settings.json', openai({ model: { name: 'qwen-unlisted' }, modelProviders: { openai: [{ id: 'listed' }] } }));
    const srv = await ctx.start({ env: { OPENAI_API_KEY: KEY } });
    const list = await srv.request('model/list');
    assert.equal(list.selected.baseUrl, 'https://dashscope.aliyuncs.com/compatible-mode/v1', 'a model no entry defines goes to DashScope');
    assert.equal(models(list).find((x: any) => x.id === 'listed').baseUrl, 'https://api.openai.com/v1', 'an entry without baseUrl goes to OpenAI');
    await ctx.sb.write('home/.qwen/settings.json', '{}');
    const gem = await ctx.start({ env: { GEMINI_API_KEY: KEY, GEMINI_MODEL: 'gem-env' } });
    const g = await gem.request('model/list');
    assert.deepEqual([g.selected.authType, g.selected.id, g.selected.baseUrl], ['gemini', 'gem-env', 'https://generativelanguage.googleapis.com']);
  });

  it('with no auth type nothing is usable, and model/select is the way out', async () => {
    await ctx.sb.write('home/.qwen/settings.json', JSON.stringify({ modelProviders: { openai: [{ id: 'm-a', baseUrl: peer.url }] } }));
    const srv = await ctx.start({ env: { OPENAI_API_KEY: KEY } });
    const m = models(await srv.request('model/list')).find((x: any) => x.id === 'm-a');
    assert.equal(m.available, false);
    assert.match(m.unavailableReason, /no auth type is selected/);
    const r = await srv.request('model/select', { authType: 'openai', id: 'm-a' });
    assert.ok(!(r.warnings ?? []).some((w: string) => /cannot be used/.test(w)), JSON.stringify(r.warnings));
    assert.equal(models(await srv.request('model/list')).find((x: any) => x.id === 'm-a').available, true);
  });

  it('model.baseUrl picks among entries sharing an id; model/select writes it only for such ids', async () => {
    const first = `${peer.url}/first`;
    const second = `${peer.url}/second`;
    const path = await ctx.sb.write(
      'home/.qwen/settings.json',
      openai({ model: { name: 'twin', baseUrl: second }, modelProviders: { openai: [{ id: 'twin', baseUrl: first }, { id: 'twin', baseUrl: second }, { id: 'solo', baseUrl: first }] } }),
    );
    const srv = await ctx.start({ env: { OPENAI_API_KEY: KEY } });
    assert.equal((await srv.request('model/list')).selected.baseUrl, second);
    const r = await srv.request('model/select', { authType: 'openai', id: 'twin', baseUrl: first });
    assert.equal(r.selected.baseUrl, first);
    assert.equal(JSON.parse(await readFile(path, 'utf8')).model.baseUrl, first);
    await srv.request('model/select', { authType: 'openai', id: 'solo' });
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')).model, { name: 'solo' }, 'a stale model.baseUrl is removed');

    await ctx.sb.write(path, openai({ model: { name: 'twin', baseUrl: 'https://gone.example/v1' }, modelProviders: { openai: [{ id: 'twin', baseUrl: first }, { id: 'twin', baseUrl: second }] } }));
    const stale = await ctx.start({ env: { OPENAI_API_KEY: KEY } });
    const list = await stale.request('model/list');
    assert.equal(list.selected.baseUrl, first, 'none matches: the first');
    assert.ok((list.warnings ?? []).some((w: string) => w.includes('model.baseUrl')), JSON.stringify(list.warnings));
  });

  it('-m with an id no entry has becomes the first entry when every key is in modelProviders, and says so', async () => {
    await ctx.sb.write(
      'home/.qwen/settings.json',
      openai({ modelProviders: { openai: [{ id: 'm-a', baseUrl: peer.url, envKey: 'MY_KEY' }, { id: 'm-b', baseUrl: peer.url, envKey: 'MY_KEY' }] } }),
    );
    const srv = await ctx.start({ args: ['-m', 'no-such-model'], env: { MY_KEY: KEY } });
    const list = await srv.request('model/list');
    assert.equal(list.selected.id, 'm-a');
    assert.ok((list.warnings ?? []).some((w: string) => w.includes('no-such-model') && w.includes('m-a')), JSON.stringify(list.warnings));
  });

  it('openai with no model anywhere selects qwen3.7-max; coder-model is Qwen 3.7 Max at the resource_url host', async () => {
    await ctx.sb.write('home/.qwen/settings.json', openai({}));
    const srv = await ctx.start({ env: { OPENAI_API_KEY: KEY } });
    const list = await srv.request('model/list');
    assert.equal(list.selected.id, 'qwen3.7-max');
    assert.match(list.groups[0].models[0].name, /Qwen 3\.7 Max/);
    assert.equal(list.groups[0].models[0].baseUrl, 'https://dashscope.aliyuncs.com/compatible-mode/v1', 'no credential: DashScope');
    await ctx.sb.write(
      'home/.qwen/oauth_creds.json',
      JSON.stringify({ access_token: 'qat-0123456789abcdef', refresh_token: 'qrt-0123456789abcdef', token_type: 'Bearer', resource_url: 'portal.example.test', expiry_date: Date.now() + 3_600_000 }),
    );
    const signed = await ctx.start();
    assert.equal((await signed.request('model/list')).groups[0].models[0].baseUrl, 'https://portal.example.test/v1');
  });

  it('model/select answers overriddenBy when --model or a higher file still decides', async () => {
    const entries = { modelProviders: { openai: [{ id: 'm-a', baseUrl: peer.url }, { id: 'm-b', baseUrl: peer.url }, { id: 'm-c', baseUrl: peer.url }] } };
    await ctx.sb.write('home/.qwen/settings.json', openai(entries));
    const flagged = await ctx.start({ args: ['--model', 'm-b'], env: { OPENAI_API_KEY: KEY } });
    const r = await flagged.request('model/select', { authType: 'openai', id: 'm-a' });
    assert.deepEqual(r.overriddenBy, { layer: 'cli' });
    assert.equal(r.selected.id, 'm-b');
    assert.ok(r.warnings.some((w: string) => w.includes('--model')), JSON.stringify(r.warnings));

    const system = await ctx.sb.write('etc/settings.json', JSON.stringify({ model: { name: 'm-c' } }));
    const plain = await ctx.start({ env: { OPENAI_API_KEY: KEY } });
    const s = await plain.request('model/select', { authType: 'openai', id: 'm-a' });
    assert.equal(s.overriddenBy?.path, system);
    assert.ok(s.warnings.some((w: string) => w.includes(system)), JSON.stringify(s.warnings));

    const free = await ctx.start({ args: ['--model', 'm-b'], env: { OPENAI_API_KEY: KEY } });
    const ok = await free.request('model/select', { authType: 'openai', id: 'm-a', scope: 'session' });
    assert.equal(ok.overriddenBy, undefined);
    assert.equal(ok.selected.id, 'm-a');
  });
});
