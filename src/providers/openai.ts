import type OpenAI from 'openai';
import * as z from 'zod/mini';
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
import { openAIBaseUrl, retriesOf, stderrLogger, timeoutOf } from './util.js';
import { listing, probing } from './shared.js';
import { streamingTurn } from './stream-turn.js';

/** Qwen Code sends the OAuth token with `X-DashScope-AuthType: qwen-oauth` (dashscope.ts buildHeaders); customHeaders win. */
function headersOf(t: ProviderTarget): Record<string, string> | undefined {
  if (t.authType !== 'qwen-oauth') return t.customHeaders;
  return { 'X-DashScope-AuthType': 'qwen-oauth', ...(t.customHeaders ?? {}) };
}

/** The openai SDK's client for `t`, at `baseURL` (the Responses wire has its own: openai-responses.ts). */
export async function openaiClient(t: ProviderTarget, opts: CallOptions, baseURL = openAIBaseUrl(t)): Promise<OpenAI> {
  const { default: OpenAIClient } = await import('openai');
  return new OpenAIClient({
    apiKey: t.apiKey,
    baseURL,
    timeout: timeoutOf(t),
    maxRetries: retriesOf(t),
    ...(headersOf(t) ? { defaultHeaders: headersOf(t) } : {}),
    fetch: opts.fetch,
    // An explicit level and logger: OPENAI_LOG=debug would otherwise print on stdout.
    logLevel: 'warn',
    logger: stderrLogger,
  });
}

function wantsMaxCompletionTokens(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { status?: unknown; param?: unknown; message?: unknown };
  return e.status === 400 && (e.param === 'max_tokens' || (typeof e.message === 'string' && e.message.includes('max_completion_tokens')));
}

const ModelItem = z.looseObject({ id: z.string().check(z.minLength(1)), owned_by: z.optional(z.string()) });

/** GET /models, page after page, up to `limit` ids. */
export async function modelIds(c: OpenAI, opts: ListOptions, limit: number): Promise<RemoteModel[]> {
  const out: RemoteModel[] = [];
  for await (const item of c.models.list({ signal: opts.signal })) {
    const parsed = ModelItem.safeParse(item);
    if (parsed.success) out.push({ id: parsed.data.id });
    if (out.length >= limit) break;
  }
  return out;
}

const Count = z.nullish(z.number());
/** One chunk of a streamed chat completion, as far as a turn reads it. */
const Chunk = z.looseObject({
  choices: z.nullish(
    z.array(
      z.looseObject({
        delta: z.nullish(
          z.looseObject({
            content: z.nullish(z.string()),
            // DashScope / Qwen (enable_thinking), DeepSeek, vLLM: the thinking as its own field.
            reasoning_content: z.nullish(z.string()),
            // OpenRouter and some gateways.
            reasoning: z.nullish(z.string()),
          }),
        ),
        finish_reason: z.nullish(z.string()),
      }),
    ),
  ),
  usage: z.nullish(
    z.looseObject({
      prompt_tokens: Count,
      completion_tokens: Count,
      completion_tokens_details: z.nullish(z.looseObject({ reasoning_tokens: Count })),
      prompt_tokens_details: z.nullish(z.looseObject({ cached_tokens: Count })),
    }),
  ),
});

function chatMessages(req: ChatRequest): { role: 'system' | 'user' | 'assistant'; content: string }[] {
  return [...(req.system ? [{ role: 'system' as const, content: req.system }] : []), ...req.messages.map((x) => ({ role: x.role, content: x.text }))];
}

/** A streamed chat completion (OpenAI, every compatible endpoint and preset, and coder-model with the OAuth token). */
function streamChat(m: ResolvedModel, req: ChatRequest, opts: StreamOptions): Promise<ChatTurnResult> {
  return streamingTurn(m, openAIBaseUrl(m), opts, async (io) => {
    const c = await openaiClient(m, { ...opts, fetch: io.fetch });
    // As Qwen Code builds it: extra_body and samplingParams first, so neither can change the model, the messages or streaming.
    const body = {
      ...(m.extraBody ?? {}),
      ...(m.samplingParams ?? {}),
      model: m.id,
      messages: chatMessages(req),
      stream: true as const,
      stream_options: { include_usage: true },
    };
    const stream = await c.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsStreaming, { signal: opts.signal });
    for await (const raw of stream) {
      const chunk = Chunk.safeParse(raw);
      if (!chunk.success) continue;
      for (const choice of chunk.data.choices ?? []) {
        const d = choice.delta;
        if (d?.reasoning_content) io.thinking(d.reasoning_content);
        else if (d?.reasoning) io.thinking(d.reasoning);
        if (d?.content) io.text(d.content);
        if (choice.finish_reason) io.stop(choice.finish_reason === 'length' ? 'length' : 'end');
      }
      const u = chunk.data.usage;
      if (u) {
        const reasoning = u.completion_tokens_details?.reasoning_tokens;
        const cached = u.prompt_tokens_details?.cached_tokens;
        io.usage({
          inputTokens: u.prompt_tokens ?? 0,
          outputTokens: u.completion_tokens ?? 0,
          ...(typeof reasoning === 'number' ? { reasoningTokens: reasoning } : {}),
          ...(typeof cached === 'number' ? { cachedTokens: cached } : {}),
        });
      }
    }
  });
}

export const openaiAdapter: ProviderAdapter = {
  streamChat,

  probe(m: ResolvedModel, opts: CallOptions): Promise<ProbeResult> {
    return probing(m, openAIBaseUrl(m), opts, () => openaiClient(m, opts), async (c) => {
      // extra_body goes first so that it cannot change the model, the prompt or the budget.
      const extra = m.extraBody ?? {};
      // DashScope refuses `enable_thinking: true` on non-streaming calls, and Qwen Code
      // always streams: stream then, and stop at the first chunk, which proves as much.
      const streaming = extra['enable_thinking'] === true || extra['stream'] === true;
      const send = async (budget: { max_tokens: number } | { max_completion_tokens: number }) => {
        const base = { ...extra, model: m.id, messages: [{ role: 'user' as const, content: 'ping' }], ...budget };
        if (streaming) {
          const stream = await c.chat.completions.create({ ...base, stream: true }, { signal: opts.signal });
          for await (const _chunk of stream) break;
        } else {
          await c.chat.completions.create({ ...base, stream: false }, { signal: opts.signal });
        }
      };
      // `max_tokens` first: every compatible endpoint (DashScope, Coding Plan, vLLM, …)
      // knows it. OpenAI's reasoning models refuse it with a 400 naming
      // `max_completion_tokens`; only then ask again with that name.
      try {
        await send({ max_tokens: 1 });
      } catch (err) {
        if (!wantsMaxCompletionTokens(err)) throw err;
        await send({ max_completion_tokens: 1 });
      }
    });
  },

  listModels(t: ProviderTarget, opts: ListOptions): Promise<RemoteModel[]> {
    return listing(t, openAIBaseUrl(t), opts, async (limit) => {
      return modelIds(await openaiClient(t, opts), opts, limit);
    });
  },
};
