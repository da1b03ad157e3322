/**
 * openai-responses: the OpenAI Responses API (`POST …/v1/responses`), through
 * the openai SDK's `client.responses`. Qwen Code 0.24 speaks it for
 * `modelProviders["openai-responses"]` entries and for openai entries with
 * `wireApi: "responses"`.
 */
import type OpenAI from 'openai';
import * as z from 'zod/mini';
import type {
  CallOptions,
  ChatRequest,
  ChatTurnResult,
  ListOptions,
  ProbeResult,
  ProviderAdapter,
  ProviderTarget,
  RemoteModel,
  ResolvedModel,
  StreamOptions,
} from './types.js';
import { DEFAULT_OPENAI_BASE_URL } from './util.js';
import { responsesWireBaseUrl } from '../config/index.js';
import { listing, probing } from './shared.js';
import { modelIds, openaiClient } from './openai.js';
import { numberParam, streamingTurn } from './stream-turn.js';

/** Where Qwen Code sends Responses requests (`…/v1`, to which the SDK appends `/responses`). */
export function responsesBaseUrl(t: ProviderTarget): string {
  return responsesWireBaseUrl(t.baseUrl?.trim() || DEFAULT_OPENAI_BASE_URL);
}

/** Qwen OAuth never speaks this wire, so openai.ts's headers are the model's own customHeaders here. */
const client = (t: ProviderTarget, opts: CallOptions): Promise<OpenAI> => openaiClient(t, opts, responsesBaseUrl(t));

/**
 * extra_body as Qwen Code passes it on this wire: without `enable_thinking`
 * (a chat-completions switch the Responses API refuses), which it reads as
 * "reasoning at medium effort, with a summary" instead (buildReasoning,
 * openaiResponsesContentGenerator-MBZKLYFV.js).
 */
function extraFields(m: ResolvedModel): Record<string, unknown> {
  const { enable_thinking: thinking, ...rest } = m.extraBody ?? {};
  if (thinking === true && rest['reasoning'] === undefined) rest['reasoning'] = { effort: 'medium', summary: 'auto' };
  return rest;
}

/** The API refuses a `max_output_tokens` below this. */
const MIN_OUTPUT_TOKENS = 16;

const Count = z.nullish(z.number());
const Usage = z.looseObject({
  input_tokens: Count,
  output_tokens: Count,
  input_tokens_details: z.nullish(z.looseObject({ cached_tokens: Count })),
  output_tokens_details: z.nullish(z.looseObject({ reasoning_tokens: Count })),
});
const ErrorBody = z.looseObject({ message: z.nullish(z.string()), code: z.nullish(z.string()), type: z.nullish(z.string()) });
const Delta = z.looseObject({ delta: z.string() });
const Final = z.looseObject({
  response: z.looseObject({
    status: z.nullish(z.string()),
    usage: z.nullish(Usage),
    incomplete_details: z.nullish(z.looseObject({ reason: z.nullish(z.string()) })),
    error: z.nullish(ErrorBody),
  }),
});
const Event = z.looseObject({ type: z.string() });

/**
 * An error the provider sent inside a stream that had started (HTTP 200). It
 * carries the body as `error`, as the SDKs' own errors do, so that
 * describeError words it like any other provider error.
 */
class StreamError extends Error {
  constructor(readonly error: z.infer<typeof ErrorBody>) {
    super(error.message ?? error.code ?? 'the provider failed the response');
  }
}

type ChatBody = OpenAI.Responses.ResponseCreateParamsStreaming;

function requestBody(m: ResolvedModel, req: ChatRequest): ChatBody {
  const sampling = m.samplingParams;
  const maxOut = numberParam(sampling, 'max_tokens') ?? numberParam(sampling, 'max_output_tokens');
  const temperature = numberParam(sampling, 'temperature');
  const topP = numberParam(sampling, 'top_p');
  // As Qwen Code builds it: extra_body fills only what the request leaves unset.
  return {
    ...extraFields(m),
    model: m.id,
    ...(req.system ? { instructions: req.system } : {}),
    input: req.messages.map((x) => ({ role: x.role, content: x.text })),
    stream: true,
    // Nothing refers back to a stored response.
    store: false,
    ...(maxOut !== undefined ? { max_output_tokens: maxOut } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
    ...(topP !== undefined ? { top_p: topP } : {}),
  } as ChatBody;
}

function streamChat(m: ResolvedModel, req: ChatRequest, opts: StreamOptions): Promise<ChatTurnResult> {
  return streamingTurn(m, responsesBaseUrl(m), opts, async (io) => {
    const c = await client(m, { ...opts, fetch: io.fetch });
    const stream = await c.responses.create(requestBody(m, req), { signal: opts.signal });
    for await (const raw of stream) {
      const ev = Event.safeParse(raw);
      if (!ev.success) continue;
      switch (ev.data.type) {
        case 'response.output_text.delta': {
          const d = Delta.safeParse(raw);
          if (d.success) io.text(d.data.delta);
          break;
        }
        case 'response.reasoning_summary_text.delta':
        case 'response.reasoning_text.delta': {
          const d = Delta.safeParse(raw);
          if (d.success) io.thinking(d.data.delta);
          break;
        }
        case 'response.completed':
        case 'response.incomplete':
        case 'response.failed': {
          const f = Final.safeParse(raw);
          if (!f.success) break;
          const r = f.data.response;
          const u = r.usage;
          if (u) {
            const reasoning = u.output_tokens_details?.reasoning_tokens;
            const cached = u.input_tokens_details?.cached_tokens;
            io.usage({
              inputTokens: u.input_tokens ?? 0,
              outputTokens: u.output_tokens ?? 0,
              ...(typeof reasoning === 'number' ? { reasoningTokens: reasoning } : {}),
              ...(typeof cached === 'number' ? { cachedTokens: cached } : {}),
            });
          }
          if (ev.data.type === 'response.failed') throw new StreamError(r.error ?? { message: 'the response failed' });
          io.stop(ev.data.type === 'response.incomplete' && (r.incomplete_details?.reason ?? 'max_output_tokens') === 'max_output_tokens' ? 'length' : 'end');
          break;
        }
        case 'error': {
          const e = ErrorBody.safeParse(raw);
          throw new StreamError(e.success ? e.data : { message: 'the provider sent an error event' });
        }
      }
    }
  });
}

export const openaiResponsesAdapter: ProviderAdapter = {
  streamChat,

  probe(m: ResolvedModel, opts: CallOptions): Promise<ProbeResult> {
    return probing(m, responsesBaseUrl(m), opts, () => client(m, opts), async (c) => {
      // extra_body goes first so that it cannot change the model, the prompt or the budget.
      await c.responses.create(
        { ...extraFields(m), model: m.id, input: 'ping', max_output_tokens: MIN_OUTPUT_TOKENS, store: false, stream: false } as OpenAI.Responses.ResponseCreateParamsNonStreaming,
        { signal: opts.signal },
      );
    });
  },

  listModels(t: ProviderTarget, opts: ListOptions): Promise<RemoteModel[]> {
    return listing(t, responsesBaseUrl(t), opts, async (limit) => {
      return modelIds(await client(t, opts), opts, limit);
    });
  },
};
