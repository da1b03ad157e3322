import type Anthropic from '@anthropic-ai/sdk';
import * as z from 'zod/mini';
import { listing, probing } from './shared.js';
import { defined, numberParam, streamingTurn } from './stream-turn.js';
import type {
  CallOptions,
  ChatRequest,
  ChatTurnResult,
  ListOptions,
  ProbeResult,
  ProviderAdapter,
  ProviderTarget,
  RemoteModel,
  ResolvedModel,
  StreamOptions,
} from './types.js';
import { anthropicBaseUrl, retriesOf, stderrLogger, timeoutOf } from './util.js';

async function client(t: ProviderTarget, opts: CallOptions): Promise<Anthropic> {
  const { default: AnthropicClient } = await import('@anthropic-ai/sdk');
  return new AnthropicClient({
    apiKey: t.apiKey,
    // Without an explicit null the SDK adds ANTHROPIC_AUTH_TOKEN from the environment
    // as a bearer token: a second credential sent to whatever baseUrl is configured.
    authToken: null,
    baseURL: anthropicBaseUrl(t),
    timeout: timeoutOf(t),
    maxRetries: retriesOf(t),
    ...(t.customHeaders ? { defaultHeaders: t.customHeaders } : {}),
    fetch: opts.fetch,
    logLevel: 'warn',
    logger: stderrLogger,
  });
}

const ModelItem = z.looseObject({ id: z.string().check(z.minLength(1)), display_name: z.optional(z.string()) });

/** Without samplingParams.max_tokens (the Messages API requires a budget). */
const DEFAULT_MAX_TOKENS = 8192;

const Count = z.nullish(z.number());
const Usage = z.nullish(
  z.looseObject({ input_tokens: Count, output_tokens: Count, cache_read_input_tokens: Count, cache_creation_input_tokens: Count }),
);
/** The stream events a turn reads; the rest (ping, content_block_start/stop, signatures) pass by. */
const Event = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('message_start'), message: z.looseObject({ usage: Usage }) }),
  z.looseObject({
    type: z.literal('content_block_delta'),
    delta: z.looseObject({ type: z.string(), text: z.optional(z.string()), thinking: z.optional(z.string()) }),
  }),
  z.looseObject({ type: z.literal('message_delta'), delta: z.looseObject({ stop_reason: z.nullish(z.string()) }), usage: Usage }),
]);

/** A streamed Messages API turn; thinking blocks stream as thinking deltas. */
function streamChat(m: ResolvedModel, req: ChatRequest, opts: StreamOptions): Promise<ChatTurnResult> {
  return streamingTurn(m, anthropicBaseUrl(m), opts, async (io) => {
    const c = await client(m, { ...opts, fetch: io.fetch });
    const sp = m.samplingParams;
    const budget = m.thinkingBudget;
    const thinking = budget !== undefined && budget >= 1024 ? { type: 'enabled' as const, budget_tokens: budget } : undefined;
    const maxTokens = numberParam(sp, 'max_tokens') ?? (thinking ? thinking.budget_tokens + DEFAULT_MAX_TOKENS : DEFAULT_MAX_TOKENS);
    const stream = await c.messages.create(
      {
        model: m.id,
        max_tokens: Math.max(maxTokens, thinking ? thinking.budget_tokens + 1 : 1),
        ...(req.system ? { system: req.system } : {}),
        messages: req.messages.map((x) => ({ role: x.role, content: x.text })),
        // Extended thinking accepts no temperature other than 1, nor top_k.
        ...defined(thinking ? {} : { temperature: numberParam(sp, 'temperature'), top_k: numberParam(sp, 'top_k') }),
        ...defined({ top_p: numberParam(sp, 'top_p') }),
        ...(thinking ? { thinking } : {}),
        stream: true,
      },
      { signal: opts.signal },
    );
    let input = 0;
    let cached: number | undefined;
    for await (const raw of stream) {
      const ev = Event.safeParse(raw);
      if (!ev.success) continue;
      const e = ev.data;
      if (e.type === 'message_start') {
        const u = e.message.usage;
        // Anthropic counts cached input apart from input_tokens; the turn's input is all of it.
        cached = u?.cache_read_input_tokens ?? undefined;
        input = (u?.input_tokens ?? 0) + (cached ?? 0) + (u?.cache_creation_input_tokens ?? 0);
        io.usage({ inputTokens: input, outputTokens: u?.output_tokens ?? 0, ...(cached !== undefined ? { cachedTokens: cached } : {}) });
      } else if (e.type === 'content_block_delta') {
        if (e.delta.type === 'text_delta' && e.delta.text) io.text(e.delta.text);
        else if (e.delta.type === 'thinking_delta' && e.delta.thinking) io.thinking(e.delta.thinking);
      } else {
        if (e.delta.stop_reason) io.stop(e.delta.stop_reason === 'max_tokens' ? 'length' : 'end');
        const out = e.usage?.output_tokens;
        if (typeof out === 'number') io.usage({ inputTokens: input, outputTokens: out, ...(cached !== undefined ? { cachedTokens: cached } : {}) });
      }
    }
  });
}

export const anthropicAdapter: ProviderAdapter = {
  streamChat,

  probe(m: ResolvedModel, opts: CallOptions): Promise<ProbeResult> {
    return probing(m, anthropicBaseUrl(m), opts, () => client(m, opts), (c) =>
      c.messages.create({ model: m.id, max_tokens: 1, messages: [{ role: 'user', content: 'ping' }] }, { signal: opts.signal }),
    );
  },

  listModels(t: ProviderTarget, opts: ListOptions): Promise<RemoteModel[]> {
    return listing(t, anthropicBaseUrl(t), opts, async (limit) => {
      const c = await client(t, opts);
      const out: RemoteModel[] = [];
      for await (const item of c.models.list({ limit: Math.min(limit, 1000) }, { signal: opts.signal })) {
        const parsed = ModelItem.safeParse(item);
        if (parsed.success) {
          out.push({ id: parsed.data.id, ...(parsed.data.display_name ? { name: parsed.data.display_name } : {}) });
        }
        if (out.length >= limit) break;
      }
      return out;
    });
  },
};
