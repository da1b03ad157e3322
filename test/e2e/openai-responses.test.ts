/**
 * openai-responses, the sixth auth type, end to end: its models (a
 * modelProviders["openai-responses"] entry, or an openai entry with
 * wireApi "responses"), its group in model/list, and model/test through the
 * openai SDK's Responses API against a loopback Responses endpoint.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type ResponsesProvider, startResponsesProvider } from '../peers/responses-provider.js';
import { sandboxPerTest } from '../support/per-test.js';

const KEY = 'sk-e2e-responses-key-0123456789';
const WRONG = 'sk-e2e-responses-wrong-000000000';
let peer: ResponsesProvider;
const ctx = sandboxPerTest((s) => {
  assert.ok(!s.stderr.includes(KEY) && !JSON.stringify(s.notifications).includes(KEY), 'the key never leaks');
});
beforeEach(async () => {
  peer = await startResponsesProvider({ keys: [KEY] });
});
afterEach(() => peer.close());

const USER = 'home/.qwen/settings.json';
const group = (list: any, authType: string) => list.groups.find((g: any) => g.authType === authType);

describe('openai-responses models', () => {
  it('model/list groups them under openai-responses, from either key, in Qwen Code\'s group order', async () => {
    await ctx.sb.write(
      USER,
      JSON.stringify({
        security: { auth: { selectedType: 'openai-responses' } },
        model: { name: 'gpt-5-mini' },
        modelProviders: {
          openai: [
            { id: 'chat-model', baseUrl: peer.url },
            { id: 'o4-mini', baseUrl: peer.url, wireApi: 'responses' },
          ],
          'openai-responses': [
            { id: 'gpt-5-mini', baseUrl: peer.url, envKey: 'RESP_KEY' },
            { id: 'back-to-chat', baseUrl: peer.url, wireApi: 'chat-completions' },
          ],
        },
      }),
    );
    const srv = await ctx.start({ env: { RESP_KEY: KEY, OPENAI_API_KEY: KEY } });
    const list = await srv.request('model/list');
    assert.deepEqual(list.groups.map((g: any) => g.authType), ['qwen-oauth', 'openai', 'openai-responses']);
    const resp = group(list, 'openai-responses');
    assert.equal(resp.label, 'OpenAI Responses API');
    assert.deepEqual(resp.models.map((m: any) => [m.id, m.envKey, m.available]), [
      ['o4-mini', 'OPENAI_API_KEY', true],
      ['gpt-5-mini', 'RESP_KEY', true],
    ]);
    assert.deepEqual(group(list, 'openai').models.map((m: any) => m.id), ['chat-model', 'back-to-chat'], 'wireApi "chat-completions" is an openai model');
    assert.deepEqual(list.selected, { authType: 'openai-responses', id: 'gpt-5-mini', baseUrl: peer.url, source: list.selected.source });
    assert.equal(list.selected.source.layer, 'settings');
    const status = await srv.request('auth/status');
    assert.equal(status.active, 'openai-responses');
  });

  it('with openai selected, a model only the Responses wire has is selected over it, as Qwen Code does', async () => {
    await ctx.sb.write(
      USER,
      JSON.stringify({
        security: { auth: { selectedType: 'openai' } },
        model: { name: 'o4-mini' },
        modelProviders: { openai: [{ id: 'chat-model', baseUrl: peer.url }, { id: 'o4-mini', baseUrl: peer.url, wireApi: 'responses' }] },
      }),
    );
    const srv = await ctx.start({ env: { OPENAI_API_KEY: KEY } });
    const list = await srv.request('model/list');
    assert.equal(list.selected.authType, 'openai-responses');
    assert.equal(list.selected.id, 'o4-mini');
    assert.deepEqual(list.warnings ?? [], [], 'no fallback to chat-model');
  });

  it('model/test goes through the Responses API: ok, a wrong key, an unknown model', async () => {
    await ctx.sb.write(
      USER,
      JSON.stringify({
        modelProviders: {
          openai: [{ id: 'o4-mini', baseUrl: peer.url, wireApi: 'responses', envKey: 'RESP_KEY', generationConfig: { maxRetries: 0 } }],
          'openai-responses': [{ id: 'gpt-nope', baseUrl: peer.url, envKey: 'RESP_KEY', generationConfig: { maxRetries: 0 } }],
        },
      }),
    );
    await ctx.sb.write('home/.qwen/.env', `RESP_KEY=${KEY}\n`);
    const srv = await ctx.start();
    const ok = await srv.request('model/test', { authType: 'openai-responses', id: 'o4-mini' });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    assert.equal(peer.requests.length, 1);
    assert.equal(peer.requests[0]!.path, '/v1/responses');
    assert.equal(peer.requests[0]!.headers.authorization, `Bearer ${KEY}`);
    assert.equal(peer.requests[0]!.body['max_output_tokens'], 16);

    const missing = await srv.request('model/test', { authType: 'openai-responses', id: 'gpt-nope' });
    assert.equal(missing.ok, false);
    assert.equal(missing.error.code, 'model_not_found');
    assert.match(missing.error.message, /gpt-nope/);

    const mark = srv.notifications.length;
    await ctx.sb.write('home/.qwen/.env', `RESP_KEY=${WRONG}\n`);
    await srv.waitFor('auth/didChange', (p) => p.envKey === 'RESP_KEY', 3000, mark);
    const bad = await srv.request('model/test', { authType: 'openai-responses', id: 'o4-mini' });
    assert.equal(bad.ok, false);
    assert.equal(bad.error.status, 401);
    assert.equal(bad.error.code, 'unauthorized');
    assert.match(bad.error.message, /RESP_KEY/);
    assert.ok(!JSON.stringify(bad).includes(WRONG), 'the rejected key is not echoed back');
  });

  it('an entry without a base URL, or a model no entry has, goes to OpenAI (never DashScope); a base URL gets its /v1', async () => {
    await ctx.sb.write(
      USER,
      JSON.stringify({ security: { auth: { selectedType: 'openai-responses' } }, modelProviders: { 'openai-responses': [{ id: 'gpt-5-mini' }, { id: 'o4-mini', baseUrl: peer.origin, generationConfig: { maxRetries: 0 } }] } }),
    );
    const srv = await ctx.start({ env: { OPENAI_API_KEY: KEY, OPENAI_MODEL: 'gpt-5.1' } });
    const list = await srv.request('model/list');
    const byId = Object.fromEntries(group(list, 'openai-responses').models.map((m: any) => [m.id, m]));
    assert.equal(byId['gpt-5-mini'].baseUrl, 'https://api.openai.com/v1');
    assert.equal(byId['o4-mini'].baseUrl, `${peer.origin}/v1`, 'where Qwen Code sends it: …/v1/responses');
    const ok = await srv.request('model/test', { authType: 'openai-responses', id: 'o4-mini' });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    assert.equal(peer.requests.at(-1)!.path, '/v1/responses');
    assert.equal(list.selected.id, 'gpt-5.1', 'OPENAI_MODEL names the model, with OPENAI_API_KEY from outside modelProviders');
    assert.equal(list.selected.baseUrl, 'https://api.openai.com/v1');
  });

  it('a wireApi Qwen Code refuses is an error diagnostic and the model is left out', async () => {
    const path = await ctx.sb.write(
      USER,
      JSON.stringify({ modelProviders: { openai: [{ id: 'ok-model' }, { id: 'bad-wire', wireApi: 'realtime' }], anthropic: [{ id: 'claude-wire', baseUrl: peer.url, wireApi: 'responses' }] } }),
    );
    const srv = await ctx.start({ env: { OPENAI_API_KEY: KEY } });
    const resolved = await srv.request('config/resolve');
    const mine = resolved.diagnostics.filter((d: any) => d.path === path && d.severity === 'error');
    assert.ok(mine.some((d: any) => /"bad-wire".*wireApi "realtime".*Qwen Code will not start/.test(d.message)), JSON.stringify(mine));
    assert.ok(mine.some((d: any) => /"claude-wire".*only for openai and openai-responses/.test(d.message)), JSON.stringify(mine));
    const ids = (await srv.request('model/list')).groups.flatMap((g: any) => g.models.map((m: any) => m.id));
    assert.deepEqual(ids.sort(), ['coder-model', 'ok-model']);
  });
});
