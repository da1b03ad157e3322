/**
 * The oracle's provider: answers every wire format Qwen Code may speak with a
 * short "ok" (whatever the model or key) and records, for each request, where
 * it went and with which credential. Unlike provider-server.ts it judges
 * nothing: a differential test wants to see what a client sent, not to shape
 * what it gets back.
 *
 * It runs as a loopback HTTP server (for base URLs on 127.0.0.1) and as the
 * handler behind the MITM proxy (test/peers/mitm-proxy.ts), which hands it the
 * decrypted requests for any other host.
 *
 * Routes, under any path prefix:
 *   OpenAI     POST …/chat/completions (JSON or SSE), POST …/responses (JSON or SSE), GET …/models
 *   Anthropic  POST …/messages (JSON or SSE), GET …/models with anthropic-version or x-api-key
 *   Gemini     POST …/models/{m}:generateContent, :streamGenerateContent (SSE with alt=sse,
 *              else a JSON array), GET …/models with x-goog-api-key or ?key= (Vertex's
 *              …/publishers/google/models/{m}:… too)
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Operation } from './provider-server.js';

/** provider-server's operations, with the Responses API and without Vertex's own (its paths read as Gemini's). */
export type WireOperation = Exclude<Operation, `vertex.${string}`> | 'openai.responses';

/** Where a request carried its key. */
export type CredentialPlace = 'authorization' | 'x-api-key' | 'x-goog-api-key' | 'query:key';

export interface Recorded {
  scheme: 'http' | 'https';
  /** `host[:port]` as the client addressed it: the CONNECT target through the proxy, else the Host header. */
  host: string;
  method: string;
  /** Path without the query. */
  path: string;
  query: Record<string, string>;
  operation: WireOperation;
  /** What the wire suffix leaves of the URL: `https://host/compatible-mode/v1` for …/v1/chat/completions. */
  baseUrl: string;
  model?: string;
  stream: boolean;
  /** The text of the last user turn in the body, whatever the wire format (empty when none). */
  userText: string;
  credential?: { place: CredentialPlace; value: string };
  /** Every header but the credential's own (content-length and connection dropped). */
  headers: Record<string, string>;
  at: number;
}

export interface RequestOrigin {
  scheme: 'http' | 'https';
  host: string;
}

export interface RecordingProvider {
  /** `http://127.0.0.1:PORT/v1`, an OpenAI-style base URL on loopback. */
  url: string;
  origin: string;
  requests: Recorded[];
  /** Answers (and records) one request that arrived for `origin`; the MITM proxy calls it. */
  handle(req: IncomingMessage, res: ServerResponse, origin: RequestOrigin): void;
  close(): Promise<void>;
}

const ANSWER = 'ok';

interface Route {
  operation: WireOperation;
  /** The part of the path that belongs to the wire format, not to the base URL. */
  suffix: string;
  model?: string;
}

function route(method: string, path: string, headers: IncomingMessage['headers'], query: Record<string, string>): Route {
  const tail = (re: RegExp) => re.exec(path)?.[0] ?? '';
  if (method === 'POST') {
    const m = /\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
    if (m) {
      // Gemini's base URL is the origin (+ any prefix) before the API version.
      const suffix = tail(/\/(v1beta1|v1beta|v1alpha|v1)\/.*$/) || m[0];
      return { operation: m[2] === 'generateContent' ? 'gemini.generate' : 'gemini.stream', suffix, model: decodeURIComponent(m[1] ?? '') };
    }
    if (path.endsWith('/chat/completions')) return { operation: 'openai.chat', suffix: '/chat/completions' };
    if (path.endsWith('/responses')) return { operation: 'openai.responses', suffix: '/responses' };
    // The Anthropic SDK appends /v1/messages to a base URL without /v1.
    if (path.endsWith('/messages')) return { operation: 'anthropic.messages', suffix: tail(/\/v1\/messages$/) || '/messages' };
  }
  if (method === 'GET' && path.endsWith('/models')) {
    if (headers['x-goog-api-key'] !== undefined || query['key'] !== undefined) return { operation: 'gemini.models', suffix: tail(/\/(v1beta1|v1beta|v1alpha|v1)\/.*$/) };
    if (headers['anthropic-version'] !== undefined || headers['x-api-key'] !== undefined) return { operation: 'anthropic.models', suffix: tail(/\/v1\/models$/) || '/models' };
    return { operation: 'openai.models', suffix: '/models' };
  }
  return { operation: 'unknown', suffix: '' };
}

