/**
 * The openai-responses adapter against a loopback Responses API, through the
 * real openai SDK: model/test, the model list and streamed chat turns.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { adapterFor, type ChatDelta, listRemoteModels, probeModel, type ResolvedModel } from '../../src/providers/index.js';
import { type ResponsesProvider, startResponsesProvider, textEvents } from '../peers/responses-provider.js';

const GOOD_KEY = 'sk-responses-good-key-0001';
const BAD_KEY = 'sk-responses-wrong-key-9999';

describe('openai-responses adapter', () => {
  let peer: ResponsesProvider;
  before(async () => {
    peer = await startResponsesProvider({ keys: [GOOD_KEY] });
  });
  after(() => peer.close());
  beforeEach(() => {
    peer.requests.length = 0;
    peer.setScript(undefined);
  });

  const model = (over: Partial<ResolvedModel> = {}): ResolvedModel => ({
    authType: 'openai-responses',
    id: 'gpt-5-mini',
    baseUrl: peer.url,
    apiKey: GOOD_KEY,
    envKey: 'OPENAI_API_KEY',
    maxRetries: 0,
    ...over,
  });

  const turn = (m: ResolvedModel, signal?: AbortSignal) => {
    const deltas: ChatDelta[] = [];
    const done = adapterFor('openai-responses').streamChat!(
      m,
      { system: 'Be brief.', messages: [{ role: 'user', text: 'Hi' }, { role: 'assistant', text: 'Hello' }, { role: 'user', text: 'Ping?' }] },
      { fetch, onDelta: (d) => deltas.push(d), ...(signal ? { signal } : {}) },
    );
    return { deltas, done };
  };

  it('model/test sends one Responses request with the smallest output the API accepts', async () => {
    const r = await probeModel(model(), { fetch });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(peer.requests.length, 1);
    const req = peer.requests[0]!;
    assert.equal(req.path, '/v1/responses');
    assert.equal(req.apiKey, GOOD_KEY);
    assert.equal(req.body['model'], 'gpt-5-mini');
    assert.equal(req.body['input'], 'ping');
    assert.equal(req.body['max_output_tokens'], 16);
    assert.equal(req.body['store'], false);
  });

  it('a rejected key is unauthorized, and the key is not in the message', async () => {
    const r = await probeModel(model({ apiKey: BAD_KEY }), { fetch });
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'unauthorized');
    assert.equal(r.error?.status, 401);
    assert.match(r.error!.message, /check OPENAI_API_KEY/);
    assert.ok(!r.error!.message.includes(BAD_KEY), r.error!.message);
  });

  it('an unknown model is model_not_found', async () => {
    const r = await probeModel(model({ id: 'gpt-nope' }), { fetch });
    assert.equal(r.error?.code, 'model_not_found');
    assert.match(r.error!.message, /does not know model gpt-nope/);
  });

  it('a base URL without /v1 gets one, as Qwen Code sends it', async () => {
    const r = await probeModel(model({ baseUrl: peer.origin }), { fetch });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(peer.requests[0]!.path, '/v1/responses');
  });

  it('the default base URL is OpenAI', async () => {
    const seen: string[] = [];
    const f: typeof fetch = async (input) => {
      seen.push(String(input instanceof Request ? input.url : input));
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('offline'), { code: 'ENOTFOUND' }) });
    };
    const { baseUrl: _none, ...rest } = model();
    const r = await probeModel(rest, { fetch: f });
    assert.equal(seen[0], 'https://api.openai.com/v1/responses');
    assert.equal(r.error?.code, 'network');
  });

  it('lists the models of the endpoint', async () => {
    const { id: _id, ...target } = model();
    const list = await listRemoteModels(target, { fetch });
    assert.deepEqual(list.map((m) => m.id), ['gpt-5-mini', 'o4-mini']);
  });

  it('streams a turn: text and reasoning summary deltas in order, usage with reasoning and cached tokens', async () => {
    peer.setScript(() => ({ events: textEvents('gpt-5-mini', ['Po', 'ng', '!'], { reasoning: ['Think', 'ing'] }) }));
    const { deltas, done } = turn(model());
    const r = await done;
    assert.equal(r.stopReason, 'end', JSON.stringify(r));
    assert.equal(r.text, 'Pong!');
    assert.equal(r.thinking, 'Thinking');
    assert.deepEqual(deltas, [
      { kind: 'thinking', delta: 'Think' },
      { kind: 'thinking', delta: 'ing' },
      { kind: 'text', delta: 'Po' },
      { kind: 'text', delta: 'ng' },
      { kind: 'text', delta: '!' },
    ]);
    assert.deepEqual(r.usage, { inputTokens: 12, outputTokens: 9, reasoningTokens: 3, cachedTokens: 4 });
    assert.equal(r.rateLimit?.remainingRequests, 99);
    const body = peer.requests[0]!.body;
    assert.equal(body['stream'], true);
    assert.equal(body['store'], false);
    assert.equal(body['instructions'], 'Be brief.');
    assert.deepEqual(body['input'], [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'Ping?' },
    ]);
  });

  it('sampling params and enable_thinking are sent in the Responses spelling', async () => {
    const r = await turn(model({ samplingParams: { temperature: 0.2, top_p: 0.9, max_tokens: 64 }, extraBody: { enable_thinking: true, top_k: 5 } })).done;
    assert.equal(r.stopReason, 'end', JSON.stringify(r));
    const body = peer.requests[0]!.body;
    assert.equal(body['temperature'], 0.2);
    assert.equal(body['top_p'], 0.9);
    assert.equal(body['max_output_tokens'], 64);
    assert.equal(body['max_tokens'], undefined);
    assert.equal(body['enable_thinking'], undefined);
    assert.deepEqual(body['reasoning'], { effort: 'medium', summary: 'auto' });
    assert.equal(body['top_k'], 5);
  });

  it('an answer cut at max_output_tokens ends with length', async () => {
    peer.setScript(() => ({
      events: textEvents('gpt-5-mini', ['Half'], {
        final: {
          type: 'response.incomplete',
          response: { id: 'resp_x', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: { input_tokens: 5, output_tokens: 16 } },
        },
      }),
    }));
    const r = await turn(model()).done;
    assert.equal(r.stopReason, 'length');
    assert.equal(r.text, 'Half');
    assert.deepEqual(r.usage, { inputTokens: 5, outputTokens: 16 });
  });

  it('an error event ends the turn with error, keeping the text so far and the provider\'s words', async () => {
    const events = textEvents('gpt-5-mini', ['Part', 'ial']).slice(0, 6);
    events.push({ type: 'error', code: 'rate_limit_exceeded', message: 'Rate limit reached for gpt-5-mini', param: null });
    peer.setScript(() => ({ events }));
    const r = await turn(model()).done;
    assert.equal(r.stopReason, 'error', JSON.stringify(r));
    assert.equal(r.text, 'Partial');
    assert.equal(r.error?.code, 'rate_limited');
    assert.match(r.error!.message, /Rate limit reached for gpt-5-mini/);
  });

  it('a failed response ends the turn with error', async () => {
    peer.setScript(() => ({
      events: textEvents('gpt-5-mini', ['A'], {
        final: { type: 'response.failed', response: { id: 'resp_x', status: 'failed', error: { code: 'server_error', message: 'The model crashed.' } } },
      }),
    }));
    const r = await turn(model()).done;
    assert.equal(r.stopReason, 'error');
    assert.equal(r.text, 'A');
    assert.match(r.error!.message, /The model crashed\./);
  });

  it('an abort ends the turn as cancelled, with the partial text', async () => {
    // Stop after the first text delta, and hang.
    const events = textEvents('gpt-5-mini', ['Par', 'tial']);
    const first = events.findIndex((e) => e['type'] === 'response.output_text.delta');
    peer.setScript(() => ({ events, hangAfter: first + 1 }));
    const ac = new AbortController();
    const { deltas, done } = turn(model(), ac.signal);
    const deadline = Date.now() + 5000;
    while (deltas.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    const r = await done;
    assert.equal(r.stopReason, 'cancelled');
    assert.equal(r.text, 'Par');
  });

  it('a 401 on a turn is an error with the key scrubbed', async () => {
    const r = await turn(model({ apiKey: BAD_KEY })).done;
    assert.equal(r.stopReason, 'error');
    assert.equal(r.error?.code, 'unauthorized');
    assert.ok(!r.error!.message.includes(BAD_KEY));
  });
});
