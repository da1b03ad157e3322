/**
 * The egress guard in front of a real loopback provider and the real SDKs:
 * a refused request is never sent, is refused once (no SDK retries it), and
 * comes back as WorkspaceUntrusted naming the host, never the credential;
 * every other request goes out as it was.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { compileEgressPolicy, EgressGuard } from '../../src/auth/net/index.js';
import { ServerError } from '../../src/protocol/index.js';
import { listRemoteModels, probeModel, type ResolvedModel } from '../../src/providers/index.js';
import { type ProviderServer, startProviderServer } from '../peers/provider-server.js';

const KEY = 'sk-outside-the-workspace-0123456789';
let workspaceHost: ProviderServer;
let userHost: ProviderServer;
/** How many requests reached the guard: each SDK attempt is one. */
let attempts = 0;
let guard: EgressGuard;

before(async () => {
  [workspaceHost, userHost] = await Promise.all([startProviderServer(), startProviderServer()]);
  const policy = compileEgressPolicy({ trusted: false, outsideUrls: [userHost.url], credentials: [{ name: 'OPENAI_API_KEY', value: KEY }] });
  guard = new EgressGuard({
    send: async () => fetch,
    policy: () => {
      attempts++;
      return policy;
    },
  });
});
after(() => Promise.all([workspaceHost.close(), userHost.close()]));
beforeEach(() => {
  attempts = 0;
  workspaceHost.reset();
  userHost.reset();
});

function refusal(err: unknown): ServerError {
  assert.ok(err instanceof ServerError, `a ServerError, not ${String(err)}`);
  assert.equal(err.code, 'WorkspaceUntrusted');
  assert.ok(!err.message.includes(KEY) && !JSON.stringify(err.data).includes(KEY), 'the credential is not shown');
  assert.match(err.message, new RegExp(new URL(workspaceHost.origin).host.replace(/\./g, '\\.')), 'the host is named');
  assert.match(err.data.hint ?? '', /trust/);
  return err;
}

async function throughGuard(m: ResolvedModel): Promise<{ refused: ServerError | undefined; ok: boolean }> {
  const call = guard.call();
  const r = await probeModel(m, call);
  return { refused: call.refusal, ok: r.ok };
}

describe('egress guard: refused requests', () => {
  const cases: [string, ResolvedModel][] = [
    ['openai', { authType: 'openai', id: 'qwen3.5-plus', apiKey: 'workspace-key', customHeaders: { 'x-copy': KEY } }],
    ['anthropic', { authType: 'anthropic', id: 'claude-haiku-4-5', apiKey: KEY }],
    ['gemini', { authType: 'gemini', id: 'gemini-2.5-flash', apiKey: 'workspace-key', customHeaders: { 'x-copy': KEY } }],
    ['vertex-ai', { authType: 'vertex-ai', id: `${KEY}`, apiKey: 'workspace-key' }],
  ];
  for (const [sdk, m] of cases) {
    it(`${sdk}: with the SDK's default retries, the refusal is tried once, sent never, and reported as WorkspaceUntrusted`, async () => {
      const base = sdk === 'openai' ? workspaceHost.url : workspaceHost.origin;
      const r = await throughGuard({ ...m, baseUrl: base });
      refusal(r.refused);
      assert.equal(r.ok, false);
      assert.equal(attempts, 1, 'no retry after a refusal');
      assert.equal(workspaceHost.requests.length, 0, 'nothing was sent');
    });
  }

  it('model lists too: the refusal ends the listing at once', async () => {
    const call = guard.call();
    await assert.rejects(listRemoteModels({ authType: 'openai', baseUrl: workspaceHost.url, apiKey: KEY }, call));
    refusal(call.refusal);
    assert.equal(attempts, 1);
    assert.equal(workspaceHost.requests.length, 0);
  });

  it('a stream body is read whole and judged; so is a FormData body and a Request', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"a":"'));
        c.enqueue(new TextEncoder().encode(`${KEY}"}`));
        c.close();
      },
    });
    const url = `${workspaceHost.url}/chat/completions`;
    await assert.rejects(guard.fetch(url, { method: 'POST', body: stream, duplex: 'half' } as RequestInit), (e) => !!refusal(e));
    const form = new FormData();
    form.set('file', new Blob([`token=${KEY}`]), 'x.txt');
    await assert.rejects(guard.fetch(url, { method: 'POST', body: form }), (e) => !!refusal(e));
    await assert.rejects(guard.fetch(new Request(url, { method: 'POST', body: `{"k":"${KEY}"}` })), (e) => !!refusal(e));
    await assert.rejects(guard.fetch(url, { headers: [['authorization', `Basic ${Buffer.from(`u:${KEY}`).toString('base64')}`]] }), (e) => !!refusal(e));
    assert.equal(workspaceHost.requests.length, 0);
  });
});

describe('egress guard: requests that go out', () => {
  it('your key to a host chosen outside the workspace', async () => {
    const r = await throughGuard({ authType: 'openai', id: 'qwen3.5-plus', baseUrl: userHost.url, apiKey: KEY, maxRetries: 0 });
    assert.equal(r.refused, undefined);
    assert.equal(r.ok, true);
    assert.equal(userHost.requests[0]?.apiKey, KEY);
  });

  it("the workspace's own key to its own host, with a stream body passed on intact", async () => {
    const r = await throughGuard({ authType: 'openai', id: 'qwen3.5-plus', baseUrl: workspaceHost.url, apiKey: 'sk-the-workspace-own-key', maxRetries: 0 });
    assert.equal(r.ok, true);
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"model":"qwen3.5-plus",'));
        c.enqueue(new TextEncoder().encode('"messages":[{"role":"user","content":"hi"}]}'));
        c.close();
      },
    });
    const res = await guard.fetch(`${workspaceHost.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-the-workspace-own-key', 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 200);
    assert.deepEqual(workspaceHost.requests.at(-1)?.body, { model: 'qwen3.5-plus', messages: [{ role: 'user', content: 'hi' }] });
  });
});