function credentialOf(headers: IncomingMessage['headers'], query: Record<string, string>): Recorded['credential'] {
  const bearer = /^Bearer\s+(.+)$/i.exec(String(headers.authorization ?? ''))?.[1];
  if (bearer) return { place: 'authorization', value: bearer };
  const one = (name: 'x-api-key' | 'x-goog-api-key') => {
    const v = headers[name];
    return typeof v === 'string' && v !== '' ? { place: name, value: v } : undefined;
  };
  return one('x-api-key') ?? one('x-goog-api-key') ?? (query['key'] ? { place: 'query:key', value: query['key'] } : undefined);
}

/** Concatenated text of a message's content: a string, or parts with `text`. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p: unknown) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
}

/** OpenAI `messages`, Responses `input`, Anthropic `messages`, Gemini `contents`: the last user turn's text. */
function lastUserText(body: Record<string, unknown>): string {
  const turns = [body['messages'], body['input'], body['contents']].find(Array.isArray) as unknown[] | undefined;
  if (typeof body['input'] === 'string') return body['input'];
  for (const t of [...(turns ?? [])].reverse()) {
    if (!t || typeof t !== 'object') continue;
    const turn = t as { role?: unknown; content?: unknown; parts?: unknown };
    if (turn.role !== 'user') continue;
    return textOf(turn.content ?? turn.parts);
  }
  return '';
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'x-api-key', 'x-goog-api-key', 'content-length', 'connection']);

// ---- answers ------------------------------------------------------------------

interface Answer {
  status: number;
  body?: unknown;
  /** Server-sent events, each already `event:`/`data:` lines. */
  sse?: string[];
}

