import { describeError } from './errors.js';
import { credentialMissing, errorContext } from './shared.js';
import type { ChatRateLimit, ChatTurnResult, ChatUsage, ResolvedModel, StreamOptions } from './types.js';

/** What an adapter's streaming loop reports through; `streamingTurn` keeps the tally. */
export interface TurnIO {
  /** opts.fetch, noting the headers of the answer (rate limits). */
  fetch: typeof fetch;
  text(delta: string): void;
  thinking(delta: string): void;
  usage(u: ChatUsage): void;
  /** The provider's finish reason, once it is known. */
  stop(reason: 'end' | 'length'): void;
}

function int(h: Headers, ...names: string[]): number | undefined {
  for (const n of names) {
    const v = h.get(n);
    if (v === null || v.trim() === '') continue;
    const x = Number(v);
    if (Number.isFinite(x) && x >= 0) return Math.floor(x);
  }
  return undefined;
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** OpenAI's `6m0s`, `1.5s`, `20ms`; a bare number is seconds. */
function durationMs(v: string): number | undefined {
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  if (!/^(\d+(\.\d+)?(h|ms|m|s))+$/.test(t)) return undefined;
  let ms = 0;
  for (const [, n, , unit] of t.matchAll(/(\d+(\.\d+)?)(h|ms|m|s)/g)) ms += Number(n) * (UNIT_MS[unit!] ?? 0);
  return ms;
}

function resetAt(h: Headers, now: number): string | undefined {
  // Anthropic: an RFC 3339 time.
  for (const n of ['anthropic-ratelimit-requests-reset', 'anthropic-ratelimit-tokens-reset']) {
    const v = h.get(n);
    const t = v ? Date.parse(v) : NaN;
    if (Number.isFinite(t)) return new Date(t).toISOString();
  }
  // OpenAI and most compatible endpoints: a duration from now.
  for (const n of ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens', 'x-ratelimit-reset']) {
    const v = h.get(n);
    const ms = v ? durationMs(v) : undefined;
    if (ms !== undefined) return new Date(now + ms).toISOString();
  }
  return undefined;
}

/** The rate-limit headers of OpenAI (and compatible endpoints) and Anthropic; undefined when there are none. */
export function rateLimitOf(h: Headers | undefined, now = Date.now()): ChatRateLimit | undefined {
  if (!h) return undefined;
  const remainingRequests = int(h, 'x-ratelimit-remaining-requests', 'anthropic-ratelimit-requests-remaining');
  const remainingTokens = int(h, 'x-ratelimit-remaining-tokens', 'anthropic-ratelimit-tokens-remaining');
  const reset = resetAt(h, now);
  if (remainingRequests === undefined && remainingTokens === undefined && reset === undefined) return undefined;
  return {
    ...(remainingRequests !== undefined ? { remainingRequests } : {}),
    ...(remainingTokens !== undefined ? { remainingTokens } : {}),
    ...(reset !== undefined ? { resetAt: reset } : {}),
  };
}

/**
 * What every adapter's streamChat shares: no request without a key, the
 * deltas passed on in order and added up, the answer's headers read for rate
 * limits, and any failure (or the caller's abort) turned into a result that
 * keeps what was streamed so far. Never throws.
 */
export async function streamingTurn(
  m: ResolvedModel,
  baseUrl: string,
  opts: StreamOptions,
  run: (io: TurnIO) => Promise<void>,
): Promise<ChatTurnResult> {
  const missing = credentialMissing(m);
  if (missing?.error) return { stopReason: 'error', text: '', error: missing.error };
  let text = '';
  let thinking = '';
  let usage: ChatUsage | undefined;
  let stop: 'end' | 'length' = 'end';
  let headers: Headers | undefined;
  const io: TurnIO = {
    fetch: async (input, init) => {
      const res = await opts.fetch(input, init);
      headers = res.headers;
      return res;
    },
    text: (d) => {
      if (!d) return;
      text += d;
      opts.onDelta({ kind: 'text', delta: d });
    },
    thinking: (d) => {
      if (!d) return;
      thinking += d;
      opts.onDelta({ kind: 'thinking', delta: d });
    },
    usage: (u) => {
      usage = u;
    },
    stop: (r) => {
      stop = r;
    },
  };
  const sofar = (): Omit<ChatTurnResult, 'stopReason'> => {
    const rateLimit = rateLimitOf(headers);
    return { text, ...(thinking ? { thinking } : {}), ...(usage ? { usage } : {}), ...(rateLimit ? { rateLimit } : {}) };
  };
  try {
    await run(io);
    return { stopReason: opts.signal?.aborted ? 'cancelled' : stop, ...sofar() };
  } catch (err) {
    if (opts.signal?.aborted) return { stopReason: 'cancelled', ...sofar() };
    return { stopReason: 'error', ...sofar(), error: describeError(err, errorContext(m, baseUrl, opts)) };
  }
}

/** Only the entries that are set: the SDKs send `undefined` fields as nothing, but keep the body tidy. */
export function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function numberParam(p: Record<string, unknown> | undefined, key: string): number | undefined {
  const v = p?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
