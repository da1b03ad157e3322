import type OpenAI from 'openai';
import * as z from 'zod/mini';
import type { CallOptions, ListOptions, ProbeResult, ProviderAdapter, ProviderTarget, RemoteModel, ResolvedModel } from './types.js';
import { openAIBaseUrl, retriesOf, stderrLogger, timeoutOf } from './util.js';
import { listing, probing } from './shared.js';

async function client(t: ProviderTarget, opts: CallOptions): Promise<OpenAI> {
  const { default: OpenAIClient } = await import('openai');
  return new OpenAIClient({
    apiKey: t.apiKey,
    baseURL: openAIBaseUrl(t),
    timeout: timeoutOf(t),
    maxRetries: retriesOf(t),
    ...(t.customHeaders ? { defaultHeaders: t.customHeaders } : {}),
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

export const openaiAdapter: ProviderAdapter = {
  probe(m: ResolvedModel, opts: CallOptions): Promise<ProbeResult> {
    return probing(m, openAIBaseUrl(m), opts, () => client(m, opts), async (c) => {
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
      const c = await client(t, opts);
      const out: RemoteModel[] = [];
      for await (const item of c.models.list({ signal: opts.signal })) {
        const parsed = ModelItem.safeParse(item);
        if (parsed.success) out.push({ id: parsed.data.id });
        if (out.length >= limit) break;
      }
      return out;
    });
  },
};
