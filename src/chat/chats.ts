import { randomUUID } from 'node:crypto';
import {
  type ChatDidUpdate,
  type ChatHistoryMessage,
  type ChatHistoryResult,
  type ChatModelParam,
  type ChatSendParams,
  type ChatSendResult,
  type ModelRef,
  ServerError,
} from '../protocol/index.js';
import type { ChatDelta, ChatRequest, ChatTurnResult } from '../providers/index.js';
import { foldContext } from './context.js';
import { fitHistory } from './history.js';
import { type ChatStore, newChatId, type StoredChat } from './store.js';

/** A model ready for a turn: its credential found, its limits known. */
export interface PreparedModel {
  /** `generationConfig.contextWindowSize`: the history is fitted to it. */
  contextWindowSize?: number;
  /** Tokens left for the answer (`samplingParams.max_tokens`). */
  reserve?: number;
  /** One streamed turn; never throws for a provider failure (it is the result's `error`). */
  run(request: ChatRequest, onDelta: (d: ChatDelta) => void, signal: AbortSignal): Promise<ChatTurnResult>;
}

/** What chats need of the rest of the server: the config, the providers, the client. */
export interface ChatBackend {
  /** The model a param names, or the effective selection; ModelNotFound / AmbiguousModel otherwise. */
  chooseModel(p: ChatModelParam | undefined): ModelRef;
  /** Throws CredentialMissing (and other ServerErrors) before anything is sent. */
  prepare(model: ModelRef): Promise<PreparedModel>;
  notify(update: ChatDidUpdate): void;
  /** The project folder: context file names are shown relative to it. */
  cwd(): string;
}

/** A turn cancelled before anything was sent: the request answers -32800, and the chat is left as it was. */
export class CancelledBeforeStart extends Error {
  override readonly name = 'CancelledBeforeStart';
}

const TITLE_LENGTH = 60;

function titleFrom(text: string): string {
  const line = text.trim().split('\n')[0]?.trim() ?? '';
  if (!line) return 'New chat';
  return line.length > TITLE_LENGTH ? `${line.slice(0, TITLE_LENGTH - 1)}…` : line;
}

function modelParam(m: ModelRef): ChatModelParam {
  return { authType: m.authType, id: m.id, ...(m.baseUrl ? { baseUrl: m.baseUrl } : {}) };
}

function notFound(chatId: string): ServerError {
  return new ServerError('ChatNotFound', `no chat ${chatId.slice(0, 64)}`, { hint: 'chat/list shows the chats there are; chat/start begins one' });
}

/**
 * Chats and their turns. Turns of one chat run one after the other (a second
 * chat/send waits for the first); different chats stream side by side.
 */
export class Chats {
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Deleted while a turn ran: that turn must not write the chat back. */
  private readonly deleted = new Set<string>();

  constructor(
    private readonly store: ChatStore,
    private readonly backend: ChatBackend,
  ) {}

