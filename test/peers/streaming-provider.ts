/**
 * A loopback provider that streams chat answers over SSE in the three wire
 * formats the adapters speak, closely enough for the real SDKs to parse:
 *
 *   OpenAI     POST …/v1/chat/completions (stream: true; `reasoning_content` deltas for thinking)
 *   Anthropic  POST /v1/messages (stream: true; thinking blocks)
 *   Gemini     POST /{ver}/models/{m}:streamGenerateContent?alt=sse (thought parts),
 *              Vertex AI's …/publishers/google/models/{m}:streamGenerateContent too
 *
 * Each request plays a `StreamScript`: the pieces of text (and thinking) to
 * send, the usage to report, the finish reason, a pace, an error event part
 * way through, or a stop that holds the connection open (cancellation tests).
 * Every request is recorded with when its connection closed.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback.js';

export type WireFormat = 'openai' | 'anthropic' | 'gemini';

export interface StreamScript {
  text: string[];
  thinking?: string[];
  usage?: { input: number; output: number; reasoning?: number; cached?: number };
  /** Default `end`. */
  finish?: 'end' | 'length';
  /** Pause between two events (thinking and text pieces); 0 sends them back to back. */
  intervalMs?: number;
  /** Pieces a second, sent in batches every 10 ms (bench); wins over intervalMs. */
  ratePerSec?: number;
  /** After this many text pieces, an error event in the stream's own format, then the end. */
  errorAfter?: number;
  /** After this many text pieces, send nothing more and keep the connection open. */
  hangAfter?: number;
  /** An HTTP error status instead of a stream (with the format's error body). */
  status?: number;
  /** Wait this long before answering at all (headers included). */
  delayMs?: number;
  headers?: Record<string, string>;
}

export interface StreamedRequest {
  format: WireFormat;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  /** The key as the format carries it. */
  apiKey: string | undefined;
  /** When (Date.now()) the connection of this request closed, and whether the answer had been sent whole. */
  closedAt?: number;
  completed: boolean;
  /** When the last piece was written. */
  lastWriteAt?: number;
  /** performance.now() when each text piece was written (benchmarks: latency per delta). */
  textAt: number[];
  /** performance.now() when the request arrived. */
  receivedAt: number;
}

export interface StreamingPeer {
  /** `http://127.0.0.1:PORT/v1` (OpenAI); the Anthropic adapter accepts it too. */
  url: string;
  /** `http://127.0.0.1:PORT` (Gemini, Vertex AI). */
  origin: string;
  requests: StreamedRequest[];
  setScript(s: StreamScript | ((r: StreamedRequest) => StreamScript)): void;
  /** Resolves when request `i`'s connection has closed (its `closedAt`). */
  closedPromise(i: number): Promise<number>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function formatOf(method: string, path: string): WireFormat | undefined {
  if (method !== 'POST') return undefined;
  if (/\/v1\/chat\/completions$/.test(path)) return 'openai';
  if (path === '/v1/messages') return 'anthropic';
  if (/\/models\/[^/:]+:streamGenerateContent$/.test(path)) return 'gemini';
  return undefined;
}

function keyOf(format: WireFormat, req: IncomingMessage, query: URLSearchParams): string | undefined {
  if (format === 'openai') return /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
  if (format === 'anthropic') return String(req.headers['x-api-key'] ?? '') || /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
  return String(req.headers['x-goog-api-key'] ?? '') || query.get('key') || undefined;
}

function errorBody(format: WireFormat, status: number, message: string): unknown {
  if (format === 'openai') return { error: { message, type: status === 401 ? 'invalid_request_error' : 'server_error', code: status === 401 ? 'invalid_api_key' : null } };
  if (format === 'anthropic') return { type: 'error', error: { type: status === 401 ? 'authentication_error' : 'api_error', message } };
  return { error: { code: status, message, status: status === 401 ? 'UNAUTHENTICATED' : 'INTERNAL' } };
}

/** The events of one answer in a format, as SSE frames (without the blank line). */
class Frames {
  constructor(
    private readonly format: WireFormat,
    private readonly model: string,
  ) {}
  private n = 0;

