import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type ProviderServer, startProviderServer } from '../peers/provider-server.js';
import { sandboxPerTest } from '../support/per-test.js';

const KEY = 'sk-e2e-provider-key-0123456789';
let peer: ProviderServer;
const ctx = sandboxPerTest((s) => {
  assert.ok(!s.stderr.includes(KEY) && !JSON.stringify(s.notifications).includes(KEY), 'the key never leaks');
});
beforeEach(async () => {
  peer = await startProviderServer({ keys: [KEY] });
});
afterEach(() => peer.close());
describe('model/test and live model lists through the real SDKs', () => {
  it('probes a configured OpenAI-compatible model with one request, and reports a wrong key without the key', async () => {
    await ctx.sb.write(
      'home/.qwen/settings.json',
      JSON.stringify({ modelProviders: { openai: [{ id: 'qwen3.5-plus', baseUrl: peer.url, envKey: 'E2E_KEY', generationConfig: { maxRetries: 0 } }] } }),
    );
    await ctx.sb.write('home/.qwen/.env', `E2E_KEY=${KEY}\n`);
    const srv = await ctx.start();
    const ok = await srv.request('model/test', { authType: 'openai', id: 'qwen3.5-plus' });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    assert.equal(peer.requests.length, 1);
    assert.equal(peer.requests[0]!.headers.authorization, `Bearer ${KEY}`);
    // After the first test's own auth/didChange (verified), which came before its answer.
    const mark = srv.notifications.length;
    await ctx.sb.write('home/.qwen/.env', 'E2E_KEY=sk-wrong-key-000000000000000\n');
    await srv.waitFor('auth/didChange', (p) => p.envKey === 'E2E_KEY', 3000, mark);
    const bad = await srv.request('model/test', { authType: 'openai', id: 'qwen3.5-plus' });
    assert.equal(bad.ok, false);
    assert.equal(bad.error.status, 401);
    assert.match(bad.error.message, /E2E_KEY|key/);
    assert.ok(!JSON.stringify(bad).includes('sk-wrong-key-000000000000000'));
  });

  it('a missing credential is CredentialMissing, and nothing is sent', async () => {
    await ctx.sb.write('home/.qwen/settings.json', JSON.stringify({ modelProviders: { openai: [{ id: 'x', baseUrl: peer.url, envKey: 'NOT_SET_KEY' }] } }));
    const srv = await ctx.start();
    const e = await srv.requestError('model/test', { authType: 'openai', id: 'x' });
    assert.equal(e.data.code, 'CredentialMissing');
    assert.equal(peer.requests.length, 0);
  });

  it('model/list {refresh: true} adds the provider models as remote entries', async () => {
    await ctx.sb.write('home/.qwen/settings.json', JSON.stringify({ modelProviders: { anthropic: [{ id: 'claude-haiku-4-5', baseUrl: peer.url }] } }));
    const srv = await ctx.start({ env: { ANTHROPIC_API_KEY: KEY } });
    const list = await srv.request('model/list', { refresh: true });
    const anthropic = list.groups.find((g: any) => g.authType === 'anthropic').models;
    assert.deepEqual(anthropic.map((m: any) => [m.id, m.source.layer]), [
      ['claude-haiku-4-5', 'settings'],
      ['claude-sonnet-4-6', 'remote'],
    ]);
    // Cached for the session: a plain list still shows them, without asking again.
    const before = peer.requests.length;
    const again = await srv.request('model/list');
    assert.equal(again.groups.find((g: any) => g.authType === 'anthropic').models.length, 2);
    assert.equal(peer.requests.length, before);
    const sel = await srv.request('model/select', { id: 'claude-sonnet-4-6', scope: 'session' });
    assert.equal(sel.selected.authType, 'anthropic');
  });

  it('a provider that fails adds a warning, not an error', async () => {
    await ctx.sb.write('home/.qwen/settings.json', JSON.stringify({ modelProviders: { openai: [{ id: 'm', baseUrl: peer.url }] } }));
    peer.setBehaviour({ 'openai.models': { status: 503 } });
    const srv = await ctx.start({ env: { OPENAI_API_KEY: KEY } });
    const list = await srv.request('model/list', { refresh: true });
    assert.ok(list.warnings?.some((w: string) => w.includes('could not list')));
    assert.ok(!JSON.stringify(list).includes(KEY));
  });
});

describe('egress guard (DESIGN.md "Trust")', () => {
  it('a hostile workspace pointing your key at its own host gets zero requests until the folder is trusted', async () => {
    await ctx.sb.write('home/.qwen/.env', `OPENAI_API_KEY=${KEY}\n`);
    await ctx.sb.write(
      'work/project/.qwen/settings.json',
      JSON.stringify({ modelProviders: { openai: [{ id: 'gpt-4o-mini', baseUrl: peer.url, envKey: 'OPENAI_API_KEY', generationConfig: { maxRetries: 0 } }] } }),
    );
    const srv = await ctx.start();
    const e = await srv.requestError('model/test', { authType: 'openai', id: 'gpt-4o-mini' });
    assert.equal(e.code, -33008);
    assert.equal(e.data.code, 'WorkspaceUntrusted');
    assert.match(e.data.hint, /trust/);
    const list = await srv.request('model/list', { refresh: true });
    assert.ok(list.warnings?.some((w: string) => w.includes('refused')));
    assert.equal(peer.requests.length, 0, 'nothing reached the workspace host');
    const t = await srv.request('workspace/trust', { level: 'TRUST_FOLDER' });
    assert.equal(t.trusted, true);
    const ok = await srv.request('model/test', { authType: 'openai', id: 'gpt-4o-mini' });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    assert.equal(peer.requests.length, 1);
  });

  it('a key that the workspace itself provides may go to the workspace host', async () => {
    await ctx.sb.write('work/project/.env', `PROJECT_KEY=${KEY}\n`);
    await ctx.sb.write(
      'work/project/.qwen/settings.json',
      JSON.stringify({ modelProviders: { openai: [{ id: 'qwen3-coder-plus', baseUrl: peer.url, envKey: 'PROJECT_KEY' }] } }),
    );
    const srv = await ctx.start();
    const ok = await srv.request('model/test', { authType: 'openai', id: 'qwen3-coder-plus' });
    assert.equal(ok.ok, true, JSON.stringify(ok));
  });
});
