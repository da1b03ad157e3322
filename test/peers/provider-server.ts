/**
 * A loopback stand-in for the model providers: one node:http server that
 * answers the OpenAI, Anthropic, Gemini and Vertex AI (express mode) wire
 * formats closely enough for the real SDKs to parse, success and error bodies
 * alike. Tests drive it with `setBehaviour` and read what arrived in `requests`.
 *
 * Routes (any prefix before `/v1` is accepted for OpenAI, e.g. `/compatible-mode/v1`):
 *   OpenAI     POST …/v1/chat/completions (JSON or SSE), GET …/v1/models
 *   Anthropic  POST /v1/messages (JSON or SSE), GET /v1/models (told apart from
 *              OpenAI's by `anthropic-version` / `x-api-key`)
 *   Gemini     POST /{v1beta|v1|v1alpha}/models/{m}:generateContent,
 *              :streamGenerateContent?alt=sse, GET /{ver}/models
 *   Vertex     POST /{v1beta1|v1}/publishers/{p}/models/{m}:generateContent (express
 *              mode: no project), also under projects/{p}/locations/{l}/…,
 *              GET /{ver}/publishers/google/models
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { answering, listenOnLoopback } from './loopback.js';
import { randomUUID } from 'node:crypto';

export type Protocol = 'openai' | 'anthropic' | 'gemini' | 'vertex';
export type Operation =
  | 'openai.chat'
  | 'openai.models'
  | 'anthropic.messages'
  | 'anthropic.models'
  | 'gemini.generate'
  | 'gemini.stream'
  | 'gemini.models'
  | 'vertex.generate'
  | 'vertex.stream'
  | 'vertex.models'
  | 'unknown';

export interface RecordedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the body is JSON, else the raw text (undefined when empty). */
  body: unknown;
  rawBody: string;
  protocol: Protocol | undefined;
  operation: Operation;
  /** The model named in the path or the body. */
  model?: string;
  /** The key as the protocol carries it (bearer, x-api-key, x-goog-api-key or ?key=). */
  apiKey?: string;
}

export interface Reply {
  /** An error status without `body` gets the protocol's real error body for that status. */
  status?: number;
  /** Wait this long before answering (headers included). */
  delayMs?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Never answer; the connection stays open until the client gives up or `close()`. */
  hang?: boolean;
  /** Destroy the socket without an answer (a reset connection). */
  reset?: boolean;
}

/** A reply for the first `times` matching requests (all of them when absent); then the default answer. */
export interface Rule extends Reply {
  times?: number;
}

/**
 * A function returning a reply (or nothing for the default answer), or rules keyed by
 * an operation (`openai.chat`), a protocol (`gemini`), `*`, or a path glob (`/v1beta/models/*`).
 * Rules are tried in order; the first one that matches and has uses left wins.
 */
export type Behaviour = ((req: RecordedRequest) => Reply | undefined | void) | Record<string, Rule>;

export interface ProviderServerOptions {
  /** Accepted keys; any non-empty key when absent. */
  keys?: string[];
  /** Models each protocol knows; a request for another answers 404 like the provider. */
  models?: Partial<Record<Protocol, string[]>>;
  /** Page size for the paginated lists (Anthropic, Gemini, Vertex) when the client asks for more. */
  pageSize?: number;
  behaviour?: Behaviour;
}

export interface ProviderServer {
  /** OpenAI-style base URL: `http://127.0.0.1:PORT/v1` (the Anthropic adapter accepts it too). */
  url: string;
  /** `http://127.0.0.1:PORT`: the base URL for Gemini and Vertex. */
  origin: string;
  requests: RecordedRequest[];
  setBehaviour(b: Behaviour | undefined): void;
  /** Forget recorded requests and the behaviour. */
  reset(): void;
  close(): Promise<void>;
}

export const DEFAULT_MODELS: Record<Protocol, string[]> = {
  openai: ['qwen3.5-plus', 'qwen3-coder-plus', 'gpt-4o-mini'],
  anthropic: ['claude-sonnet-4-6', 'claude-haiku-4-5'],
  gemini: ['gemini-2.5-flash', 'gemini-2.5-pro'],
  vertex: ['gemini-2.5-flash', 'gemini-2.5-pro'],
};

