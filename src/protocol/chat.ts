/** The chat methods (PROTOCOL.md "Chat (v2)"): turns with any configured model, kept by the server. */
import * as z from 'zod/mini';
import { AuthType, ModelRef, Warnings } from './common.js';

/** Params are objects; `undefined` (no params at all) counts as `{}`. */
const params = <T extends z.core.$ZodLooseShape>(shape: T) => z.pipe(z.transform((v: unknown) => v ?? {}), z.object(shape));

/** A chat id names a file: nothing but these characters can reach the file system. */
export const ChatId = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a chat id'));

/** What a client names a model by: as model/test. */
export const ChatModelParam = z.object({
  authType: AuthType,
  id: z.string().check(z.minLength(1)),
  baseUrl: z.optional(z.string()),
});
export type ChatModelParam = z.infer<typeof ChatModelParam>;

const Position = z.object({ line: z.int().check(z.minimum(0)), character: z.int().check(z.minimum(0)) });
export const LspRange = z.object({ start: Position, end: Position });

/** Editor text a turn is about; sent to the model with its file name and language. */
export const ContextItem = z.object({
  uri: z.optional(z.string().check(z.maxLength(4096))),
  languageId: z.optional(z.string().check(z.maxLength(100))),
  text: z.string(),
  range: z.optional(LspRange),
});
export type ContextItem = z.infer<typeof ContextItem>;

export const ChatUsage = z.object({
  inputTokens: z.number(),
  outputTokens: z.number(),
  reasoningTokens: z.optional(z.number()),
  cachedTokens: z.optional(z.number()),
});
export const ChatRateLimit = z.object({
  remainingRequests: z.optional(z.number()),
  remainingTokens: z.optional(z.number()),
  resetAt: z.optional(z.string()),
});
export const StopReason = z.enum(['end', 'length', 'cancelled', 'error']);
export type StopReason = z.infer<typeof StopReason>;
export const TurnError = z.object({ code: z.string(), message: z.string(), status: z.optional(z.number()) });

export const ChatStartParams = params({
  model: z.optional(ChatModelParam),
  system: z.optional(z.string()),
  title: z.optional(z.string().check(z.maxLength(500))),
});
export const ChatStartResult = z.object({ chatId: z.string(), model: ModelRef, warnings: Warnings });

export const ChatSendParams = params({
  chatId: ChatId,
  text: z.string(),
  context: z.optional(z.array(ContextItem)),
  model: z.optional(ChatModelParam),
});
export type ChatSendParams = z.infer<typeof ChatSendParams>;
export const ChatSendResult = z.object({
  turnId: z.string(),
  stopReason: StopReason,
  text: z.string(),
  thinking: z.optional(z.string()),
  usage: z.optional(ChatUsage),
  rateLimit: z.optional(ChatRateLimit),
  error: z.optional(TurnError),
  warnings: Warnings,
});
export type ChatSendResult = z.infer<typeof ChatSendResult>;

export const ChatListParams = params({});
export const ChatSummary = z.object({
  chatId: z.string(),
  title: z.string(),
  model: ModelRef,
  turns: z.number(),
  updatedAt: z.string(),
});
export const ChatListResult = z.object({ chats: z.array(ChatSummary), warnings: Warnings });

export const ChatHistoryParams = params({ chatId: ChatId });
export const ChatHistoryMessage = z.object({
  role: z.enum(['user', 'assistant']),
  text: z.string(),
  thinking: z.optional(z.string()),
  context: z.optional(z.array(ContextItem)),
  turnId: z.optional(z.string()),
  stopReason: z.optional(StopReason),
  usage: z.optional(ChatUsage),
  error: z.optional(TurnError),
  /** The model of that turn, when the chat switched models. */
  model: z.optional(ChatModelParam),
});
export type ChatHistoryMessage = z.infer<typeof ChatHistoryMessage>;
export const ChatHistoryResult = z.object({
  chatId: z.string(),
  title: z.string(),
  model: ModelRef,
  system: z.optional(z.string()),
  messages: z.array(ChatHistoryMessage),
  warnings: Warnings,
});
export type ChatHistoryResult = z.infer<typeof ChatHistoryResult>;

export const ChatDeleteParams = params({ chatId: ChatId });
export const ChatDeleteResult = z.object({ deleted: z.boolean(), warnings: Warnings });

/** Streamed while a chat/send runs: in order, without loss; a turn's `text` deltas add up to its `text`. */
export const ChatDidUpdate = z.object({
  chatId: z.string(),
  turnId: z.string(),
  kind: z.enum(['text', 'thinking']),
  delta: z.string(),
});
export type ChatDidUpdate = z.infer<typeof ChatDidUpdate>;

export const ChatRequests = {
  'chat/start': { params: ChatStartParams, result: ChatStartResult },
  'chat/send': { params: ChatSendParams, result: ChatSendResult },
  'chat/list': { params: ChatListParams, result: ChatListResult },
  'chat/history': { params: ChatHistoryParams, result: ChatHistoryResult },
  'chat/delete': { params: ChatDeleteParams, result: ChatDeleteResult },
} as const;
