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
  /**
   * `generationConfig.samplingParams` (chat turns only): `temperature`, `top_p`,
   * `top_k`, `max_tokens`, … in the chat-completions spelling; each adapter maps
   * the ones its API knows.
   */
  samplingParams?: Record<string, unknown>;
  /** `generationConfig.reasoning.budget_tokens`: Anthropic extended thinking, Gemini's thinking budget. */
  thinkingBudget?: number;
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

/** One message of a chat as the adapters send it; context items are already folded into `text`. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  text: string;
}

export interface ChatRequest {
  system?: string;
  /** Oldest first; the last one is the user's new turn. */
  messages: ChatMessage[];
}

export interface ChatDelta {
  kind: 'text' | 'thinking';
  delta: string;
}

export interface ChatUsage {
  inputTokens: number;
  outputTokens: number;
  reasoningTokens?: number;
  cachedTokens?: number;
}

export interface ChatRateLimit {
  remainingRequests?: number;
  remainingTokens?: number;
  /** ISO-8601. */
  resetAt?: string;
}

export interface ChatTurnResult {
  stopReason: 'end' | 'length' | 'cancelled' | 'error';
  /** Everything streamed as `text`, also when the turn was cancelled or failed. */
  text: string;
  thinking?: string;
  usage?: ChatUsage;
  rateLimit?: ChatRateLimit;
  /** With `stopReason: 'error'`: the same codes and wording as `model/test`. */
  error?: ProbeError;
}

export interface StreamOptions extends CallOptions {
  /** Called for every delta, in order, as it arrives. */
  onDelta(delta: ChatDelta): void;
}

export interface ProviderAdapter {
  /** Never throws: every failure is a `ProbeResult` with `ok: false`. */
  probe(model: ResolvedModel, opts: CallOptions): Promise<ProbeResult>;
  /** Throws `ServerError('ProviderError')` with a scrubbed message and `data.reason` = a `ProbeErrorCode`. */
  listModels(target: ProviderTarget, opts: ListOptions): Promise<RemoteModel[]>;
  /**
   * One streamed chat turn. Never throws: a failure is `stopReason: 'error'`,
   * an abort of `opts.signal` is `stopReason: 'cancelled'`, both with the text so far.
   * Optional until every adapter has one.
   */
  streamChat?(model: ResolvedModel, request: ChatRequest, opts: StreamOptions): Promise<ChatTurnResult>;
}