// ---- routing ----------------------------------------------------------------

interface Route {
  protocol: Protocol | undefined;
  operation: Operation;
  model?: string;
}

function route(method: string, path: string, headers: IncomingHttpHeaders): Route {
  if (method === 'POST' && /\/v1\/chat\/completions$/.test(path)) return { protocol: 'openai', operation: 'openai.chat' };
  if (method === 'POST' && path === '/v1/messages') return { protocol: 'anthropic', operation: 'anthropic.messages' };
  if (method === 'GET' && /\/v1\/models$/.test(path)) {
    const anthropic = headers['anthropic-version'] !== undefined || headers['x-api-key'] !== undefined;
    return anthropic ? { protocol: 'anthropic', operation: 'anthropic.models' } : { protocol: 'openai', operation: 'openai.models' };
  }
  let m = /^\/(v1beta1|v1)\/(?:projects\/[^/]+\/locations\/[^/]+\/)?publishers\/([^/]+)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
  if (m && method === 'POST') {
    const model = decodeURIComponent(m[3] ?? '');
    return { protocol: 'vertex', operation: m[4] === 'generateContent' ? 'vertex.generate' : 'vertex.stream', model };
  }
  if (method === 'GET' && /^\/(v1beta1|v1)\/publishers\/[^/]+\/models$/.test(path)) return { protocol: 'vertex', operation: 'vertex.models' };
  m = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
  if (m && method === 'POST') {
    const model = decodeURIComponent(m[2] ?? '');
    return { protocol: 'gemini', operation: m[3] === 'generateContent' ? 'gemini.generate' : 'gemini.stream', model };
  }
  if (method === 'GET' && /^\/(v1beta|v1|v1alpha)\/models$/.test(path)) return { protocol: 'gemini', operation: 'gemini.models' };
  return { protocol: undefined, operation: 'unknown' };
}

function keyOf(protocol: Protocol | undefined, headers: IncomingHttpHeaders, query: Record<string, string>): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(String(headers.authorization ?? ''))?.[1];
  switch (protocol) {
    case 'openai':
      return bearer;
    case 'anthropic':
      // 0.x SDKs send x-api-key, 1.x a bearer token.
      return (headers['x-api-key'] as string | undefined) ?? bearer;
    case 'gemini':
    case 'vertex':
      return (headers['x-goog-api-key'] as string | undefined) ?? query['key'];
    default:
      return bearer ?? (headers['x-api-key'] as string | undefined) ?? (headers['x-goog-api-key'] as string | undefined);
  }
}

// ---- wire formats -------------------------------------------------------------

const now = () => Math.floor(Date.now() / 1000);

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Server-sent events, written in order. */
  sse?: string[];
}

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  408: 'DEADLINE_EXCEEDED',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const ANTHROPIC_TYPE: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'Invalid request'],
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'Not found'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'],
  500: ['api_error', 'Internal server error'],
  529: ['overloaded_error', 'Overloaded'],
};

const OPENAI_ERROR: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: 'Invalid request.', type: 'invalid_request_error', code: null },
  401: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' },
  403: { message: 'Country, region, or territory not supported', type: 'request_forbidden', code: 'unsupported_country_region_territory' },
  404: { message: 'Not found.', type: 'invalid_request_error', code: null },
  429: { message: 'Rate limit reached for requests. Please try again in 1s.', type: 'requests', code: 'rate_limit_exceeded' },
  500: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null },
  503: { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', code: null },
};

