import * as z from 'zod/mini';
import { ServerError, scrub } from '../protocol/index.js';
import type { AuthType } from '../protocol/index.js';
import type { ProbeError, ProbeErrorCode } from './types.js';
import { hostOf, isLoopbackHost } from './util.js';

export interface ErrorContext {
  authType: AuthType;
  /** The model id for a probe; absent when listing. */
  model?: string;
  apiKey: string;
  envKey?: string;
  baseUrl: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Where proxy variables are looked up, for the hint only. */
  env?: NodeJS.ProcessEnv;
}

// Error bodies as the providers send them. OpenAI SDK errors carry the inner
// `error` object, Anthropic SDK errors the whole body, genai the body as JSON text.
const Code = z.nullish(z.union([z.string(), z.number()]));
const InnerError = z.looseObject({
  message: z.optional(z.unknown()),
  type: z.nullish(z.string()),
  code: Code,
  status: z.nullish(z.string()),
  details: z.nullish(z.array(z.unknown())),
});
const WrappedError = z.looseObject({ error: InnerError });
const Detail = z.looseObject({ reason: z.string() });

interface ProviderDetail {
  message?: string;
  type?: string;
  code?: string;
  status?: string;
  reasons: string[];
}

function readDetail(body: unknown): ProviderDetail | undefined {
  const wrapped = WrappedError.safeParse(body);
  const inner = wrapped.success ? wrapped.data.error : InnerError.safeParse(body).data;
  if (!inner) return undefined;
  const reasons: string[] = [];
  for (const d of inner.details ?? []) {
    const r = Detail.safeParse(d);
    if (r.success) reasons.push(r.data.reason);
  }
  const msg = inner.message;
  return {
    message: typeof msg === 'string' ? msg : msg === undefined ? undefined : JSON.stringify(msg),
    type: inner.type ?? undefined,
    code: inner.code == null ? undefined : String(inner.code),
    status: inner.status ?? undefined,
    reasons,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function providerDetail(err: Record<string, unknown>, status: number): ProviderDetail {
  const fromBody = readDetail(err['error']);
  if (fromBody?.message) return fromBody;
  const message = typeof err['message'] === 'string' ? err['message'] : '';
  // genai: the whole error body, JSON-encoded, is the message.
  const fromText = readDetail(parseJson(message));
  if (fromText?.message) return fromText;
  // genai, for an error inside a stream: "got status: INTERNAL. {…the body…}".
  const brace = message.indexOf('{');
  const fromTail = brace > 0 ? readDetail(parseJson(message.slice(brace))) : undefined;
  if (fromTail?.message) return fromTail;
  // Stainless SDKs prefix the status ("401 …") to a body they could not parse.
  const text = message.replace(new RegExp(`^${status}\\s+`), '').trim();
  return { ...(fromBody ?? { reasons: [] }), message: text || undefined };
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}

/** The first `code` string on the error or its causes (undici hides the socket error two levels down). */
function systemCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 6 && cur; depth++) {
    const rec = asRecord(cur);
    if (!rec) return undefined;
    const code = rec['code'];
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code)) return code;
    // AggregateError (happy eyeballs tries several addresses): look at the first.
    const errors = rec['errors'];
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = systemCode(errors[0]);
      if (inner) return inner;
    }
    cur = rec['cause'];
  }
  return undefined;
}

/** Both the class name (Stainless errors keep `name` = "Error") and `name` (DOMException's AbortError). */
function errorNames(err: unknown): string[] {
  const rec = asRecord(err);
  const ctor = rec?.['constructor'];
  const ctorName = typeof ctor === 'function' ? ctor.name : undefined;
  const name = rec?.['name'];
  return [ctorName, name].filter((n): n is string => typeof n === 'string' && n !== '');
}

function statusOf(err: unknown): number | undefined {
  const s = asRecord(err)?.['status'];
  return typeof s === 'number' && s >= 100 && s <= 599 ? s : undefined;
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? String(s) : s.toFixed(s < 1 ? 2 : 1).replace(/0+$/, '');
}

function clip(text: string, max = 300): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function proxyHint(host: string, env: NodeJS.ProcessEnv): string {
  if (isLoopbackHost(host)) return '';
  const name = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].find((n) => env[n]);
  // Name the variable, never its value: proxy URLs often carry a password.
  if (name) return ` Requests go through the proxy set in ${name}: check that it is running and lets ${host} through (or list the host in NO_PROXY).`;
  return ' If you are behind a proxy, set HTTPS_PROXY (and NO_PROXY for hosts that must bypass it).';
}

