/**
 * The tests every protocol must pass, run through the real SDK against the
 * loopback peer. Each `<protocol>.test.ts` calls `protocolSuite` and adds what
 * only that protocol has.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { listRemoteModels, probeModel } from '../../src/providers/index.js';
import type { ResolvedModel } from '../../src/providers/index.js';
import { ServerError } from '../../src/protocol/index.js';
import { startProviderServer } from '../peers/provider-server.js';
import type { Operation, ProviderServer } from '../peers/provider-server.js';

export const GOOD_KEY = 'sk-loopback-good-0123456789abcdef';
export const BAD_KEY = 'sk-loopback-bad-fedcba9876543210';

export interface ProtocolSpec {
  authType: 'openai' | 'anthropic' | 'gemini' | 'vertex-ai';
  envKey: string;
  model: string;
  baseUrl(s: ProviderServer): string;
  probeOperation: Operation;
  listOperation: Operation;
  /** The key as this protocol must carry it. */
  keyFrom(h: IncomingHttpHeaders): string | undefined;
  /** Headers that must NOT carry the key for this protocol. */
  otherKeyHeaders: string[];
  /** What the body of a probe must say about the output budget. */
  assertOneToken(body: Record<string, unknown>): void;
  listedIds: string[];
}

/** A port nobody listens on (not port 1: fetch refuses "bad ports" before connecting). */
export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export function assertNoKey(text: string, key: string): void {
  assert.ok(!text.includes(key), `the key leaked into: ${text}`);
}

