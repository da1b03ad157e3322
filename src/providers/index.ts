/**
 * One adapter per wire protocol behind `ProviderAdapter`. The SDKs are loaded
 * with `await import()` inside the adapters, on the first request: nothing in
 * this module graph imports them at top level (start-up time; a test checks it).
 */
import type { AuthType } from '../protocol/index.js';
import { anthropicAdapter } from './anthropic.js';
import { googleAdapter } from './google.js';
import { openaiAdapter } from './openai.js';
import { openaiResponsesAdapter } from './openai-responses.js';
import type { CallOptions, ListOptions, ProbeResult, ProviderAdapter, ProviderTarget, RemoteModel, ResolvedModel } from './types.js';
import { effectiveBaseUrl, hostOf } from './util.js';
import { scrub } from '../protocol/index.js';

export type {
  CallOptions,
  ChatDelta,
  ChatMessage,
  ChatRateLimit,
  ChatRequest,
  ChatTurnResult,
  ChatUsage,
  StreamOptions,
  ListOptions,
  ProbeError,
  ProbeErrorCode,
  ProbeResult,
  ProviderAdapter,
  ProviderTarget,
  RemoteModel,
  ResolvedModel,
} from './types.js';
export { describeError } from './errors.js';
export {
  BUILTIN_BASE_URLS,
  DEFAULT_MAX_RETRIES,
  DEFAULT_OPENAI_BASE_URL,
  DEFAULT_QWEN_OAUTH_BASE_URL,
  DEFAULT_TIMEOUT_MS,
  effectiveBaseUrl,
  qwenOAuthBaseUrl,
} from './util.js';

export function adapterFor(authType: AuthType): ProviderAdapter {
  switch (authType) {
    case 'openai':
    case 'qwen-oauth':
      return openaiAdapter;
    case 'openai-responses':
      return openaiResponsesAdapter;
    case 'anthropic':
      return anthropicAdapter;
    case 'gemini':
    case 'vertex-ai':
      return googleAdapter;
  }
}

/** `model/test`: never throws, and the key never appears in the answer. */
export async function probeModel(m: ResolvedModel, opts: CallOptions): Promise<ProbeResult> {
  try {
    return await adapterFor(m.authType).probe(m, opts);
  } catch (err) {
    // The adapters catch everything already; this guards a bug in one of them.
    const text = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      latencyMs: 0,
      error: { code: 'internal', message: scrub(`the test of ${m.id} at ${hostOf(effectiveBaseUrl(m))} failed: ${text}`, [m.apiKey]) },
    };
  }
}

/** `model/list { refresh: true }`: throws `ServerError('ProviderError')`; callers turn it into a warning. */
export function listRemoteModels(target: ProviderTarget, opts: ListOptions): Promise<RemoteModel[]> {
  return adapterFor(target.authType).listModels(target, opts);
}
