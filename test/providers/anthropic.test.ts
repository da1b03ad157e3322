import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { probeModel } from '../../src/providers/index.js';
import { startProviderServer } from '../peers/provider-server.js';
import type { ProviderServer } from '../peers/provider-server.js';
import { GOOD_KEY, protocolSuite } from './protocol-suite.js';

protocolSuite({
  authType: 'anthropic',
  envKey: 'ANTHROPIC_API_KEY',
  model: 'claude-sonnet-4-6',
  baseUrl: (s) => s.origin,
  probeOperation: 'anthropic.messages',
  listOperation: 'anthropic.models',
  keyFrom: (h) => h['x-api-key'] as string | undefined,
  otherKeyHeaders: ['authorization', 'x-goog-api-key'],
  assertOneToken: (b) => {
    assert.equal(b['max_tokens'], 1);
    assert.deepEqual(b['messages'], [{ role: 'user', content: 'ping' }]);
  },
  listedIds: ['claude-sonnet-4-6', 'claude-haiku-4-5'],
});

describe('anthropic adapter specifics', () => {
  let server: ProviderServer;
  before(async () => {
    // A small page size makes the SDK walk the has_more / after_id pages.
    server = await startProviderServer({ keys: [GOOD_KEY], pageSize: 1 });
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  it('a base URL with or without /v1 reaches /v1/messages', async () => {
    for (const baseUrl of [server.origin, `${server.origin}/`, `${server.origin}/v1`, `${server.origin}/v1/`]) {
      server.reset();
      const r = await probeModel({ authType: 'anthropic', id: 'claude-haiku-4-5', baseUrl, apiKey: GOOD_KEY, maxRetries: 0 }, { fetch });
      assert.equal(r.ok, true, `${baseUrl}: ${JSON.stringify(r)}`);
      assert.equal(server.requests[0]!.path, '/v1/messages');
      assert.equal(server.requests[0]!.headers['anthropic-version'], '2023-06-01');
    }
  });

  it('ANTHROPIC_AUTH_TOKEN in the environment is not sent along', async () => {
    const saved = process.env['ANTHROPIC_AUTH_TOKEN'];
    process.env['ANTHROPIC_AUTH_TOKEN'] = 'env-token-that-must-stay-home';
    try {
      const r = await probeModel({ authType: 'anthropic', id: 'claude-haiku-4-5', baseUrl: server.origin, apiKey: GOOD_KEY, maxRetries: 0 }, { fetch });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(server.requests[0]!.headers.authorization, undefined);
    } finally {
      if (saved === undefined) delete process.env['ANTHROPIC_AUTH_TOKEN'];
      else process.env['ANTHROPIC_AUTH_TOKEN'] = saved;
    }
  });

  it('529 overloaded is provider_unavailable', async () => {
    server.setBehaviour({ 'anthropic.messages': { status: 529 } });
    const r = await probeModel({ authType: 'anthropic', id: 'claude-haiku-4-5', baseUrl: server.origin, apiKey: GOOD_KEY, maxRetries: 0 }, { fetch });
    assert.equal(r.error?.code, 'provider_unavailable');
    assert.equal(r.error?.status, 529);
    assert.match(r.error!.message, /Overloaded/);
  });

  it('listModels follows pages and keeps display names', async () => {
    const { listRemoteModels } = await import('../../src/providers/index.js');
    const models = await listRemoteModels({ authType: 'anthropic', baseUrl: server.origin, apiKey: GOOD_KEY, maxRetries: 0 }, { fetch });
    assert.deepEqual(models, [
      { id: 'claude-sonnet-4-6', name: 'Claude Sonnet 4.6' },
      { id: 'claude-haiku-4-5', name: 'Claude Haiku 4.5' },
    ]);
    assert.equal(server.requests.length, 2);
  });
});
