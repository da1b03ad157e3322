import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeError } from '../../src/providers/index.js';
import type { ErrorContext } from '../../src/providers/errors.js';
import { anthropicBaseUrl, googleBaseUrl, hostOf, isLoopbackHost, openAIBaseUrl } from '../../src/providers/util.js';

const KEY = 'sk-unit-0123456789abcdefghij';
const ctx = (over: Partial<ErrorContext> = {}): ErrorContext => ({
  authType: 'openai',
  model: 'm1',
  apiKey: KEY,
  envKey: 'DASHSCOPE_API_KEY',
  baseUrl: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
  timeoutMs: 120_000,
  env: {},
  ...over,
});

function networkError(code: string): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) });
}

describe('describeError', () => {
  it('scrubs the key from whatever the provider said', () => {
    const err = Object.assign(new Error(`401 bad key ${KEY}`), { status: 401, error: { message: `key ${KEY} is wrong`, code: 'invalid_api_key' } });
    const e = describeError(err, ctx());
    assert.equal(e.code, 'unauthorized');
    assert.match(e.message, /^the provider rejected the key \(HTTP 401\): check DASHSCOPE_API_KEY\./);
    assert.ok(!e.message.includes(KEY));
    assert.match(e.message, /sk-…ghij/);
  });

  it("says 'the key' when no variable is known", () => {
    const e = describeError(Object.assign(new Error('403'), { status: 403 }), ctx({ envKey: undefined }));
    assert.match(e.message, /check the key\./);
  });

  it('reads a genai error, whose message is the JSON body', () => {
    const body = { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_INVALID' }] } };
    const e = describeError(Object.assign(new Error(JSON.stringify(body)), { status: 400 }), ctx({ authType: 'gemini' }));
    assert.equal(e.code, 'unauthorized');
    assert.equal(e.status, 400);
    assert.match(e.message, /The provider said: API key not valid/);
  });

  it('reads an Anthropic error body', () => {
    const err = Object.assign(new Error('404 {...}'), { status: 404, error: { type: 'error', error: { type: 'not_found_error', message: 'model: m1' } } });
    const e = describeError(err, ctx({ authType: 'anthropic' }));
    assert.equal(e.code, 'model_not_found');
    assert.match(e.message, /^the provider does not know model m1 \(HTTP 404\)/);
    assert.match(e.message, /model: m1$/);
  });

  it('a 400 model_not_found from a compatible endpoint is model_not_found', () => {
    const err = Object.assign(new Error('400'), { status: 400, error: { message: 'Model not exist.', code: 'model_not_found' } });
    assert.equal(describeError(err, ctx()).code, 'model_not_found');
  });

  it('a 404 while listing blames the base URL, not a model', () => {
    const e = describeError(Object.assign(new Error('404'), { status: 404 }), ctx({ model: undefined }));
    assert.match(e.message, /dashscope\.aliyuncs\.com has no model list/);
  });

  it('other statuses', () => {
    const code = (status: number) => describeError(Object.assign(new Error(String(status)), { status }), ctx()).code;
    assert.equal(code(429), 'rate_limited');
    assert.equal(code(500), 'provider_unavailable');
    assert.equal(code(529), 'provider_unavailable');
    assert.equal(code(408), 'timeout');
    assert.equal(code(400), 'bad_request');
    assert.equal(code(402), 'provider_error');
  });

  it('timeouts from each SDK', () => {
    class APIConnectionTimeoutError extends Error {}
    const abort = new DOMException('This operation was aborted', 'AbortError');
    for (const err of [new APIConnectionTimeoutError('Request timed out.'), abort]) {
      const e = describeError(err, ctx({ timeoutMs: 1500 }));
      assert.equal(e.code, 'timeout');
      assert.match(e.message, /^no answer within 1\.5 s from dashscope\.aliyuncs\.com/);
    }
  });

  it("an abort by the caller's signal is cancelled", () => {
    const ac = new AbortController();
    ac.abort();
    assert.equal(describeError(new DOMException('aborted', 'AbortError'), ctx({ signal: ac.signal })).code, 'cancelled');
  });

  it('suggests HTTPS_PROXY for a remote host when no proxy is set', () => {
    const e = describeError(networkError('ENOTFOUND'), ctx());
    assert.equal(e.code, 'network');
    assert.match(e.message, /could not resolve the host dashscope\.aliyuncs\.com \(ENOTFOUND\)/);
    assert.match(e.message, /If you are behind a proxy, set HTTPS_PROXY/);
  });

  it('names the proxy variable, never its value, when one is set', () => {
    const e = describeError(networkError('ECONNREFUSED'), ctx({ env: { https_proxy: 'http://user:hunter2@proxy.corp:3128' } }));
    assert.match(e.message, /the proxy set in https_proxy/);
    assert.ok(!e.message.includes('hunter2'));
    assert.ok(!e.message.includes('proxy.corp'));
  });

  it('no proxy advice for loopback hosts', () => {
    const e = describeError(networkError('ECONNREFUSED'), ctx({ baseUrl: 'http://localhost:11434/v1' }));
    assert.match(e.message, /could not connect to localhost:11434/);
    assert.doesNotMatch(e.message, /PROXY/);
  });

  it('points at NODE_EXTRA_CA_CERTS for an untrusted certificate', () => {
    const e = describeError(networkError('SELF_SIGNED_CERT_IN_CHAIN'), ctx());
    assert.equal(e.code, 'network');
    assert.match(e.message, /NODE_EXTRA_CA_CERTS/);
  });

  it('finds the code inside an AggregateError (several addresses tried)', () => {
    const agg = Object.assign(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], 'all failed'), {});
    const e = describeError(new TypeError('fetch failed', { cause: agg }), ctx());
    assert.match(e.message, /ECONNREFUSED/);
  });

  it('anything else is internal, still scrubbed', () => {
    const e = describeError(new Error(`weird ${KEY}`), ctx());
    assert.equal(e.code, 'internal');
    assert.ok(!e.message.includes(KEY));
  });
});

