import type { ProviderTarget } from './types.js';
import { qwenOAuthBaseUrl } from '../config/index.js';

export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_LIST_LIMIT = 1000;

export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
export const DEFAULT_QWEN_OAUTH_BASE_URL = 'https://dashscope.aliyuncs.com/compatible-mode/v1';
export const DEFAULT_GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com';
export const DEFAULT_VERTEX_BASE_URL = 'https://aiplatform.googleapis.com';
/** The hosts the adapters send to when a model names none: chosen by no workspace. */
export const BUILTIN_BASE_URLS = [
  DEFAULT_OPENAI_BASE_URL,
  DEFAULT_ANTHROPIC_BASE_URL,
  DEFAULT_QWEN_OAUTH_BASE_URL,
  DEFAULT_GEMINI_BASE_URL,
  DEFAULT_VERTEX_BASE_URL,
] as const;

export function timeoutOf(t: ProviderTarget): number {
  const v = t.timeoutMs;
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : DEFAULT_TIMEOUT_MS;
}

export function retriesOf(t: ProviderTarget): number {
  const v = t.maxRetries;
  // The SDKs reject negative or fractional values with a throw; clamp instead.
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : DEFAULT_MAX_RETRIES;
}

function trimSlashes(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

/** Qwen Code's rule for `resource_url`, the one model/list shows. */
export { qwenOAuthBaseUrl };

export function openAIBaseUrl(t: ProviderTarget): string {
  if (t.authType === 'qwen-oauth') return qwenOAuthBaseUrl(t.baseUrl);
  // Compatible endpoints do not all end in /v1 (DeepSeek, some gateways): take the URL as given.
  return t.baseUrl?.trim() ? trimSlashes(t.baseUrl) : DEFAULT_OPENAI_BASE_URL;
}

/** The Anthropic SDK appends `/v1/messages` itself, so a configured `…/v1` would double it. */
export function anthropicBaseUrl(t: ProviderTarget): string {
  if (!t.baseUrl?.trim()) return DEFAULT_ANTHROPIC_BASE_URL;
  return trimSlashes(t.baseUrl).replace(/\/v1$/, '');
}

/**
 * @google/genai joins `baseUrl` and `apiVersion` itself; people often paste a URL
 * that already ends in the version, which would then appear twice.
 */
export function googleBaseUrl(t: ProviderTarget): { baseUrl: string; apiVersion?: string } {
  const fallback = t.authType === 'vertex-ai' ? DEFAULT_VERTEX_BASE_URL : DEFAULT_GEMINI_BASE_URL;
  const raw = t.baseUrl?.trim() ? trimSlashes(t.baseUrl) : fallback;
  const m = /^(.*)\/(v\d+(?:(?:alpha|beta)\d*)?)$/.exec(raw);
  if (m?.[1] && m[2]) return { baseUrl: m[1], apiVersion: m[2] };
  return { baseUrl: raw };
}

/** Host (and port) only: a URL's path or user-info has no place in a message. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return 'the provider';
  }
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || h.startsWith('127.') || h.endsWith('.localhost');
}

export function effectiveBaseUrl(t: ProviderTarget): string {
  switch (t.authType) {
    case 'openai':
    case 'openai-responses':
    case 'qwen-oauth':
      return openAIBaseUrl(t);
    case 'anthropic':
      return anthropicBaseUrl(t);
    case 'gemini':
    case 'vertex-ai':
      return googleBaseUrl(t).baseUrl;
  }
}

/**
 * The server's stdout carries protocol frames only; the SDKs log through
 * `console` (and `console.debug` is stdout), so route their logs to stderr.
 */
export const stderrLogger = {
  debug: (...args: unknown[]) => console.error(...args),
  info: (...args: unknown[]) => console.error(...args),
  warn: (...args: unknown[]) => console.error(...args),
  error: (...args: unknown[]) => console.error(...args),
};

/**
 * Runs `fn` with console.log/debug/info sent to stderr. For SDK constructors
 * that print with console.debug (the genai one does when GOOGLE_CLOUD_PROJECT
 * is set); synchronous only, so nothing else can run while it is swapped.
 */
export function withStdoutQuiet<T>(fn: () => T): T {
  const saved = { log: console.log, debug: console.debug, info: console.info };
  console.log = console.debug = console.info = (...args: unknown[]) => console.error(...args);
  try {
    return fn();
  } finally {
    console.log = saved.log;
    console.debug = saved.debug;
    console.info = saved.info;
  }
}

/** Sleeps `ms`, or rejects at once with the signal's reason when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
