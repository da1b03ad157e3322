import type { AuthType } from '../protocol/index.js';

/** A model with everything needed to call it: the config layer resolves it, the adapters only use it. */
export interface ResolvedModel {
  /** `qwen-oauth` goes through the OpenAI adapter: the access token is the key, `resource_url` the base URL. */
  authType: AuthType;
  /** Sent to the API as is. */
  id: string;
  /**
   * openai: default `https://api.openai.com/v1`. anthropic: with or without `/v1`.
   * gemini / vertex-ai: the host, optionally followed by an API version (`/v1beta`).
   * qwen-oauth: the token's `resource_url`, raw or normalised.
   */
  baseUrl?: string;
  apiKey: string;
  /** Only for messages ("check OPENAI_API_KEY"); never read from the environment here. */
  envKey?: string;
  /** `generationConfig.timeout`, per attempt; default 120000. */
  timeoutMs?: number;
  /** `generationConfig.maxRetries`; default 3. */
  maxRetries?: number;
  customHeaders?: Record<string, string>;
  /** OpenAI-compatible endpoints only (e.g. `enable_thinking`). */
  extraBody?: Record<string, unknown>;
}

export type ProviderTarget = Omit<ResolvedModel, 'id'>;

/** Stable codes a client can switch on; `message` is the sentence for the person. */
export type ProbeErrorCode =
  | 'unauthorized'
  | 'model_not_found'
  | 'rate_limited'
  | 'provider_unavailable'
  | 'timeout'
  | 'network'
  | 'bad_request'
  | 'provider_error'
  | 'credential_missing'
  | 'cancelled'
  | 'internal';

export interface ProbeError {
  code: ProbeErrorCode;
  message: string;
  status?: number;
}

export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  error?: ProbeError;
}

export interface RemoteModel {
  id: string;
  name?: string;
  description?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  /**
   * The fetch every request of the call goes through (the egress guard, then
   * the proxy); each SDK gets it through its own `fetch` option. Required: an
   * SDK left to itself would use the global fetch, past the guard.
   */
  fetch: typeof fetch;
}

export interface ListOptions extends CallOptions {
  /** Stop after this many models (pagination guard); default 1000. */
  limit?: number;
}

export interface ProviderAdapter {
  /** Never throws: every failure is a `ProbeResult` with `ok: false`. */
  probe(model: ResolvedModel, opts: CallOptions): Promise<ProbeResult>;
  /** Throws `ServerError('ProviderError')` with a scrubbed message and `data.reason` = a `ProbeErrorCode`. */
  listModels(target: ProviderTarget, opts: ListOptions): Promise<RemoteModel[]>;
}