const TLS_CODES = /^(CERT_|UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

function networkMessage(code: string | undefined, host: string, env: NodeJS.ProcessEnv, fallback: string): string {
  const hint = proxyHint(host, env);
  if (code && TLS_CODES.test(code)) {
    return `the TLS certificate of ${host} is not trusted (${code}). If a proxy or a company CA re-signs HTTPS traffic, point NODE_EXTRA_CA_CERTS at its certificate.`;
  }
  switch (code) {
    case 'ECONNREFUSED':
      return `could not connect to ${host}: the connection was refused (ECONNREFUSED). Check the base URL.${hint}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return `could not resolve the host ${host} (${code}): check the base URL and your network.${hint}`;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return `the connection to ${host} was closed before an answer (${code}).${hint}`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
    case 'ENETDOWN':
      return `could not reach ${host} (${code}): check your network.${hint}`;
    default:
      return `could not reach ${host}${code ? ` (${code})` : ''}: ${fallback}.${hint}`;
  }
}

/** Turns anything an SDK throws into `{ code, message, status }`, with the key scrubbed out. */
export function describeError(err: unknown, ctx: ErrorContext): ProbeError {
  const out = classify(err, ctx);
  const secrets = [ctx.apiKey];
  return { ...out, message: scrub(out.message, secrets) };
}

function classify(err: unknown, ctx: ErrorContext): ProbeError {
  const env = ctx.env ?? process.env;
  const host = hostOf(ctx.baseUrl);
  const names = errorNames(err);
  const is = (...candidates: string[]) => candidates.some((c) => names.includes(c));
  const rec = asRecord(err) ?? {};
  const rawMessage = typeof rec['message'] === 'string' ? rec['message'] : String(err);

  if (ctx.signal?.aborted) return { code: 'cancelled', message: 'the request was cancelled' };

  const status = statusOf(err);
  if (status !== undefined) return fromStatus(status, providerDetail(rec, status), ctx, host);
  // An error event inside a stream that had started (HTTP 200): the SDKs keep its body, without a status.
  const inStream = readDetail(rec['error']);
  if (inStream?.message) return midStream(inStream);

  const timeoutMessage = `no answer within ${seconds(ctx.timeoutMs)} s from ${host}: check the network or raise generationConfig.timeout.`;
  // Stainless SDKs (openai, anthropic) name their errors; genai surfaces the abort of its own timer.
  // The caller's own abort was handled above, so any other abort is a timer firing.
  if (is('APIConnectionTimeoutError', 'TimeoutError', 'AbortError', 'APIUserAbortError')) {
    return { code: 'timeout', message: timeoutMessage };
  }

  const code = systemCode(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { code: 'timeout', message: timeoutMessage };
  }
  if (code || is('APIConnectionError') || (err instanceof TypeError && /fetch failed/i.test(rawMessage))) {
    return { code: 'network', message: networkMessage(code, host, env, clip(rawMessage, 120).replace(/\.+$/, '')) };
  }
  return { code: 'internal', message: `the request to ${host} failed: ${clip(rawMessage)}` };
}

function fromStatus(status: number, d: ProviderDetail, ctx: ErrorContext, host: string): ProbeError {
  const said = d.message ? ` The provider said: ${clip(d.message)}` : '';
  const keyRejected =
    status === 401 ||
    status === 403 ||
    d.reasons.includes('API_KEY_INVALID') ||
    d.code === 'invalid_api_key' ||
    d.type === 'authentication_error' ||
    d.status === 'UNAUTHENTICATED' ||
    // Gemini answers 400 INVALID_ARGUMENT, not 401, to a wrong key.
    (status === 400 && /api key not valid/i.test(d.message ?? ''));
  if (keyRejected) {
    const what =
      ctx.authType === 'qwen-oauth'
        ? `the provider rejected the Qwen OAuth token (HTTP ${status}): sign in again.`
        : `the provider rejected the key (HTTP ${status}): check ${ctx.envKey ?? 'the key'}.`;
    return { code: 'unauthorized', status, message: what + said };
  }
  const modelMissing =
    status === 404 || d.code === 'model_not_found' || d.status === 'NOT_FOUND' || d.type === 'not_found_error';
  if (modelMissing) {
    const message = ctx.model
      ? `the provider does not know model ${ctx.model} (HTTP ${status}): check the model id, and the base URL if the id is right.`
      : `${host} has no model list at this base URL (HTTP ${status}).`;
    return { code: 'model_not_found', status, message: message + said };
  }
  if (status === 429) {
    return {
      code: 'rate_limited',
      status,
      message: `the provider is rate limiting requests or the quota is used up (HTTP 429): wait and try again.${said}`,
    };
  }
  if (status === 408) {
    return { code: 'timeout', status, message: `${host} gave up waiting for the request (HTTP 408).${said}` };
  }
  // 529 is Anthropic's "overloaded".
  if (status >= 500) {
    return {
      code: 'provider_unavailable',
      status,
      message: `the provider is unavailable (HTTP ${status}): try again later.${said}`,
    };
  }
  const code: ProbeErrorCode = status === 400 || status === 422 ? 'bad_request' : 'provider_error';
  return { code, status, message: `the provider refused the request (HTTP ${status}).${said}` };
}

/** An error the provider sent in the middle of a streamed answer. */
function midStream(d: ProviderDetail): ProbeError {
  const said = ` The provider said: ${clip(d.message ?? '')}`;
  const kind = [d.type, d.code, d.status].filter(Boolean).join(' ');
  if (/rate_limit|RESOURCE_EXHAUSTED|quota/i.test(kind)) {
    return { code: 'rate_limited', message: `the provider is rate limiting requests or the quota is used up: wait and try again.${said}` };
  }
  if (/overloaded|api_error|server_error|UNAVAILABLE|INTERNAL/i.test(kind)) {
    return { code: 'provider_unavailable', message: `the provider is unavailable (it failed while answering): try again later.${said}` };
  }
  return { code: 'provider_error', message: `the provider stopped the answer with an error.${said}` };
}

/** What `listModels` throws: the same sentence as a probe, as a protocol error. */
export function toServerError(e: ProbeError): ServerError {
  return new ServerError('ProviderError', e.message, {
    ...(e.status !== undefined ? { status: e.status } : {}),
    reason: e.code,
  });
}