export function protocolSuite(spec: ProtocolSpec): { server: () => ProviderServer } {
  let server: ProviderServer;
  const model = (over: Partial<ResolvedModel> = {}): ResolvedModel => ({
    authType: spec.authType,
    id: spec.model,
    baseUrl: spec.baseUrl(server),
    apiKey: GOOD_KEY,
    envKey: spec.envKey,
    maxRetries: 0,
    ...over,
  });

  describe(`${spec.authType} adapter against the loopback peer`, () => {
    before(async () => {
      server = await startProviderServer({ keys: [GOOD_KEY] });
    });
    after(async () => {
      await server.close();
    });
    beforeEach(() => server.reset());

    it('a probe succeeds with exactly one request, the key in the right header and the custom headers', async () => {
      const r = await probeModel(model({ customHeaders: { 'x-team': 'editors', 'x-trace': 'abc' } }), { fetch });
      assert.deepEqual(r.error, undefined);
      assert.equal(r.ok, true);
      assert.equal(typeof r.latencyMs, 'number');
      assert.equal(server.requests.length, 1);
      const req = server.requests[0]!;
      assert.equal(req.operation, spec.probeOperation);
      assert.equal(req.model, spec.model);
      assert.equal(spec.keyFrom(req.headers), GOOD_KEY);
      for (const h of spec.otherKeyHeaders) assert.equal(req.headers[h], undefined, `unexpected ${h} header`);
      assert.equal(req.headers['x-team'], 'editors');
      assert.equal(req.headers['x-trace'], 'abc');
      spec.assertOneToken(req.body as Record<string, unknown>);
    });

    it('a rejected key says so, names the variable, and never shows the key', async () => {
      const r = await probeModel(model({ apiKey: BAD_KEY }), { fetch });
      assert.equal(r.ok, false);
      assert.equal(r.error?.code, 'unauthorized');
      assert.match(r.error!.message, /rejected the key \(HTTP (400|401)\)/);
      assert.match(r.error!.message, new RegExp(`check ${spec.envKey}`));
      assertNoKey(JSON.stringify(r), BAD_KEY);
      assert.equal(server.requests.length, 1);
    });

    it('an explicit 401 or 403 maps to unauthorized', async () => {
      for (const status of [401, 403]) {
        server.setBehaviour({ '*': { status } });
        const r = await probeModel(model(), { fetch });
        assert.equal(r.error?.code, 'unauthorized', `HTTP ${status}`);
        assert.equal(r.error?.status, status);
        assert.match(r.error!.message, new RegExp(`rejected the key \\(HTTP ${status}\\)`));
        assertNoKey(JSON.stringify(r), GOOD_KEY);
      }
    });

    it('an unknown model is model_not_found and names the model', async () => {
      const r = await probeModel(model({ id: 'no-such-model' }), { fetch });
      assert.equal(r.ok, false);
      assert.equal(r.error?.code, 'model_not_found');
      assert.equal(r.error?.status, 404);
      assert.match(r.error!.message, /does not know model no-such-model \(HTTP 404\)/);
    });

    it('429 once, then success: retried when maxRetries >= 1 (two requests, ok)', async () => {
      server.setBehaviour({ [spec.probeOperation]: { status: 429, times: 1 } });
      const r = await probeModel(model({ maxRetries: 1 }), { fetch });
      assert.deepEqual(r.error, undefined);
      assert.equal(r.ok, true);
      assert.equal(server.requests.length, 2);
    });

    it('429 with maxRetries 0: one request, rate_limited', async () => {
      server.setBehaviour({ [spec.probeOperation]: { status: 429, times: 1 } });
      const r = await probeModel(model({ maxRetries: 0 }), { fetch });
      assert.equal(r.ok, false);
      assert.equal(r.error?.code, 'rate_limited');
      assert.equal(r.error?.status, 429);
      assert.equal(server.requests.length, 1);
    });

    it('5xx is provider_unavailable', async () => {
      server.setBehaviour({ '*': { status: 503 } });
      const r = await probeModel(model(), { fetch });
      assert.equal(r.error?.code, 'provider_unavailable');
      assert.equal(r.error?.status, 503);
    });

    it('an answer later than timeoutMs is a timeout, reported quickly', async () => {
      server.setBehaviour({ '*': { delayMs: 5000 } });
      const t0 = performance.now();
      const r = await probeModel(model({ timeoutMs: 300 }), { fetch });
      const took = performance.now() - t0;
      assert.equal(r.ok, false);
      assert.equal(r.error?.code, 'timeout');
      assert.match(r.error!.message, /no answer within 0\.3 s/);
      assert.ok(took < 2500, `took ${took} ms`);
    });

    it('connection refused is a network error that says so', async () => {
      const port = await closedPort();
      const base = spec.baseUrl(server).replace(/:\d+/, `:${port}`);
      const r = await probeModel(model({ baseUrl: base }), { fetch });
      assert.equal(r.ok, false);
      assert.equal(r.error?.code, 'network');
      assert.match(r.error!.message, /ECONNREFUSED/);
      assert.match(r.error!.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      // Loopback never goes through a proxy: no proxy advice.
      assert.doesNotMatch(r.error!.message, /HTTPS_PROXY/);
    });

    it('a reset connection is a network error', async () => {
      server.setBehaviour({ '*': { reset: true } });
      const r = await probeModel(model(), { fetch });
      assert.equal(r.error?.code, 'network');
    });

    it("the caller's abort is cancelled, not a timeout", async () => {
      server.setBehaviour({ '*': { delayMs: 5000 } });
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const r = await probeModel(model(), { fetch, signal: ac.signal });
      assert.equal(r.error?.code, 'cancelled');
    });

    it('a custom fetch carries every request', async () => {
      const seen: string[] = [];
      const f: typeof fetch = (input, init) => {
        seen.push(input instanceof Request ? input.url : String(input));
        return fetch(input, init);
      };
      const r = await probeModel(model(), { fetch: f });
      assert.equal(r.ok, true);
      assert.equal(seen.length, 1);
      assert.ok(seen[0]!.startsWith(server.origin));
    });

    it('listModels returns the ids', async () => {
      const { id: _id, ...target } = model();
      const models = await listRemoteModels(target, { fetch });
      assert.deepEqual(
        models.map((m) => m.id),
        spec.listedIds,
      );
      assert.ok(server.requests.every((r) => r.operation === spec.listOperation));
      assert.equal(spec.keyFrom(server.requests[0]!.headers), GOOD_KEY);
    });

    it('listModels with a rejected key throws a ProviderError without the key', async () => {
      const { id: _id, ...target } = model({ apiKey: BAD_KEY });
      await assert.rejects(listRemoteModels(target, { fetch }), (err: unknown) => {
        assert.ok(err instanceof ServerError);
        assert.equal(err.code, 'ProviderError');
        assert.equal(err.data['reason'], 'unauthorized');
        assertNoKey(err.message, BAD_KEY);
        assertNoKey(JSON.stringify(err.data), BAD_KEY);
        return true;
      });
    });

    it('an empty key is credential_missing without any request', async () => {
      const r = await probeModel(model({ apiKey: '' }), { fetch });
      assert.equal(r.error?.code, 'credential_missing');
      assert.match(r.error!.message, new RegExp(spec.envKey));
      assert.equal(server.requests.length, 0);
    });
  });

  return { server: () => server };
}
