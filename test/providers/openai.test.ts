import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { probeModel, qwenOAuthBaseUrl } from '../../src/providers/index.js';
import { startProviderServer } from '../peers/provider-server.js';
import type { ProviderServer } from '../peers/provider-server.js';
import { BAD_KEY, GOOD_KEY, assertNoKey, protocolSuite } from './protocol-suite.js';

protocolSuite({
  authType: 'openai',
  envKey: 'OPENAI_API_KEY',
  model: 'qwen3.5-plus',
  baseUrl: (s) => s.url,
  probeOperation: 'openai.chat',
  listOperation: 'openai.models',
  keyFrom: (h) => /^Bearer (.+)$/.exec(String(h.authorization ?? ''))?.[1],
  otherKeyHeaders: ['x-api-key', 'x-goog-api-key'],
  assertOneToken: (b) => {
    assert.equal(b['max_tokens'], 1);
    assert.deepEqual(b['messages'], [{ role: 'user', content: 'ping' }]);
  },
  listedIds: ['qwen3.5-plus', 'qwen3-coder-plus', 'gpt-4o-mini'],
});

describe('openai adapter specifics', () => {
  let server: ProviderServer;
  before(async () => {
    server = await startProviderServer({ keys: [GOOD_KEY] });
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  it('extra_body arrives in the request body, but cannot change the model, prompt or budget', async () => {
    const r = await probeModel({
      authType: 'openai',
      id: 'qwen3-coder-plus',
      baseUrl: server.url,
      apiKey: GOOD_KEY,
      maxRetries: 0,
      extraBody: { top_k: 20, vl_high_resolution_images: false, model: 'other', max_tokens: 4096 },
    }, { fetch });
    assert.equal(r.ok, true, JSON.stringify(r));
    const body = server.requests[0]!.body as Record<string, unknown>;
    assert.equal(body['top_k'], 20);
    assert.equal(body['vl_high_resolution_images'], false);
    assert.equal(body['model'], 'qwen3-coder-plus');
    assert.equal(body['max_tokens'], 1);
    assert.equal(body['stream'], false);
  });

  it('enable_thinking streams (DashScope refuses it otherwise) and stops at the first chunk', async () => {
    const r = await probeModel({
      authType: 'openai',
      id: 'qwen3.5-plus',
      baseUrl: server.url,
      apiKey: GOOD_KEY,
      maxRetries: 0,
      extraBody: { enable_thinking: true },
    }, { fetch });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(server.requests.length, 1);
    const body = server.requests[0]!.body as Record<string, unknown>;
    assert.equal(body['enable_thinking'], true);
    assert.equal(body['stream'], true);
    assert.equal(body['max_tokens'], 1);
  });

  it('the default base URL is OpenAI', async () => {
    // A fetch that records and refuses: nothing leaves the machine.
    const seen: string[] = [];
    const f: typeof fetch = async (input) => {
      seen.push(String(input instanceof Request ? input.url : input));
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('offline'), { code: 'ENOTFOUND' }) });
    };
    const r = await probeModel({ authType: 'openai', id: 'gpt-4o-mini', apiKey: GOOD_KEY, maxRetries: 0 }, { fetch: f });
    assert.equal(seen[0], 'https://api.openai.com/v1/chat/completions');
    assert.equal(r.error?.code, 'network');
    assert.match(r.error!.message, /could not resolve the host api\.openai\.com/);
  });

  it('a base URL with a trailing slash works', async () => {
    const r = await probeModel({ authType: 'openai', id: 'qwen3.5-plus', baseUrl: `${server.url}/`, apiKey: GOOD_KEY, maxRetries: 0 }, { fetch });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(server.requests[0]!.path, '/v1/chat/completions');
  });

  it('the key echoed back by a careless server is scrubbed from the message', async () => {
    const r = await probeModel({ authType: 'openai', id: 'qwen3.5-plus', baseUrl: server.url, apiKey: BAD_KEY, maxRetries: 0 }, { fetch });
    assert.equal(r.error?.code, 'unauthorized');
    // The peer put the whole key in its answer; what is left is the redacted form.
    assert.match(r.error!.message, /Incorrect API key provided: sk-…3210/);
    assertNoKey(r.error!.message, BAD_KEY);
  });

  it('a model that refuses max_tokens is asked again with max_completion_tokens', async () => {
    // What OpenAI's reasoning models answer.
    server.setBehaviour((req) =>
      req.operation === 'openai.chat' && (req.body as Record<string, unknown>)['max_tokens'] !== undefined
        ? {
            status: 400,
            body: {
              error: {
                message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
                type: 'invalid_request_error',
                param: 'max_tokens',
                code: 'unsupported_parameter',
              },
            },
          }
        : undefined,
    );
    const r = await probeModel({ authType: 'openai', id: 'gpt-4o-mini', baseUrl: server.url, apiKey: GOOD_KEY, maxRetries: 0 }, { fetch });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(server.requests.length, 2);
    const second = server.requests[1]!.body as Record<string, unknown>;
    assert.equal(second['max_completion_tokens'], 1);
    assert.equal(second['max_tokens'], undefined);
  });

  it('retries 5xx too, honouring maxRetries', async () => {
    server.setBehaviour({ 'openai.chat': { status: 500, times: 2 } });
    const r = await probeModel({ authType: 'openai', id: 'qwen3.5-plus', baseUrl: server.url, apiKey: GOOD_KEY, maxRetries: 2 }, { fetch });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(server.requests.length, 3);
  });
});

describe('qwen-oauth through the openai adapter', () => {
  let server: ProviderServer;
  const token = 'qwen-oauth-access-token-0123456789';
  before(async () => {
    server = await startProviderServer({ keys: [token] });
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  it('resource_url gets /v1 added and the token goes as a bearer key', async () => {
    const r = await probeModel({ authType: 'qwen-oauth', id: 'qwen3.5-plus', baseUrl: server.origin, apiKey: token, maxRetries: 0 }, { fetch });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(server.requests[0]!.path, '/v1/chat/completions');
    assert.equal(server.requests[0]!.headers.authorization, `Bearer ${token}`);
  });

  it('a rejected token asks to sign in again, without the token', async () => {
    const r = await probeModel({ authType: 'qwen-oauth', id: 'qwen3.5-plus', baseUrl: server.origin, apiKey: `${token}-old`, maxRetries: 0 }, { fetch });
    assert.equal(r.error?.code, 'unauthorized');
    assert.match(r.error!.message, /rejected the Qwen OAuth token \(HTTP 401\): sign in again/);
    assertNoKey(r.error!.message, `${token}-old`);
  });

  it('resource_url normalisation follows Qwen Code', () => {
    assert.equal(qwenOAuthBaseUrl(undefined), 'https://dashscope.aliyuncs.com/compatible-mode/v1');
    assert.equal(qwenOAuthBaseUrl(''), 'https://dashscope.aliyuncs.com/compatible-mode/v1');
    assert.equal(qwenOAuthBaseUrl('portal.qwen.ai'), 'https://portal.qwen.ai/v1');
    assert.equal(qwenOAuthBaseUrl('https://portal.qwen.ai/v1'), 'https://portal.qwen.ai/v1');
    assert.equal(qwenOAuthBaseUrl('https://portal.qwen.ai/v1/'), 'https://portal.qwen.ai/v1');
    assert.equal(qwenOAuthBaseUrl('http://127.0.0.1:8080'), 'http://127.0.0.1:8080/v1');
  });
});
