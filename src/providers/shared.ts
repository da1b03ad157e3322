import { describeError, type ErrorContext, toServerError } from './errors.js';
import type { CallOptions, ListOptions, ProbeResult, ProviderTarget, RemoteModel, ResolvedModel } from './types.js';
import { DEFAULT_LIST_LIMIT, timeoutOf } from './util.js';

export function elapsed(started: number): number {
  return Math.max(0, Math.round(performance.now() - started));
}

export function errorContext(t: ProviderTarget | ResolvedModel, baseUrl: string, opts: CallOptions): ErrorContext {
  return {
    authType: t.authType,
    ...('id' in t ? { model: t.id } : {}),
    apiKey: t.apiKey,
    ...(t.envKey ? { envKey: t.envKey } : {}),
    baseUrl,
    timeoutMs: timeoutOf(t),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
}

/** An empty key would make the SDKs fall back to their own environment variables. */
export function credentialMissing(t: ProviderTarget): ProbeResult | undefined {
  if (t.apiKey.trim() !== '') return undefined;
  const what = t.authType === 'qwen-oauth' ? 'no Qwen OAuth token: sign in first' : `no key: set ${t.envKey ?? 'the key'}`;
  return { ok: false, latencyMs: 0, error: { code: 'credential_missing', message: what } };
}

/**
 * What every adapter's listModels shares: no request without a key, the
 * limit, and any failure turned into a ProviderError without the key.
 */
export async function listing(
  t: ProviderTarget,
  baseUrl: string,
  opts: ListOptions,
  list: (limit: number) => Promise<RemoteModel[]>,
): Promise<RemoteModel[]> {
  const missing = credentialMissing(t);
  if (missing?.error) throw toServerError(missing.error);
  const ctx = errorContext(t, baseUrl, opts);
  try {
    return await list(opts.limit ?? DEFAULT_LIST_LIMIT);
  } catch (err) {
    throw toServerError(describeError(err, ctx));
  }
}

/**
 * What every adapter's probe shares: no request without a key, the latency
 * of the call alone (not the SDK's loading), and any failure as a
 * ProbeResult without the key.
 */
export async function probing<C>(
  m: ResolvedModel,
  baseUrl: string,
  opts: CallOptions,
  connect: () => Promise<C>,
  call: (client: C) => Promise<unknown>,
): Promise<ProbeResult> {
  const missing = credentialMissing(m);
  if (missing) return missing;
  const ctx = errorContext(m, baseUrl, opts);
  let started = performance.now();
  try {
    const c = await connect();
    started = performance.now();
    await call(c);
    return { ok: true, latencyMs: elapsed(started) };
  } catch (err) {
    return { ok: false, latencyMs: elapsed(started), error: describeError(err, ctx) };
  }
}