/** The error body each provider really sends for `status`; `message` overrides the stock sentence. */
export function errorAnswer(protocol: Protocol | undefined, status: number, message?: string, extra: { code?: string; reason?: string } = {}): Answer {
  switch (protocol) {
    case 'anthropic': {
      const [type, stock] = ANTHROPIC_TYPE[status] ?? (status >= 500 ? ['api_error', 'Internal server error'] : ['invalid_request_error', 'Invalid request']);
      const requestId = `req_${randomUUID().replace(/-/g, '')}`;
      return { status, headers: { 'request-id': requestId }, body: { type: 'error', error: { type, message: message ?? stock }, request_id: requestId } };
    }
    case 'gemini':
    case 'vertex': {
      const error: Record<string, unknown> = {
        code: status,
        message: message ?? (status >= 500 ? 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting' : 'Request failed.'),
        status: GOOGLE_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'),
      };
      if (extra.reason) {
        error['details'] = [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: extra.reason,
            domain: 'googleapis.com',
            metadata: { service: protocol === 'vertex' ? 'aiplatform.googleapis.com' : 'generativelanguage.googleapis.com' },
          },
        ];
      }
      return { status, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: { error } };
    }
    default: {
      const stock = OPENAI_ERROR[status] ?? { message: 'Request failed.', type: status >= 500 ? 'server_error' : 'invalid_request_error', code: null };
      return {
        status,
        headers: { 'x-request-id': `req_${randomUUID().replace(/-/g, '')}` },
        body: { error: { message: message ?? stock.message, type: stock.type, param: null, code: extra.code ?? stock.code } },
      };
    }
  }
}

