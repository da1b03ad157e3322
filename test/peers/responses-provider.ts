/**
 * A loopback OpenAI Responses API: `POST …/v1/responses` (JSON, or SSE with
 * `stream: true`) and `GET …/v1/models`, close enough to api.openai.com for
 * the real openai SDK, errors included: a key not in `keys` gets 401 (the key
 * echoed, as some servers do, so tests prove it is scrubbed), a model not in
 * `models` 404 `model_not_found`, and `max_output_tokens` below 16 a 400, as
 * OpenAI answers.
 *
 * A stream is scripted with `setScript`: the events to send (each written as
 * `event: <type>` + `data: <json>`), and optionally where to stop and hang, so
 * that a test can abort a turn half-way.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { answering, listenOnLoopback } from './loopback.js';
import { errorAnswer } from './provider-server.js';

export interface ResponsesRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  apiKey?: string;
}

export interface StreamScript {
  /** Events without `sequence_number` (added in order). */
  events: Record<string, unknown>[];
  /** Send this many events, then keep the connection open without ending it. */
  hangAfter?: number;
}

export interface ResponsesProviderOptions {
  keys?: string[];
  models?: string[];
}

export interface ResponsesProvider {
  /** `http://127.0.0.1:PORT/v1`. */
  url: string;
  origin: string;
  requests: ResponsesRequest[];
  /** What the next streams send; the default one streams "Pong" and completes. */
  setScript(s: ((req: ResponsesRequest) => StreamScript | undefined) | undefined): void;
  close(): Promise<void>;
}

export const RESPONSES_MODELS = ['gpt-5-mini', 'o4-mini'];

/** The events of a text answer, as OpenAI streams it, ending with `final` (`response.completed` by default). */
export function textEvents(model: string, parts: string[], opts: { reasoning?: string[]; final?: Record<string, unknown> } = {}): Record<string, unknown>[] {
  const id = `resp_${randomUUID().replace(/-/g, '')}`;
  const msgId = `msg_${randomUUID().replace(/-/g, '')}`;
  const base = { id, object: 'response', created_at: Math.floor(Date.now() / 1000), model, output: [], status: 'in_progress' };
  const text = parts.join('');
  const events: Record<string, unknown>[] = [
    { type: 'response.created', response: base },
    { type: 'response.in_progress', response: base },
  ];
  if (opts.reasoning) {
    const rsId = `rs_${randomUUID().replace(/-/g, '')}`;
    events.push({ type: 'response.output_item.added', output_index: 0, item: { id: rsId, type: 'reasoning', summary: [] } });
    events.push({ type: 'response.reasoning_summary_part.added', item_id: rsId, output_index: 0, summary_index: 0, part: { type: 'summary_text', text: '' } });
    for (const d of opts.reasoning) events.push({ type: 'response.reasoning_summary_text.delta', item_id: rsId, output_index: 0, summary_index: 0, delta: d });
    events.push({ type: 'response.reasoning_summary_text.done', item_id: rsId, output_index: 0, summary_index: 0, text: opts.reasoning.join('') });
  }
  const out = opts.reasoning ? 1 : 0;
  events.push({ type: 'response.output_item.added', output_index: out, item: { id: msgId, type: 'message', status: 'in_progress', role: 'assistant', content: [] } });
  events.push({ type: 'response.content_part.added', item_id: msgId, output_index: out, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
  for (const p of parts) events.push({ type: 'response.output_text.delta', item_id: msgId, output_index: out, content_index: 0, delta: p, logprobs: [] });
  events.push({ type: 'response.output_text.done', item_id: msgId, output_index: out, content_index: 0, text, logprobs: [] });
  events.push({
    type: 'response.output_item.done',
    output_index: out,
    item: { id: msgId, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] },
  });
  events.push(
    opts.final ?? {
      type: 'response.completed',
      response: {
        ...base,
        status: 'completed',
        output: [{ id: msgId, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }],
        usage: { input_tokens: 12, input_tokens_details: { cached_tokens: 4 }, output_tokens: 9, output_tokens_details: { reasoning_tokens: 3 }, total_tokens: 21 },
      },
    },
  );
  return events;
}

function responseObject(model: string, maxOut: number | undefined): Record<string, unknown> {
  const text = 'Pong';
  return {
    id: `resp_${randomUUID().replace(/-/g, '')}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'completed',
    model,
    output: [{ id: `msg_${randomUUID().replace(/-/g, '')}`, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }],
    max_output_tokens: maxOut ?? null,
    usage: { input_tokens: 8, input_tokens_details: { cached_tokens: 0 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 10 },
  };
}

export async function startResponsesProvider(opts: ResponsesProviderOptions = {}): Promise<ResponsesProvider> {
  const models = opts.models ?? RESPONSES_MODELS;
  const requests: ResponsesRequest[] = [];
  let script: ((req: ResponsesRequest) => StreamScript | undefined) | undefined;

  function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  async function handle(inc: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of inc) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> = {};
    try {
      const parsed: unknown = raw ? JSON.parse(raw) : {};
      if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
    } catch {
      // Not JSON: an empty body.
    }
    const path = new URL(inc.url ?? '/', 'http://loopback').pathname;
    const apiKey = /^Bearer\s+(.+)$/i.exec(String(inc.headers.authorization ?? ''))?.[1];
    const req: ResponsesRequest = { method: inc.method ?? 'GET', path, headers: inc.headers, body, ...(apiKey ? { apiKey } : {}) };
    requests.push(req);
    const fail = (a: ReturnType<typeof errorAnswer>) => json(res, a.status, a.body, a.headers);

    const isResponses = req.method === 'POST' && /\/v1\/responses$/.test(path);
    const isModels = req.method === 'GET' && /\/v1\/models$/.test(path);
    if (!isResponses && !isModels) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`no route for ${req.method} ${path}`);
      return;
    }
    if (!apiKey || (opts.keys && !opts.keys.includes(apiKey))) {
      return fail(
        errorAnswer('openai', 401, apiKey ? `Incorrect API key provided: ${apiKey}. You can find your API key at https://platform.openai.com/account/api-keys.` : "You didn't provide an API key.", {
          code: 'invalid_api_key',
        }),
      );
    }
    if (isModels) {
      return json(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'system' })) });
    }
    const model = typeof body['model'] === 'string' ? body['model'] : '';
    if (!models.includes(model)) {
      return fail(errorAnswer('openai', 404, `The model \`${model}\` does not exist or you do not have access to it.`, { code: 'model_not_found' }));
    }
    const maxOut = body['max_output_tokens'];
    if (typeof maxOut === 'number' && maxOut < 16) {
      return fail(errorAnswer('openai', 400, `Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got ${maxOut} instead.`, { code: 'integer_below_min_value' }));
    }
    if (body['stream'] !== true) return json(res, 200, responseObject(model, typeof maxOut === 'number' ? maxOut : undefined));

    const s = script?.(req) ?? { events: textEvents(model, ['Po', 'ng']) };
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-ratelimit-remaining-requests': '99' });
    const upTo = s.hangAfter ?? s.events.length;
    s.events.slice(0, upTo).forEach((ev, n) => {
      res.write(`event: ${String(ev['type'])}\ndata: ${JSON.stringify({ ...ev, sequence_number: n })}\n\n`);
    });
    if (s.hangAfter === undefined) res.end();
  }

  const loopback = await listenOnLoopback(createServer(answering(handle)));
  const { origin } = loopback;
  return {
    url: `${origin}/v1`,
    origin,
    requests,
    setScript(s) {
      script = s;
    },
    close: () => loopback.close(),
  };
}
