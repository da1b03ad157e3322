import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { probeModel } from '../../src/providers/index.js';
import { startProviderServer } from '../peers/provider-server.js';
import type { ProviderServer } from '../peers/provider-server.js';
import { GOOD_KEY, protocolSuite } from './protocol-suite.js';

protocolSuite({
  authType: 'vertex-ai',
  envKey: 'GOOGLE_API_KEY',
  model: 'gemini-2.5-pro',
  baseUrl: (s) => s.origin,
  probeOperation: 'vertex.generate',
  listOperation: 'vertex.models',
  keyFrom: (h) => h['x-goog-api-key'] as string | undefined,
  otherKeyHeaders: ['authorization', 'x-api-key'],
  assertOneToken: (b) => {
    assert.deepEqual(b['generationConfig'], { maxOutputTokens: 1 });
  },
  listedIds: ['gemini-2.5-flash', 'gemini-2.5-pro'],
});

describe('vertex-ai adapter specifics (express mode)', () => {
  let server: ProviderServer;
  before(async () => {
    server = await startProviderServer({ keys: [GOOD_KEY] });
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  it('uses the express-mode path: no project, no location', async () => {
    const r = await probeModel({ authType: 'vertex-ai', id: 'gemini-2.5-flash', baseUrl: server.origin, apiKey: GOOD_KEY, maxRetries: 0 }, { fetch });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(server.requests[0]!.path, '/v1beta1/publishers/google/models/gemini-2.5-flash:generateContent');
  });

  it('GOOGLE_CLOUD_PROJECT in the environment neither changes the path nor prints on stdout', async () => {
    const saved = { p: process.env['GOOGLE_CLOUD_PROJECT'], l: process.env['GOOGLE_CLOUD_LOCATION'] };
    process.env['GOOGLE_CLOUD_PROJECT'] = 'some-project';
    process.env['GOOGLE_CLOUD_LOCATION'] = 'us-central1';
    const written: string[] = [];
    const realWrite = process.stdout.write.bind(process.stdout);
    // The SDK's constructor console.debug()s here; in the server that would corrupt the protocol stream.
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      written.push(String(chunk));
      return (realWrite as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      const r = await probeModel({ authType: 'vertex-ai', id: 'gemini-2.5-flash', baseUrl: server.origin, apiKey: GOOD_KEY, maxRetries: 0 }, { fetch });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(server.requests[0]!.path, '/v1beta1/publishers/google/models/gemini-2.5-flash:generateContent');
    } finally {
      process.stdout.write = realWrite;
      for (const [k, v] of [['GOOGLE_CLOUD_PROJECT', saved.p], ['GOOGLE_CLOUD_LOCATION', saved.l]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    assert.deepEqual(written.filter((w) => /precedence|Vertex AI API key/.test(w)), []);
  });

  it('a publisher-qualified id keeps its publisher', async () => {
    const r = await probeModel({ authType: 'vertex-ai', id: 'google/gemini-2.5-pro', baseUrl: server.origin, apiKey: GOOD_KEY, maxRetries: 0 }, { fetch });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(server.requests[0]!.path, '/v1beta1/publishers/google/models/gemini-2.5-pro:generateContent');
  });

  it('a base URL ending in /v1 uses the v1 API', async () => {
    const r = await probeModel({ authType: 'vertex-ai', id: 'gemini-2.5-flash', baseUrl: `${server.origin}/v1`, apiKey: GOOD_KEY, maxRetries: 0 }, { fetch });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(server.requests[0]!.path, '/v1/publishers/google/models/gemini-2.5-flash:generateContent');
  });
});
