import type { GoogleGenAI } from '@google/genai';
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
import { googleBaseUrl, retriesOf, sleep, timeoutOf, withStdoutQuiet } from './util.js';

async function client(t: ProviderTarget, opts: CallOptions): Promise<GoogleGenAI> {
  const { GoogleGenAI: Client } = await import('@google/genai');
  const { baseUrl, apiVersion } = googleBaseUrl(t);
  // The constructor may console.debug (stdout) about GOOGLE_CLOUD_PROJECT being overridden.
  return withStdoutQuiet(
    () =>
      new Client({
        // Explicit, so that GOOGLE_GENAI_USE_VERTEXAI / _ENTERPRISE in the environment
        // cannot switch the backend under a model configured for the other one.
        vertexai: t.authType === 'vertex-ai',
        apiKey: t.apiKey,
        httpOptions: {
          // Always explicit: otherwise GOOGLE_GEMINI_BASE_URL / GOOGLE_VERTEX_BASE_URL
          // would silently redirect requests, and the key with them.
          baseUrl,
          ...(apiVersion ? { apiVersion } : {}),
          ...(t.customHeaders ? { headers: t.customHeaders } : {}),
          timeout: timeoutOf(t),
          // Also keeps genai from adding its own undici dispatcher, past the proxy.
          fetch: opts.fetch,
        },
      }),
  );
}

function statusOf(err: unknown): number | undefined {
  const s = typeof err === 'object' && err !== null ? (err as { status?: unknown }).status : undefined;
  return typeof s === 'number' ? s : undefined;
}

/**
 * The openai and anthropic SDKs retry by themselves; for genai we do it here so
 * that `maxRetries` means the same thing for every provider (genai's own
 * `retryOptions` retries every error, timeouts included, and waits 1 s at least).
 * Same schedule as the other SDKs: 0.5 s doubling up to 8 s, minus up to 25 % jitter.
 */
async function withRetries<T>(maxRetries: number, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const status = statusOf(err);
      const retryable = status === 408 || status === 429 || (status !== undefined && status >= 500);
      if (!retryable || attempt >= maxRetries || signal?.aborted) throw err;
      const delay = Math.min(500 * 2 ** attempt, 8000) * (1 - Math.random() * 0.25);
      await sleep(delay, signal);
    }
  }
}

const ModelItem = z.looseObject({
  name: z.string().check(z.minLength(1)),
  displayName: z.optional(z.string()),
  description: z.optional(z.string()),
  supportedActions: z.optional(z.array(z.string())),
});

const Count = z.nullish(z.number());
/** One chunk of generateContentStream, as far as a turn reads it. */
const StreamChunk = z.looseObject({
  candidates: z.nullish(
    z.array(
      z.looseObject({
        content: z.nullish(z.looseObject({ parts: z.nullish(z.array(z.looseObject({ text: z.nullish(z.string()), thought: z.nullish(z.boolean()) }))) })),
        finishReason: z.nullish(z.string()),
      }),
    ),
  ),
  usageMetadata: z.nullish(
    z.looseObject({ promptTokenCount: Count, candidatesTokenCount: Count, thoughtsTokenCount: Count, cachedContentTokenCount: Count }),
  ),
});

/** Gemini 2.5 and later think, and show their thoughts only when asked. */
function thinks(id: string): boolean {
  return /gemini-(2\.5|[3-9])/.test(id);
}

