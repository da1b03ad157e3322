/**
 * chat/* (PROTOCOL.md "Chat (v2)"). Loaded on the first chat request, with
 * src/chat: start-up does not pay for either.
 */
import { type CancellationToken, ResponseError } from 'vscode-jsonrpc/node';
import * as z from 'zod/mini';
import { CancelledBeforeStart, type ChatBackend, Chats, ChatStore, chatsDir, type PreparedModel } from '../chat/index.js';
import type { CatalogueModel } from '../config/index.js';
import { type ChatModelParam, type ModelRef, type ParamsOf, type ResultOf, RpcErrorCode, ServerError, scrub } from '../protocol/index.js';
import type { ChatTurnResult } from '../providers/index.js';
import { recordTestVerdict } from './auth.js';
import type { HandlerContext } from './context.js';
import { guarded } from './egress.js';
import { findModel } from './model.js';
import { type ProviderDeps, resolveForRequest } from './provider.js';
import type { RemoteModelEntry } from './views.js';

export interface ChatDeps {
  ctx: HandlerContext;
  providers: ProviderDeps;
  remote: () => RemoteModelEntry[];
  processEnv: NodeJS.ProcessEnv;
  cwd: string;
  secrets: () => Iterable<string>;
}

// generationConfig is a loose object in settings: read what chats use with its own checks.
const ChatGeneration = z.looseObject({
  samplingParams: z.optional(z.record(z.string(), z.unknown())),
  contextWindowSize: z.optional(z.number().check(z.positive())),
  reasoning: z.optional(z.union([z.literal(false), z.looseObject({ budget_tokens: z.optional(z.int().check(z.positive())) })])),
});

function generationOf(m: CatalogueModel): z.infer<typeof ChatGeneration> {
  const r = ChatGeneration.safeParse(m.config?.generationConfig ?? {});
  return r.success ? r.data : {};
}

/**
 * What the provider said about the credential goes to auth/status's
 * `verified` (and auth/didChange when that changes), as model/test's does:
 * an answer means accepted, an `unauthorized` error refused, anything else nothing.
 */
function noteVerdict(ctx: HandlerContext, m: CatalogueModel, r: ChatTurnResult): void {
  const ok = r.stopReason === 'end' || r.stopReason === 'length';
  if (!ok && r.error?.code !== 'unauthorized') return;
  recordTestVerdict(ctx, () => m, { ok, latencyMs: 0, ...(r.error ? { error: r.error } : {}) });
}

function signalOf(token: CancellationToken): AbortSignal {
  const ac = new AbortController();
  if (token.isCancellationRequested) ac.abort();
  else token.onCancellationRequested(() => ac.abort());
  return ac.signal;
}

function backend(d: ChatDeps): ChatBackend {
  const g = () => d.ctx.state.graph;
  return {
    cwd: () => d.cwd,
    notify: (u) => d.ctx.notifier.notify('chat/didUpdate', u),
    chooseModel(p: ChatModelParam | undefined): ModelRef {
      if (!p) {
        const sel = g().selection;
        if (!sel) {
          throw new ServerError('ModelNotFound', 'no model is selected', { hint: 'choose one with model/select, or name one in chat/start' });
        }
        return sel;
      }
      const m = findModel(g(), p, d.remote());
      return { authType: m.authType, id: m.id, ...(m.baseUrl ? { baseUrl: m.baseUrl } : {}), source: m.source };
    },
    async prepare(ref: ModelRef): Promise<PreparedModel> {
      const graph = g();
      const m = findModel(graph, ref, d.remote());
      const resolved = await resolveForRequest(graph, m, d.providers);
      const gen = generationOf(m);
      if (gen.samplingParams) resolved.samplingParams = gen.samplingParams;
      if (gen.reasoning && gen.reasoning.budget_tokens) resolved.thinkingBudget = gen.reasoning.budget_tokens;
      const { adapterFor } = await import('../providers/index.js');
      const adapter = adapterFor(resolved.authType);
      const maxTokens = gen.samplingParams?.['max_tokens'];
      return {
        ...(gen.contextWindowSize ? { contextWindowSize: gen.contextWindowSize } : {}),
        ...(typeof maxTokens === 'number' ? { reserve: maxTokens } : {}),
        run: async (request, onDelta, signal) => {
          if (!adapter.streamChat) {
            return { stopReason: 'error', text: '', error: { code: 'internal', message: `chat turns with ${resolved.authType} models are not available in this server version` } };
          }
          const stream = adapter.streamChat.bind(adapter);
          const r = await guarded(d.providers.egress, (call) =>
            stream(resolved, request, { fetch: call.fetch, signal: AbortSignal.any([call.signal, signal]), onDelta }),
          );
          noteVerdict(d.ctx, m, r);
          return r;
        },
      };
    },
  };
}

export interface ChatHandlers {
  start(p: ParamsOf<'chat/start'>): Promise<ResultOf<'chat/start'>>;
  send(p: ParamsOf<'chat/send'>, token: CancellationToken): Promise<ResultOf<'chat/send'>>;
  list(): Promise<ResultOf<'chat/list'>>;
  history(p: ParamsOf<'chat/history'>): Promise<ResultOf<'chat/history'>>;
  delete(p: ParamsOf<'chat/delete'>): Promise<ResultOf<'chat/delete'>>;
}

export function createChatHandlers(d: ChatDeps): ChatHandlers {
  const store = new ChatStore(chatsDir(d.processEnv), (json) => scrub(json, d.secrets()));
  const chats = new Chats(store, backend(d));
  return {
    start: (p) => chats.start(p),
    send: async (p, token) => {
      try {
        return await chats.send(p, signalOf(token));
      } catch (err) {
        if (err instanceof CancelledBeforeStart) throw new ResponseError(RpcErrorCode.RequestCancelled, 'request cancelled');
        throw err;
      }
    },
    list: () => chats.list(),
    history: (p) => chats.history(p.chatId),
    delete: (p) => chats.delete(p.chatId),
  };
}