function authError(protocol: Protocol | undefined, key: string | undefined): Answer {
  switch (protocol) {
    case 'anthropic':
      return errorAnswer('anthropic', 401, key ? 'invalid x-api-key' : 'x-api-key header is required');
    case 'gemini':
      // Gemini answers a wrong key with 400, not 401.
      return errorAnswer('gemini', 400, 'API key not valid. Please pass a valid API key.', { reason: 'API_KEY_INVALID' });
    case 'vertex':
      return errorAnswer(
        'vertex',
        401,
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        { reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED' },
      );
    default:
      // Echo the whole key, as some compatible servers do, so that tests prove the client scrubs it.
      return errorAnswer(
        'openai',
        401,
        key ? `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.` : 'You didn\'t provide an API key.',
        { code: 'invalid_api_key' },
      );
  }
}

function modelMissing(protocol: Protocol, model: string, version: string): Answer {
  switch (protocol) {
    case 'openai':
      return errorAnswer('openai', 404, `The model \`${model}\` does not exist or you do not have access to it.`, { code: 'model_not_found' });
    case 'anthropic':
      return errorAnswer('anthropic', 404, `model: ${model}`);
    case 'gemini':
      return errorAnswer(
        'gemini',
        404,
        `models/${model} is not found for API version ${version}, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
      );
    case 'vertex':
      return errorAnswer('vertex', 404, `Publisher Model \`publishers/google/models/${model}\` was not found or your project does not have access to it.`);
  }
}

function googleCandidate(model: string, finishReason: string | undefined): Record<string, unknown> {
  return {
    candidates: [{ content: { parts: [{ text: 'P' }], role: 'model' }, ...(finishReason ? { finishReason } : {}), index: 0 }],
    usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
    modelVersion: model,
    responseId: randomUUID().replace(/-/g, '').slice(0, 22),
  };
}

const GEMINI_LIST_EXTRA = [
  // Listed but not a chat model: clients should filter it out.
  { name: 'models/text-embedding-004', displayName: 'Text Embedding 004', supportedGenerationMethods: ['embedContent'] },
];

function paginate<T>(items: T[], pageSize: number, token: string | undefined): { page: T[]; next?: string } {
  const start = token ? Number.parseInt(token, 10) || 0 : 0;
  const page = items.slice(start, start + pageSize);
  const end = start + page.length;
  return end < items.length ? { page, next: String(end) } : { page };
}

/** `claude-sonnet-4-6` → `Claude Sonnet 4.6`, the style of the providers' display names. */
function titleCase(id: string): string {
  return id
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ')
    .replace(/(\d) (?=\d)/g, '$1.');
}

interface ServeContext {
  models: Record<Protocol, string[]>;
  pageSize: number;
}

function defaultAnswer(req: RecordedRequest, ctx: ServeContext, version: string): Answer {
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
  switch (req.operation) {
    case 'openai.chat': {
      const model = String(body['model'] ?? '');
      if (!ctx.models.openai.includes(model)) return modelMissing('openai', model, version);
      const id = `chatcmpl-${randomUUID().replace(/-/g, '').slice(0, 24)}`;
      const created = now();
      if (body['stream'] === true) {
        const chunk = (delta: Record<string, unknown>, finish: string | null) =>
          JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: null, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
        return { status: 200, sse: [`data: ${chunk({ role: 'assistant', content: '' }, null)}`, `data: ${chunk({ content: 'P' }, null)}`, `data: ${chunk({}, 'length')}`, 'data: [DONE]'] };
      }
      return {
        status: 200,
        body: {
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: 'P', refusal: null }, logprobs: null, finish_reason: 'length' }],
          usage: { prompt_tokens: 8, completion_tokens: 1, total_tokens: 9 },
          system_fingerprint: null,
        },
      };
    }
    case 'openai.models':
      return { status: 200, body: { object: 'list', data: ctx.models.openai.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'system' })) } };
    case 'anthropic.messages': {
      const model = String(body['model'] ?? '');
      if (!ctx.models.anthropic.includes(model)) return modelMissing('anthropic', model, version);
      const id = `msg_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
      const message = { id, type: 'message', role: 'assistant', model, content: [{ type: 'text', text: 'P' }], stop_reason: 'max_tokens', stop_sequence: null, usage: { input_tokens: 8, output_tokens: 1 } };
      if (body['stream'] === true) {
        const ev = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}`;
        return {
          status: 200,
          sse: [
            ev('message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { input_tokens: 8, output_tokens: 0 } } }),
            ev('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
            ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'P' } }),
            ev('content_block_stop', { type: 'content_block_stop', index: 0 }),
            ev('message_delta', { type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { output_tokens: 1 } }),
            ev('message_stop', { type: 'message_stop' }),
          ],
        };
      }
      return { status: 200, body: message };
    }
    case 'anthropic.models': {
      const limit = Math.min(Number.parseInt(req.query['limit'] ?? '20', 10) || 20, ctx.pageSize);
      const all = ctx.models.anthropic;
      const after = req.query['after_id'];
      const start = after ? all.indexOf(after) + 1 : 0;
      const page = all.slice(start, start + limit);
      const data = page.map((id) => ({ type: 'model', id, display_name: titleCase(id), created_at: '2025-09-29T00:00:00Z' }));
      return { status: 200, body: { data, has_more: start + page.length < all.length, first_id: page[0] ?? null, last_id: page[page.length - 1] ?? null } };
    }
    case 'gemini.generate':
    case 'vertex.generate':
    case 'gemini.stream':
    case 'vertex.stream': {
      const protocol = req.protocol === 'vertex' ? 'vertex' : 'gemini';
      const model = req.model ?? '';
      if (!ctx.models[protocol].includes(model)) return modelMissing(protocol, model, version);
      if (req.operation.endsWith('.stream')) {
        return { status: 200, sse: [`data: ${JSON.stringify(googleCandidate(model, undefined))}`, `data: ${JSON.stringify(googleCandidate(model, 'MAX_TOKENS'))}`] };
      }
      return { status: 200, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: googleCandidate(model, 'MAX_TOKENS') };
    }
    case 'gemini.models': {
      const all = [
        ...ctx.models.gemini.map((id) => ({
          name: `models/${id}`,
          version: '001',
          displayName: titleCase(id),
          description: `Loopback ${id}`,
          inputTokenLimit: 1_048_576,
          outputTokenLimit: 65_536,
          supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'],
          temperature: 1,
          topP: 0.95,
          topK: 64,
          maxTemperature: 2,
          thinking: true,
        })),
        ...GEMINI_LIST_EXTRA,
      ];
      const size = Math.min(Number.parseInt(req.query['pageSize'] ?? '50', 10) || 50, ctx.pageSize);
      const { page, next } = paginate(all, size, req.query['pageToken']);
      return { status: 200, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: { models: page, ...(next ? { nextPageToken: next } : {}) } };
    }
    case 'vertex.models': {
      const all = ctx.models.vertex.map((id) => ({
        name: `publishers/google/models/${id}`,
        versionId: 'default',
        openSourceCategory: 'PROPRIETARY',
        launchStage: 'GA',
      }));
      const size = Math.min(Number.parseInt(req.query['pageSize'] ?? '100', 10) || 100, ctx.pageSize);
      const { page, next } = paginate(all, size, req.query['pageToken']);
      return { status: 200, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: { publisherModels: page, ...(next ? { nextPageToken: next } : {}) } };
    }
    case 'unknown':
      return { status: 404, headers: { 'content-type': 'text/plain' }, body: `no route for ${req.method} ${req.path}` };
  }
}