const id = (prefix: string) => `${prefix}${randomUUID().replace(/-/g, '').slice(0, 24)}`;
const now = () => Math.floor(Date.now() / 1000);
const data = (v: unknown) => `data: ${JSON.stringify(v)}`;
const event = (type: string, v: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...v })}`;

function openaiChat(model: string, stream: boolean): Answer {
  const cid = id('chatcmpl-');
  const created = now();
  const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
  if (!stream) {
    return {
      status: 200,
      body: { id: cid, object: 'chat.completion', created, model, choices: [{ index: 0, message: { role: 'assistant', content: ANSWER, refusal: null }, logprobs: null, finish_reason: 'stop' }], usage },
    };
  }
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
    data({ id: cid, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra });
  return { status: 200, sse: [chunk({ role: 'assistant', content: '' }, null), chunk({ content: ANSWER }, null), chunk({}, 'stop', { usage }), 'data: [DONE]'] };
}

function openaiResponses(model: string, stream: boolean): Answer {
  const rid = id('resp_');
  const mid = id('msg_');
  const part = { type: 'output_text', text: ANSWER, annotations: [] };
  const item = { type: 'message', id: mid, status: 'completed', role: 'assistant', content: [part] };
  const response = (status: string, output: unknown[]) => ({
    id: rid, object: 'response', created_at: now(), status, model, output,
    usage: status === 'completed' ? { input_tokens: 1, output_tokens: 1, total_tokens: 2, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } } : null,
  });
  if (!stream) return { status: 200, body: response('completed', [item]) };
  let seq = 0;
  const ev = (type: string, v: Record<string, unknown>) => event(type, { sequence_number: seq++, ...v });
  return {
    status: 200,
    sse: [
      ev('response.created', { response: response('in_progress', []) }),
      ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }),
      ev('response.content_part.added', { item_id: mid, output_index: 0, content_index: 0, part: { ...part, text: '' } }),
      ev('response.output_text.delta', { item_id: mid, output_index: 0, content_index: 0, delta: ANSWER }),
      ev('response.output_text.done', { item_id: mid, output_index: 0, content_index: 0, text: ANSWER }),
      ev('response.content_part.done', { item_id: mid, output_index: 0, content_index: 0, part }),
      ev('response.output_item.done', { output_index: 0, item }),
      ev('response.completed', { response: response('completed', [item]) }),
    ],
  };
}

function anthropicMessages(model: string, stream: boolean): Answer {
  const message = { id: id('msg_'), type: 'message', role: 'assistant', model, content: [{ type: 'text', text: ANSWER }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } };
  if (!stream) return { status: 200, body: message };
  return {
    status: 200,
    sse: [
      event('message_start', { message: { ...message, content: [], stop_reason: null, usage: { input_tokens: 1, output_tokens: 0 } } }),
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: ANSWER } }),
      event('content_block_stop', { index: 0 }),
      event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } }),
      event('message_stop', {}),
    ],
  };
}

function geminiCandidate(model: string): Record<string, unknown> {
  return {
    candidates: [{ content: { parts: [{ text: ANSWER }], role: 'model' }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
    modelVersion: model,
    responseId: id(''),
  };
}

function answer(r: Route, rec: Recorded): Answer {
  const model = rec.model ?? 'ok-model';
  switch (r.operation) {
    case 'openai.chat':
      return openaiChat(model, rec.stream);
    case 'openai.responses':
      return openaiResponses(model, rec.stream);
    case 'anthropic.messages':
      return anthropicMessages(model, rec.stream);
    case 'gemini.generate':
      return { status: 200, body: geminiCandidate(model) };
    case 'gemini.stream':
      return rec.query['alt'] === 'sse' ? { status: 200, sse: [data(geminiCandidate(model))] } : { status: 200, body: [geminiCandidate(model)] };
    case 'openai.models':
      return { status: 200, body: { object: 'list', data: [{ id: 'ok-model', object: 'model', created: now(), owned_by: 'loopback' }] } };
    case 'anthropic.models':
      return { status: 200, body: { data: [{ type: 'model', id: 'ok-model', display_name: 'Ok Model', created_at: '2026-01-01T00:00:00Z' }], has_more: false, first_id: 'ok-model', last_id: 'ok-model' } };
    case 'gemini.models':
      return { status: 200, body: { models: [{ name: 'models/ok-model', displayName: 'Ok Model', supportedGenerationMethods: ['generateContent'] }] } };
    case 'unknown':
      return { status: 404, body: { error: { message: `no route for ${rec.method} ${rec.path}`, type: 'invalid_request_error' } } };
  }
}

function send(res: ServerResponse, a: Answer): void {
  if (a.sse) {
    res.writeHead(a.status, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    for (const ev of a.sse) res.write(`${ev}\n\n`);
    res.end();
    return;
  }
  const text = JSON.stringify(a.body);
  res.writeHead(a.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

// ---- the server -----------------------------------------------------------------

export async function startRecordingProvider(): Promise<RecordingProvider> {
  const requests: Recorded[] = [];

  async function record(inc: IncomingMessage, res: ServerResponse, origin: RequestOrigin): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of inc) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> = {};
    try {
      const parsed: unknown = raw === '' ? {} : JSON.parse(raw);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      // Not JSON: nothing to read from it.
    }
    const u = new URL(inc.url ?? '/', 'http://recorder');
    const query = Object.fromEntries(u.searchParams);
    const method = inc.method ?? 'GET';
    const r = route(method, u.pathname, inc.headers, query);
    const bodyModel = typeof body['model'] === 'string' ? body['model'] : undefined;
    const model = r.model ?? bodyModel;
    const credential = credentialOf(inc.headers, query);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(inc.headers)) if (!CREDENTIAL_HEADERS.has(k) && v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const prefix = r.suffix ? u.pathname.slice(0, u.pathname.length - r.suffix.length) : u.pathname;
    const rec: Recorded = {
      scheme: origin.scheme,
      host: origin.host,
      method,
      path: u.pathname,
      query,
      operation: r.operation,
      baseUrl: `${origin.scheme}://${origin.host}${prefix}`,
      ...(model !== undefined ? { model } : {}),
      stream: body['stream'] === true || r.operation === 'gemini.stream',
      userText: lastUserText(body),
      ...(credential ? { credential } : {}),
      headers,
      at: Date.now(),
    };
    requests.push(rec);
    send(res, answer(r, rec));
  }

  const handle = (inc: IncomingMessage, res: ServerResponse, origin: RequestOrigin) => {
    record(inc, res, origin).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
    });
  };

  const server = createServer((inc, res) => handle(inc, res, { scheme: 'http', host: inc.headers.host ?? 'unknown' }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/v1`,
    origin,
    requests,
    handle,
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
