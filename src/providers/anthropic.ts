import type Anthropic from '@anthropic-ai/sdk';
import * as z from 'zod/mini';
import { listing, probing } from './shared.js';
import type { CallOptions, ListOptions, ProbeResult, ProviderAdapter, ProviderTarget, RemoteModel, ResolvedModel } from './types.js';
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

export const anthropicAdapter: ProviderAdapter = {
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