  /** After the chat's earlier turns; a turn cancelled while it waits is answered at once and never starts. */
  private serial<T>(chatId: string, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    let started = false;
    const run = (this.queues.get(chatId) ?? Promise.resolve()).then(() => {
      if (signal.aborted) throw new CancelledBeforeStart('cancelled before the turn started');
      started = true;
      return work();
    });
    const tail = run.catch(() => undefined);
    this.queues.set(chatId, tail);
    void tail.then(() => {
      if (this.queues.get(chatId) === tail) this.queues.delete(chatId);
    });
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        if (!started) reject(new CancelledBeforeStart('cancelled before the turn started'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      run.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  async start(p: { model?: ChatModelParam | undefined; system?: string | undefined; title?: string | undefined }): Promise<{ chatId: string; model: ModelRef }> {
    const model = this.backend.chooseModel(p.model);
    const now = new Date().toISOString();
    const title = p.title?.trim();
    const chat: StoredChat = {
      version: 1,
      chatId: newChatId(),
      title: title || 'New chat',
      ...(title ? { titled: true } : {}),
      model,
      ...(p.system ? { system: p.system } : {}),
      createdAt: now,
      updatedAt: now,
      messages: [],
    };
    await this.store.put(chat);
    return { chatId: chat.chatId, model };
  }

  send(p: ChatSendParams, signal: AbortSignal): Promise<ChatSendResult> {
    return this.serial(p.chatId, signal, () => this.turn(p, signal));
  }

  private async turn(p: ChatSendParams, signal: AbortSignal): Promise<ChatSendResult> {
    const chat = await this.store.get(p.chatId);
    if (!chat) throw notFound(p.chatId);
    // A switch applies from this turn on, and is kept with the chat once the turn ran.
    const model = p.model ? this.backend.chooseModel(p.model) : chat.model;
    const prepared = await this.backend.prepare(model);
    // Cancelled while it waited for the chat's previous turn.
    if (signal.aborted) throw new CancelledBeforeStart('cancelled before the turn started');
    const turnId = randomUUID();
    const cwd = this.backend.cwd();
    const history = chat.messages.map((m) => ({ role: m.role, text: m.role === 'user' ? foldContext(m.text, m.context, cwd) : m.text }));
    const asked = foldContext(p.text, p.context, cwd);
    const fit = fitHistory([...history, { role: 'user', text: asked }], chat.system, prepared.contextWindowSize, prepared.reserve);
    const warnings: string[] = [];
    if (fit.droppedTurns > 0) {
      const n = fit.droppedTurns;
      warnings.push(
        `the ${n === 1 ? 'oldest turn was' : `${n} oldest turns were`} left out of the request: the chat no longer fits the model's context window (generationConfig.contextWindowSize ${prepared.contextWindowSize} tokens)`,
      );
    }
    const request: ChatRequest = { ...(chat.system ? { system: chat.system } : {}), messages: fit.messages };
    const r = await prepared.run(request, (d) => this.backend.notify({ chatId: chat.chatId, turnId, kind: d.kind, delta: d.delta }), signal);
    const now = new Date().toISOString();
    const user: ChatHistoryMessage = { role: 'user', text: p.text, ...(p.context?.length ? { context: p.context } : {}), turnId };
    const answer: ChatHistoryMessage = {
      role: 'assistant',
      text: r.text,
      ...(r.thinking ? { thinking: r.thinking } : {}),
      turnId,
      stopReason: r.stopReason,
      ...(r.usage ? { usage: r.usage } : {}),
      ...(r.error ? { error: r.error } : {}),
      model: modelParam(model),
    };
    const next: StoredChat = {
      ...chat,
      model,
      ...(chat.titled || chat.messages.length > 0 ? {} : { title: titleFrom(p.text) }),
      updatedAt: now,
      messages: [...chat.messages, user, answer],
    };
    if (!this.deleted.has(chat.chatId)) {
      try {
        await this.store.put(next);
      } catch (err) {
        // The person has the answer already: say that it is not kept, rather than lose it too.
        warnings.push(`this turn could not be saved with the chat: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return {
      turnId,
      stopReason: r.stopReason,
      text: r.text,
      ...(r.thinking ? { thinking: r.thinking } : {}),
      ...(r.usage ? { usage: r.usage } : {}),
      ...(r.rateLimit ? { rateLimit: r.rateLimit } : {}),
      ...(r.error ? { error: r.error } : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }

  async list(): Promise<{ chats: { chatId: string; title: string; model: ModelRef; turns: number; updatedAt: string }[] }> {
    const all = await this.store.all();
    return {
      chats: all.map((c) => ({
        chatId: c.chatId,
        title: c.title,
        model: c.model,
        turns: c.messages.filter((m) => m.role === 'assistant').length,
        updatedAt: c.updatedAt,
      })),
    };
  }

  async history(chatId: string): Promise<ChatHistoryResult> {
    const c = await this.store.get(chatId);
    if (!c) throw notFound(chatId);
    return { chatId: c.chatId, title: c.title, model: c.model, ...(c.system ? { system: c.system } : {}), messages: c.messages };
  }

  async delete(chatId: string): Promise<{ deleted: boolean }> {
    const deleted = await this.store.delete(chatId);
    if (deleted && this.queues.has(chatId)) this.deleted.add(chatId);
    return { deleted };
  }
}