describe('base URLs', () => {
  it('openai keeps the path, drops trailing slashes, and defaults to OpenAI', () => {
    assert.equal(openAIBaseUrl({ authType: 'openai', apiKey: 'k' }), 'https://api.openai.com/v1');
    assert.equal(openAIBaseUrl({ authType: 'openai', apiKey: 'k', baseUrl: 'https://api.deepseek.com/' }), 'https://api.deepseek.com');
  });

  it('anthropic drops a trailing /v1', () => {
    assert.equal(anthropicBaseUrl({ authType: 'anthropic', apiKey: 'k' }), 'https://api.anthropic.com');
    assert.equal(anthropicBaseUrl({ authType: 'anthropic', apiKey: 'k', baseUrl: 'https://x.test/api/v1/' }), 'https://x.test/api');
  });

  it('google splits a trailing API version off', () => {
    assert.deepEqual(googleBaseUrl({ authType: 'gemini', apiKey: 'k' }), { baseUrl: 'https://generativelanguage.googleapis.com' });
    assert.deepEqual(googleBaseUrl({ authType: 'vertex-ai', apiKey: 'k' }), { baseUrl: 'https://aiplatform.googleapis.com' });
    assert.deepEqual(googleBaseUrl({ authType: 'vertex-ai', apiKey: 'k', baseUrl: 'https://gw.test/vertex/v1beta1' }), {
      baseUrl: 'https://gw.test/vertex',
      apiVersion: 'v1beta1',
    });
  });

  it('hosts', () => {
    assert.equal(hostOf('https://user:pw@h.test:8443/v1'), 'h.test:8443');
    assert.ok(isLoopbackHost('127.0.0.1:80'));
    assert.ok(isLoopbackHost('[::1]:80'));
    assert.ok(isLoopbackHost('localhost'));
    assert.ok(!isLoopbackHost('api.openai.com'));
  });
});
