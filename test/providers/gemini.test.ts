import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { listRemoteModels, probeModel } from '../../src/providers/index.js';
import { startProviderServer } from '../peers/provider-server.js';
import type { ProviderServer } from '../peers/provider-server.js';
import { BAD_KEY, GOOD_KEY, assertNoKey, protocolSuite } from './protocol-suite.js';

protocolSuite({
  authType: 'gemini',
  envKey: 'GEMINI_API_KEY',
  model: 'gemini-2.5-flash',
  baseUrl: (s) => s.origin,
  probeOperation: 'gemini.generate',
  listOperation: 'gemini.models',
  keyFrom: (h) => h['x-goog-api-key'] as string | undefined,
  otherKeyHeaders: ['authorization', 'x-api-key'],
  assertOneToken: (b) => {
    assert.deepEqual(b['generationConfig'], { maxOutputTokens: 1 });
    assert.deepEqual(b['contents'], [{ parts: [{ text: 'ping' }], role: 'user' }]);
  },
  // The embedding model the peer also lists cannot chat, so it is left out.
  listedIds: ['gemini-2.5-flash', 'gemini-2.5-pro'],
});

describe('gemini adapter specifics', () => {
  let server: ProviderServer;
  before(async () => {
    server = await startProviderServer({ keys: [GOOD_KEY], pageSize: 1 });
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  it("Gemini's 400 API_KEY_INVALID is unauthorized", async () => {
    const r = await probeModel({ authType: 'gemini', id: 'gemini-2.5-flash', baseUrl: server.origin, apiKey: BAD_KEY, envKey: 'GEMINI_API_KEY', maxRetries: 0 }, { fetch });
    assert.equal(r.error?.code, 'unauthorized');
    assert.equal(r.error?.status, 400);
    assert.match(r.error!.message, /API key not valid/);
    assertNoKey(r.error!.message, BAD_KEY);
  });

  it('a base URL that already ends in the API version is not doubled', async () => {
    for (const [baseUrl, path] of [
      [`${server.origin}/v1beta`, '/v1beta/models/gemini-2.5-pro:generateContent'],
      [`${server.origin}/v1/`, '/v1/models/gemini-2.5-pro:generateContent'],
    ] as const) {
      server.reset();
      const r = await probeModel({ authType: 'gemini', id: 'gemini-2.5-pro', baseUrl, apiKey: GOOD_KEY, maxRetries: 0 }, { fetch });
      assert.equal(r.ok, true, `${baseUrl}: ${JSON.stringify(r)}`);
      assert.equal(server.requests[0]!.path, path);
    }
  });

  it('GOOGLE_GENAI_USE_VERTEXAI in the environment does not switch a Gemini model to Vertex', async () => {
    const saved = process.env['GOOGLE_GENAI_USE_VERTEXAI'];
    process.env['GOOGLE_GENAI_USE_VERTEXAI'] = 'true';
    try {
      const r = await probeModel({ authType: 'gemini', id: 'gemini-2.5-pro', baseUrl: server.origin, apiKey: GOOD_KEY, maxRetries: 0 }, { fetch });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(server.requests[0]!.operation, 'gemini.generate');
    } finally {
      if (saved === undefined) delete process.env['GOOGLE_GENAI_USE_VERTEXAI'];
      else process.env['GOOGLE_GENAI_USE_VERTEXAI'] = saved;
    }
  });

  it('retries 503 up to maxRetries, then reports provider_unavailable', async () => {
    server.setBehaviour({ 'gemini.generate': { status: 503 } });
    const r = await probeModel({ authType: 'gemini', id: 'gemini-2.5-pro', baseUrl: server.origin, apiKey: GOOD_KEY, maxRetries: 1 }, { fetch });
    assert.equal(r.error?.code, 'provider_unavailable');
    assert.equal(server.requests.length, 2);
  });

  it('does not retry a 404', async () => {
    const r = await probeModel({ authType: 'gemini', id: 'gemini-9', baseUrl: server.origin, apiKey: GOOD_KEY, maxRetries: 3 }, { fetch });
    assert.equal(r.error?.code, 'model_not_found');
    assert.equal(server.requests.length, 1);
  });

  it('listModels follows nextPageToken and keeps names and descriptions', async () => {
    const models = await listRemoteModels({ authType: 'gemini', baseUrl: server.origin, apiKey: GOOD_KEY, maxRetries: 0 }, { fetch });
    assert.deepEqual(models, [
      { id: 'gemini-2.5-flash', name: 'Gemini 2.5 Flash', description: 'Loopback gemini-2.5-flash' },
      { id: 'gemini-2.5-pro', name: 'Gemini 2.5 Pro', description: 'Loopback gemini-2.5-pro' },
    ]);
    // Three pages of one: two chat models and the embedding model.
    assert.equal(server.requests.length, 3);
  });

  it('listModels stops at the limit', async () => {
    const models = await listRemoteModels({ authType: 'gemini', baseUrl: server.origin, apiKey: GOOD_KEY, maxRetries: 0 }, { fetch, limit: 1 });
    assert.deepEqual(models.map((m) => m.id), ['gemini-2.5-flash']);
    assert.equal(server.requests.length, 1);
  });
});