  start(s: StreamScript): string[] {
    if (this.format === 'anthropic') {
      return [
        this.ev('message_start', {
          type: 'message_start',
          message: {
            id: 'msg_loopback',
            type: 'message',
            role: 'assistant',
            content: [],
            model: this.model,
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: s.usage?.input ?? 0, output_tokens: 1 },
          },
        }),
      ];
    }
    if (this.format === 'openai') return [this.openai({ role: 'assistant', content: '' }, null)];
    return [];
  }

  thinking(piece: string, first: boolean): string[] {
    if (this.format === 'openai') return [this.openai({ reasoning_content: piece }, null)];
    if (this.format === 'anthropic') {
      const open = first ? [this.ev('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } })] : [];
      return [...open, this.ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: piece } })];
    }
    return [this.gemini([{ text: piece, thought: true }])];
  }

  text(piece: string, first: boolean, hadThinking: boolean): string[] {
    if (this.format === 'openai') return [this.openai({ content: piece }, null)];
    if (this.format === 'anthropic') {
      const index = hadThinking ? 1 : 0;
      const open = first
        ? [
            ...(hadThinking ? [this.ev('content_block_stop', { type: 'content_block_stop', index: 0 })] : []),
            this.ev('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }),
          ]
        : [];
      return [...open, this.ev('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } })];
    }
    return [this.gemini([{ text: piece }])];
  }

  end(s: StreamScript, hadThinking: boolean): string[] {
    const u = s.usage ?? { input: 0, output: 0 };
    const length = s.finish === 'length';
    if (this.format === 'openai') {
      return [
        this.openai({}, length ? 'length' : 'stop'),
        `data: ${JSON.stringify({
          id: 'chatcmpl-loopback',
          object: 'chat.completion.chunk',
          created: 1_700_000_000,
          model: this.model,
          choices: [],
          usage: {
            prompt_tokens: u.input,
            completion_tokens: u.output,
            total_tokens: u.input + u.output,
            ...(u.reasoning !== undefined ? { completion_tokens_details: { reasoning_tokens: u.reasoning } } : {}),
            ...(u.cached !== undefined ? { prompt_tokens_details: { cached_tokens: u.cached } } : {}),
          },
        })}`,
        'data: [DONE]',
      ];
    }
    if (this.format === 'anthropic') {
      return [
        this.ev('content_block_stop', { type: 'content_block_stop', index: hadThinking ? 1 : 0 }),
        this.ev('message_delta', { type: 'message_delta', delta: { stop_reason: length ? 'max_tokens' : 'end_turn', stop_sequence: null }, usage: { output_tokens: u.output } }),
        this.ev('message_stop', { type: 'message_stop' }),
      ];
    }
    return [
      `data: ${JSON.stringify({
        candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: length ? 'MAX_TOKENS' : 'STOP', index: 0 }],
        usageMetadata: {
          promptTokenCount: u.input,
          candidatesTokenCount: u.output,
          totalTokenCount: u.input + u.output + (u.reasoning ?? 0),
          ...(u.reasoning !== undefined ? { thoughtsTokenCount: u.reasoning } : {}),
          ...(u.cached !== undefined ? { cachedContentTokenCount: u.cached } : {}),
        },
        modelVersion: this.model,
      })}`,
    ];
  }

  error(): string[] {
    if (this.format === 'openai') return [`data: ${JSON.stringify({ error: { message: 'the model crashed while answering', type: 'server_error', code: 'internal_error' } })}`];
    if (this.format === 'anthropic') return [this.ev('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })];
    return [`data: ${JSON.stringify({ error: { code: 500, message: 'the model crashed while answering', status: 'INTERNAL' } })}`];
  }

  private ev(name: string, data: unknown): string {
    return `event: ${name}\ndata: ${JSON.stringify(data)}`;
  }

  private openai(delta: unknown, finish: string | null): string {
    return `data: ${JSON.stringify({ id: 'chatcmpl-loopback', object: 'chat.completion.chunk', created: 1_700_000_000, model: this.model, choices: [{ index: 0, delta, finish_reason: finish }] })}`;
  }

  private gemini(parts: unknown[]): string {
    this.n++;
    return `data: ${JSON.stringify({ candidates: [{ content: { parts, role: 'model' }, index: 0 }], modelVersion: this.model })}`;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startStreamingPeer(opts: { keys?: string[]; script?: StreamScript } = {}): Promise<StreamingPeer> {
  const requests: StreamedRequest[] = [];
  const waiters = new Map<number, ((at: number) => void)[]>();
  let script: StreamScript | ((r: StreamedRequest) => StreamScript) = opts.script ?? { text: ['Hello', ', ', 'world', '.'], usage: { input: 5, output: 4 } };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = performance.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const format = formatOf(req.method ?? 'GET', url.pathname);
    const raw = await readBody(req);
    if (!format) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${url.pathname}` } }));
      return;
    }
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    const rec: StreamedRequest = { format, path: url.pathname, headers: req.headers, body, apiKey: keyOf(format, req, url.searchParams), completed: false, textAt: [], receivedAt };
    const index = requests.push(rec) - 1;
    res.on('close', () => {
      rec.closedAt = Date.now();
      for (const w of waiters.get(index) ?? []) w(rec.closedAt);
      waiters.delete(index);
    });
    const s = typeof script === 'function' ? script(rec) : script;
    const json = (status: number, b: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', ...(s.headers ?? {}) }).end(JSON.stringify(b));
      rec.completed = true;
    };
    if (s.delayMs) await sleep(s.delayMs);
    if (res.destroyed) return;
    if (opts.keys && (!rec.apiKey || !opts.keys.includes(rec.apiKey))) return json(401, errorBody(format, 401, 'Incorrect API key provided.'));
    if (s.status) return json(s.status, errorBody(format, s.status, `loopback error ${s.status}`));
    const model = format === 'gemini' ? decodeURIComponent(/\/models\/([^/:]+):/.exec(url.pathname)?.[1] ?? '') : String(body?.model ?? '');
    const f = new Frames(format, model);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...(s.headers ?? {}) });
    res.flushHeaders();
    const send = (frames: string[]) => {
      if (frames.length === 0) return;
      res.write(frames.map((x) => `${x}\n\n`).join(''));
      rec.lastWriteAt = Date.now();
    };
    const events: (() => string[])[] = [];
    const thinking = s.thinking ?? [];
    thinking.forEach((t, i) => events.push(() => f.thinking(t, i === 0)));
    const textEvent = (t: string, i: number) => () => {
      rec.textAt.push(performance.now());
      return f.text(t, i === 0, thinking.length > 0);
    };
    let stopAt: 'error' | 'hang' | undefined;
    for (const [i, t] of s.text.entries()) {
      if (s.errorAfter === i) {
        stopAt = 'error';
        break;
      }
      if (s.hangAfter === i) {
        stopAt = 'hang';
        break;
      }
      events.push(textEvent(t, i));
    }
    send(f.start(s));
    if (s.ratePerSec) {
      // Every 10 ms (or as soon as the timer fires), all the pieces due by now: the rate holds whatever the timer's drift.
      const t0 = performance.now();
      let i = 0;
      while (i < events.length && !res.destroyed) {
        const due = Math.min(events.length, Math.floor(((performance.now() - t0) / 1000) * s.ratePerSec) + 1);
        if (due > i) {
          send(events.slice(i, due).flatMap((e) => e()));
          i = due;
        }
        await sleep(10);
      }
    } else {
      for (const e of events) {
        if (res.destroyed) return;
        send(e());
        if (s.intervalMs) await sleep(s.intervalMs);
      }
    }
    if (res.destroyed) return;
    if (stopAt === 'hang') return;
    if (stopAt === 'error') send(f.error());
    else send(f.end(s, thinking.length > 0));
    rec.completed = true;
    res.end();
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    });
  });
  const loopback = await listenOnLoopback(server);
  const { origin } = loopback;
  return {
    url: `${origin}/v1`,
    origin,
    requests,
    setScript: (s) => {
      script = s;
    },
    closedPromise: (i) => {
      const r = requests[i];
      if (r?.closedAt !== undefined) return Promise.resolve(r.closedAt);
      return new Promise((resolve) => waiters.set(i, [...(waiters.get(i) ?? []), resolve]));
    },
    close: () => loopback.close(),
  };
}
