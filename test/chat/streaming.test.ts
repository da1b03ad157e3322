/**
 * streamChat of each adapter through its real SDK against the loopback
 * streaming peer: deltas in order, usage as reported, thinking, finish
 * reasons, rate-limit headers, errors in the middle of a stream, and an
 * abort that closes the connection and keeps the partial text.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { adapterFor, type ChatDelta, type ResolvedModel } from '../../src/providers/index.js';
import { startStreamingPeer, type StreamingPeer, type WireFormat } from '../peers/streaming-provider.js';

const KEY = 'sk-stream-test-key-0123456789';
let peer: StreamingPeer;
before(async () => {
  peer = await startStreamingPeer({ keys: [KEY] });
});
after(() => peer.close());
beforeEach(() => {
  peer.requests.length = 0;
  peer.setScript({ text: ['Hel', 'lo', ' wor', 'ld'], usage: { input: 12, output: 4 } });
});

const MODELS: Record<string, () => ResolvedModel> = {
  openai: () => ({ authType: 'openai', id: 'qwen3.5-plus', baseUrl: peer.url, apiKey: KEY, maxRetries: 0 }),
  'qwen-oauth': () => ({ authType: 'qwen-oauth', id: 'coder-model', baseUrl: peer.url, apiKey: KEY, maxRetries: 0 }),
  anthropic: () => ({ authType: 'anthropic', id: 'claude-sonnet-4-6', baseUrl: peer.origin, apiKey: KEY, maxRetries: 0 }),
  gemini: () => ({ authType: 'gemini', id: 'gemini-2.5-flash', baseUrl: peer.origin, apiKey: KEY, maxRetries: 0 }),
  'vertex-ai': () => ({ authType: 'vertex-ai', id: 'gemini-2.5-pro', baseUrl: peer.origin, apiKey: KEY, maxRetries: 0 }),
};
const FORMAT: Record<string, WireFormat> = { openai: 'openai', 'qwen-oauth': 'openai', anthropic: 'anthropic', gemini: 'gemini', 'vertex-ai': 'gemini' };

async function turn(name: string, opts: { signal?: AbortSignal; model?: Partial<ResolvedModel>; onDelta?: (d: ChatDelta) => void } = {}) {
  const m = { ...MODELS[name]!(), ...opts.model };
  const deltas: ChatDelta[] = [];
  const r = await adapterFor(m.authType).streamChat!(
    m,
    { system: 'Be brief.', messages: [{ role: 'user', text: 'hi' }, { role: 'assistant', text: 'hello' }, { role: 'user', text: 'say hello world' }] },
    {
      fetch,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onDelta: (d) => {
        deltas.push(d);
        opts.onDelta?.(d);
      },
    },
  );
  return { r, deltas };
}

for (const name of Object.keys(MODELS)) {
  describe(`streamChat: ${name}`, () => {
    it('streams the deltas in order, they add up to the text, and usage is what the provider reported', async () => {
      peer.setScript({ text: ['Hel', 'lo', ' wor', 'ld'], usage: { input: 12, output: 4, reasoning: 2, cached: 3 }, intervalMs: 5 });
      const { r, deltas } = await turn(name);
      assert.equal(r.stopReason, 'end', JSON.stringify(r));
      assert.deepEqual(deltas.map((d) => d.delta), ['Hel', 'lo', ' wor', 'ld']);
      assert.equal(r.text, 'Hello world');
      assert.equal(r.usage?.inputTokens, 12);
      assert.equal(r.usage?.outputTokens, 4);
      if (FORMAT[name] !== 'anthropic') assert.equal(r.usage?.reasoningTokens, 2);
      assert.equal(peer.requests.length, 1);
      assert.equal(peer.requests[0]!.format, FORMAT[name]);
      assert.equal(peer.requests[0]!.apiKey, KEY);
      // The history and the system prompt went with the request.
      const body = JSON.stringify(peer.requests[0]!.body);
      for (const part of ['Be brief.', 'hi', 'hello', 'say hello world']) assert.ok(body.includes(part), `${part} in ${body}`);
    });

    it('thinking streams as thinking deltas, before the text', async () => {
      peer.setScript({ thinking: ['Let me ', 'think.'], text: ['Done'], usage: { input: 1, output: 3 } });
      const { r, deltas } = await turn(name, { model: { thinkingBudget: 2048 } });
      assert.deepEqual(deltas, [
        { kind: 'thinking', delta: 'Let me ' },
        { kind: 'thinking', delta: 'think.' },
        { kind: 'text', delta: 'Done' },
      ]);
      assert.equal(r.thinking, 'Let me think.');
      assert.equal(r.text, 'Done');
    });

    it('a cut-off answer is stopReason length', async () => {
      peer.setScript({ text: ['A', 'B'], finish: 'length', usage: { input: 1, output: 2 } });
      const { r } = await turn(name);
      assert.equal(r.stopReason, 'length');
      assert.equal(r.text, 'AB');
    });

    it('an error in the middle of the stream is stopReason error, with the text so far and no key', async () => {
      peer.setScript({ text: ['par', 'tial', 'never'], errorAfter: 2 });
      const { r } = await turn(name);
      assert.equal(r.stopReason, 'error', JSON.stringify(r));
      assert.equal(r.text, 'partial');
      assert.ok(r.error && r.error.message.length > 0);
      assert.notEqual(r.error.code, 'cancelled');
      assert.ok(!JSON.stringify(r).includes(KEY));
    });

    it('a rejected key is stopReason error, unauthorized, as model/test words it', async () => {
      const { r } = await turn(name, { model: { apiKey: 'sk-wrong-key-000000000000000', envKey: 'MY_KEY' } });
      assert.equal(r.stopReason, 'error');
      assert.equal(r.error?.code, 'unauthorized');
      assert.equal(r.error?.status, 401);
      assert.ok(!JSON.stringify(r).includes('sk-wrong-key-000000000000000'));
    });

    it('generationConfig.timeout: no answer in time is stopReason error, timeout', async () => {
      peer.setScript({ text: ['late'], delayMs: 3000 });
      const started = Date.now();
      const { r } = await turn(name, { model: { timeoutMs: 300 } });
      assert.equal(r.stopReason, 'error');
      assert.equal(r.error?.code, 'timeout', JSON.stringify(r));
      assert.ok(Date.now() - started < 2500);
    });

    it('generationConfig.maxRetries: an overloaded provider is asked again', async () => {
      peer.setScript((req) => (peer.requests.indexOf(req) === 0 ? { text: [], status: 503 } : { text: ['second try'] }));
      const { r } = await turn(name, { model: { maxRetries: 1 } });
      assert.equal(r.stopReason, 'end', JSON.stringify(r));
      assert.equal(r.text, 'second try');
      assert.equal(peer.requests.length, 2);
    });

    it('an abort mid-stream closes the connection within 1 s and keeps the partial text', async () => {
      peer.setScript({ text: ['one ', 'two ', 'three'], hangAfter: 2 });
      const ac = new AbortController();
      let n = 0;
      const pending = turn(name, {
        signal: ac.signal,
        onDelta: () => {
          if (++n === 2) ac.abort();
        },
      });
      const { r } = await pending;
      const abortedAt = Date.now();
      assert.equal(r.stopReason, 'cancelled');
      assert.equal(r.text, 'one two ');
      const closedAt = await Promise.race([peer.closedPromise(0), new Promise<number>((_, rej) => setTimeout(() => rej(new Error('connection still open after 1 s')), 1000))]);
      assert.ok(closedAt - abortedAt < 1000);
      assert.equal(peer.requests[0]!.completed, false);
    });
  });
}

describe('streamChat: what the request carries', () => {
  it('openai: samplingParams, extra_body (enable_thinking), customHeaders and include_usage; they cannot change the model or messages', async () => {
    await turn('openai', {
      model: {
        samplingParams: { temperature: 0.2, top_p: 0.9, max_tokens: 77 },
        extraBody: { enable_thinking: true, model: 'other', messages: [] },
        customHeaders: { 'X-Custom': 'yes' },
      },
    });
    const req = peer.requests[0]!;
    assert.equal(req.body.temperature, 0.2);
    assert.equal(req.body.top_p, 0.9);
    assert.equal(req.body.max_tokens, 77);
    assert.equal(req.body.enable_thinking, true);
    assert.equal(req.body.model, 'qwen3.5-plus');
    assert.equal(req.body.messages.length, 4);
    assert.equal(req.body.stream, true);
    assert.deepEqual(req.body.stream_options, { include_usage: true });
    assert.equal(req.headers['x-custom'], 'yes');
  });

  it('anthropic: max_tokens and thinking budget from the config, system apart', async () => {
    await turn('anthropic', { model: { samplingParams: { max_tokens: 5000 }, thinkingBudget: 2048 } });
    const b = peer.requests[0]!.body;
    assert.equal(b.max_tokens, 5000);
    assert.deepEqual(b.thinking, { type: 'enabled', budget_tokens: 2048 });
    assert.equal(b.system, 'Be brief.');
    assert.deepEqual(b.messages.map((m: any) => m.role), ['user', 'assistant', 'user']);
  });

  it('gemini: sampling as generationConfig, thoughts asked for, the assistant as role model', async () => {
    await turn('gemini', { model: { samplingParams: { temperature: 0.5, max_tokens: 64 } } });
    const b = peer.requests[0]!.body;
    assert.equal(b.generationConfig.temperature, 0.5);
    assert.equal(b.generationConfig.maxOutputTokens, 64);
    assert.equal(b.generationConfig.thinkingConfig.includeThoughts, true);
    assert.deepEqual(b.contents.map((c: any) => c.role), ['user', 'model', 'user']);
  });

  it('rate-limit headers are reported (OpenAI and Anthropic spellings)', async () => {
    peer.setScript({
      text: ['x'],
      headers: { 'x-ratelimit-remaining-requests': '59', 'x-ratelimit-remaining-tokens': '149000', 'x-ratelimit-reset-requests': '1s' },
    });
    const before = Date.now();
    const { r } = await turn('openai');
    assert.equal(r.rateLimit?.remainingRequests, 59);
    assert.equal(r.rateLimit?.remainingTokens, 149000);
    const reset = Date.parse(r.rateLimit!.resetAt!);
    assert.ok(reset >= before + 900 && reset <= Date.now() + 1100, r.rateLimit!.resetAt);
    peer.setScript({
      text: ['x'],
      headers: { 'anthropic-ratelimit-requests-remaining': '3', 'anthropic-ratelimit-tokens-remaining': '1000', 'anthropic-ratelimit-requests-reset': '2030-01-01T00:00:00Z' },
    });
    const a = await turn('anthropic');
    assert.deepEqual(a.r.rateLimit, { remainingRequests: 3, remainingTokens: 1000, resetAt: '2030-01-01T00:00:00.000Z' });
  });

  it('no key: an error result, nothing sent', async () => {
    const { r } = await turn('openai', { model: { apiKey: '', envKey: 'NOPE_KEY' } });
    assert.equal(r.stopReason, 'error');
    assert.equal(r.error?.code, 'credential_missing');
    assert.equal(peer.requests.length, 0);
  });
});