// ---- the server ---------------------------------------------------------------

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function ruleMatches(key: string, req: RecordedRequest): boolean {
  if (key === '*') return true;
  if (key === req.operation || key === req.protocol) return true;
  if (key.startsWith('/')) return globToRegExp(key).test(req.path);
  return false;
}

export async function startProviderServer(opts: ProviderServerOptions = {}): Promise<ProviderServer> {
  const ctx: ServeContext = {
    models: { ...DEFAULT_MODELS, ...opts.models },
    pageSize: opts.pageSize ?? 1000,
  };
  const requests: RecordedRequest[] = [];
  let behaviour: Behaviour | undefined = opts.behaviour;
  let used = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();

  function pickReply(req: RecordedRequest): Reply | undefined {
    if (!behaviour) return undefined;
    if (typeof behaviour === 'function') return behaviour(req) ?? undefined;
    for (const [key, rule] of Object.entries(behaviour)) {
      if (!ruleMatches(key, req)) continue;
      const n = used.get(key) ?? 0;
      if (rule.times !== undefined && n >= rule.times) continue;
      used.set(key, n + 1);
      return rule;
    }
    return undefined;
  }

  function send(res: ServerResponse, a: Answer): void {
    if (res.destroyed || res.writableEnded) return;
    if (a.sse) {
      res.writeHead(a.status, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...a.headers });
      for (const ev of a.sse) res.write(`${ev}\n\n`);
      res.end();
      return;
    }
    const isText = typeof a.body === 'string';
    const text = a.body === undefined ? '' : isText ? (a.body as string) : JSON.stringify(a.body);
    res.writeHead(a.status, {
      'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json',
      'content-length': Buffer.byteLength(text),
      ...a.headers,
    });
    res.end(text);
  }

  async function handle(inc: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of inc) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const u = new URL(inc.url ?? '/', 'http://loopback');
    const method = inc.method ?? 'GET';
    const r = route(method, u.pathname, inc.headers);
    let body: unknown = rawBody === '' ? undefined : rawBody;
    try {
      if (rawBody !== '') body = JSON.parse(rawBody);
    } catch {
      // Not JSON: keep the text.
    }
    const query = Object.fromEntries(u.searchParams);
    const bodyModel = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['model'] : undefined;
    const model = r.model ?? (typeof bodyModel === 'string' ? bodyModel : undefined);
    const req: RecordedRequest = {
      method,
      path: u.pathname,
      query,
      headers: inc.headers,
      body,
      rawBody,
      protocol: r.protocol,
      operation: r.operation,
      ...(model !== undefined ? { model } : {}),
      ...(keyOf(r.protocol, inc.headers, query) !== undefined ? { apiKey: keyOf(r.protocol, inc.headers, query) } : {}),
    };
    requests.push(req);

    const reply = pickReply(req) ?? {};
    if (reply.delayMs && reply.delayMs > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, reply.delayMs);
        timers.add(t);
      });
    }
    if (reply.reset) {
      inc.socket.destroy();
      return;
    }
    if (reply.hang) return;

    const version = /^\/(v\d+(?:alpha|beta)?\d*)\//.exec(u.pathname)?.[1] ?? 'v1beta';
    let answer: Answer;
    if (reply.status !== undefined && reply.status >= 400 && reply.body === undefined) {
      answer = errorAnswer(r.protocol, reply.status);
    } else if (reply.body !== undefined) {
      answer = { status: reply.status ?? 200, body: reply.body };
    } else if (r.operation !== 'unknown' && (!req.apiKey || (opts.keys && !opts.keys.includes(req.apiKey)))) {
      answer = authError(r.protocol, req.apiKey);
    } else {
      answer = defaultAnswer(req, ctx, version);
      if (reply.status !== undefined) answer.status = reply.status;
    }
    if (reply.headers) answer.headers = { ...answer.headers, ...reply.headers };
    send(res, answer);
  }

  const loopback = await listenOnLoopback(createServer(answering(handle)));
  const { origin } = loopback;

  return {
    url: `${origin}/v1`,
    origin,
    requests,
    setBehaviour(b) {
      behaviour = b;
      used = new Map();
    },
    reset() {
      requests.length = 0;
      behaviour = undefined;
      used = new Map();
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return loopback.close();
    },
  };
}
