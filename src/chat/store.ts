import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { ChatHistoryMessage, ChatId, ModelRef } from '../protocol/index.js';
import { stateDir, writes } from '../config/index.js';

/** One chat as its file holds it. No key is ever part of it: the model is named, its credential looked up per turn. */
export const StoredChat = z.object({
  version: z.literal(1),
  chatId: ChatId,
  title: z.string(),
  /** Whether the title was given (chat/start) rather than taken from the first message. */
  titled: z.optional(z.boolean()),
  model: ModelRef,
  system: z.optional(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  messages: z.array(ChatHistoryMessage),
});
export type StoredChat = z.infer<typeof StoredChat>;

/** `$XDG_STATE_HOME/qwen-agent-server/chats`, else `~/.local/state/qwen-agent-server/chats`. */
export function chatsDir(env: NodeJS.ProcessEnv): string {
  return join(stateDir(env), 'chats');
}

export function newChatId(): string {
  return randomUUID();
}

/**
 * Chats on disk, one JSON file each, written atomically with mode 0600 (the
 * text of a chat is the person's own). `scrub` runs over every file before
 * it is written, so a secret that found its way into a chat (a key in a
 * model's base URL, say) never reaches the disk whole.
 */
export class ChatStore {
  /**
   * The chats this process read or wrote, with the size and time of their
   * file then: a turn starts without reading the file again unless another
   * process changed it (a stat, without the thread pool, is all it costs).
   */
  private readonly cache = new Map<string, { chat: StoredChat; size: number; mtimeMs: number }>();

  constructor(
    readonly dir: string,
    private readonly scrub: (json: string) => string,
  ) {}

  private remember(chat: StoredChat, path: string): void {
    try {
      const st = statSync(path);
      this.cache.set(chat.chatId, { chat, size: st.size, mtimeMs: st.mtimeMs });
    } catch {
      this.cache.delete(chat.chatId);
    }
  }

  private path(chatId: string): string {
    // ChatId's pattern keeps the name inside the folder.
    return join(this.dir, `${ChatId.parse(chatId)}.json`);
  }

  /** The chat, or undefined when there is none (or its file is not a chat: it is left alone). */
  async get(chatId: string): Promise<StoredChat | undefined> {
    if (!ChatId.safeParse(chatId).success) return undefined;
    const path = this.path(chatId);
    const known = this.cache.get(chatId);
    if (known) {
      try {
        const st = statSync(path);
        if (st.size === known.size && st.mtimeMs === known.mtimeMs) return known.chat;
      } catch {
        this.cache.delete(chatId);
        return undefined;
      }
    }
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
    const parsed = StoredChat.safeParse(parseJson(text));
    if (!parsed.success || parsed.data.chatId !== chatId) return undefined;
    this.remember(parsed.data, path);
    return parsed.data;
  }

  async put(chat: StoredChat): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const { writeFileAtomic } = await writes();
    const path = this.path(chat.chatId);
    const text = this.scrub(JSON.stringify(chat));
    this.cache.delete(chat.chatId);
    // The state folder is ours alone and nobody watches it: no scratch folder in it.
    await writeFileAtomic(path, `${text}\n`, { mode: 0o600, beside: true });
    // The next turn starts from what was written (scrubbed), as a restarted server would.
    this.remember(JSON.parse(text) as StoredChat, path);
  }

  async delete(chatId: string): Promise<boolean> {
    if (!ChatId.safeParse(chatId).success) return false;
    this.cache.delete(chatId);
    try {
      await unlink(this.path(chatId));
      return true;
    } catch {
      return false;
    }
  }

  /** Every readable chat, newest first; files that are not chats are skipped. */
  async all(): Promise<StoredChat[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const ids = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length));
    const chats = await Promise.all(ids.map((id) => this.get(id)));
    return chats.filter((c): c is StoredChat => c !== undefined).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