/** A streamed generateContent turn (Gemini and Vertex AI); thought parts stream as thinking deltas. */
function streamChat(m: ResolvedModel, req: ChatRequest, opts: StreamOptions): Promise<ChatTurnResult> {
  return streamingTurn(m, googleBaseUrl(m).baseUrl, opts, async (io) => {
    const c = await client(m, { ...opts, fetch: io.fetch });
    const sp = m.samplingParams;
    const showThoughts = m.thinkingBudget !== undefined || thinks(m.id);
    const config = {
      ...(req.system ? { systemInstruction: req.system } : {}),
      ...defined({
        temperature: numberParam(sp, 'temperature'),
        topP: numberParam(sp, 'top_p'),
        topK: numberParam(sp, 'top_k'),
        maxOutputTokens: numberParam(sp, 'max_tokens'),
      }),
      ...(showThoughts ? { thinkingConfig: { includeThoughts: true, ...defined({ thinkingBudget: m.thinkingBudget }) } } : {}),
      ...(opts.signal ? { abortSignal: opts.signal } : {}),
    };
    const contents = req.messages.map((x) => ({ role: x.role === 'assistant' ? 'model' : 'user', parts: [{ text: x.text }] }));
    const stream = await withRetries(retriesOf(m), opts.signal, () => c.models.generateContentStream({ model: m.id, contents, config }));
    for await (const raw of stream) {
      const chunk = StreamChunk.safeParse(raw);
      if (!chunk.success) continue;
      for (const cand of (chunk.data.candidates ?? []).slice(0, 1)) {
        for (const part of cand.content?.parts ?? []) {
          if (!part.text) continue;
          if (part.thought) io.thinking(part.text);
          else io.text(part.text);
        }
        if (cand.finishReason) io.stop(cand.finishReason === 'MAX_TOKENS' ? 'length' : 'end');
      }
      const u = chunk.data.usageMetadata;
      if (u) {
        io.usage({
          inputTokens: u.promptTokenCount ?? 0,
          outputTokens: u.candidatesTokenCount ?? 0,
          ...(typeof u.thoughtsTokenCount === 'number' ? { reasoningTokens: u.thoughtsTokenCount } : {}),
          ...(typeof u.cachedContentTokenCount === 'number' ? { cachedTokens: u.cachedContentTokenCount } : {}),
        });
      }
    }
  });
}

/** `models/gemini-2.5-pro` (Gemini) or `publishers/google/models/gemini-2.5-pro` (Vertex) → the id a model config uses. */
function modelId(name: string): string {
  const i = name.lastIndexOf('models/');
  return i >= 0 ? name.slice(i + 'models/'.length) : name;
}

export const googleAdapter: ProviderAdapter = {
  streamChat,

  probe(m: ResolvedModel, opts: CallOptions): Promise<ProbeResult> {
    return probing(m, googleBaseUrl(m).baseUrl, opts, () => client(m, opts), (c) =>
      withRetries(retriesOf(m), opts.signal, () =>
        c.models.generateContent({
          model: m.id,
          contents: 'ping',
          config: { maxOutputTokens: 1, ...(opts.signal ? { abortSignal: opts.signal } : {}) },
        }),
      ),
    );
  },

  listModels(t: ProviderTarget, opts: ListOptions): Promise<RemoteModel[]> {
    const retries = retriesOf(t);
    return listing(t, googleBaseUrl(t).baseUrl, opts, async (limit) => {
      const c = await client(t, opts);
      const config = { pageSize: Math.min(limit, 1000), ...(opts.signal ? { abortSignal: opts.signal } : {}) };
      const pager = await withRetries(retries, opts.signal, () => c.models.list({ config }));
      const out: RemoteModel[] = [];
      let page = pager.page;
      for (;;) {
        for (const item of page) {
          const parsed = ModelItem.safeParse(item);
          if (!parsed.success) continue;
          const d = parsed.data;
          // Gemini lists embedding and other models too; keep what can answer a chat.
          if (d.supportedActions && !d.supportedActions.includes('generateContent')) continue;
          out.push({
            id: modelId(d.name),
            ...(d.displayName ? { name: d.displayName } : {}),
            ...(d.description ? { description: d.description } : {}),
          });
          if (out.length >= limit) return out;
        }
        if (!pager.hasNextPage()) return out;
        page = await withRetries(retries, opts.signal, () => pager.nextPage());
      }
    });
  },
};
