import type { ChatMessage } from '../providers/index.js';

/** A rough count, as editors' and Qwen Code's own fallbacks estimate: about four characters a token. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export interface FitResult {
  messages: ChatMessage[];
  /** How many earlier turns (a user message and its answer) were left out. */
  droppedTurns: number;
}

/**
 * The history that fits `contextWindowSize` tokens (with `reserve` left for
 * the answer): the oldest turns go first, the new message always stays.
 * Messages alternate user / assistant once empty answers (a failed turn)
 * are left out and neighbours of one role are joined: every API accepts that.
 */
export function fitHistory(all: readonly ChatMessage[], system: string | undefined, contextWindowSize?: number, reserve = 0): FitResult {
  const messages = normalise(all);
  if (!contextWindowSize || contextWindowSize <= 0) return { messages, droppedTurns: 0 };
  const budget = contextWindowSize - (reserve < contextWindowSize ? reserve : 0) - estimateTokens(system ?? '');
  let used = messages.reduce((n, m) => n + estimateTokens(m.text), 0);
  let start = 0;
  let dropped = 0;
  // Leave out whole turns, oldest first, while more than the new message is left.
  while (used > budget && messages.length - start > 1) {
    used -= estimateTokens(messages[start]!.text);
    start++;
    if (messages[start]?.role === 'assistant') {
      used -= estimateTokens(messages[start]!.text);
      start++;
    }
    dropped++;
  }
  return { messages: messages.slice(start), droppedTurns: dropped };
}

function normalise(all: readonly ChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of all) {
    if (m.role === 'assistant' && m.text === '') continue;
    const last = out[out.length - 1];
    if (last && last.role === m.role) out[out.length - 1] = { role: m.role, text: `${last.text}\n\n${m.text}` };
    else out.push({ role: m.role, text: m.text });
  }
  // The APIs want a user message first.
  while (out[0]?.role === 'assistant') out.shift();
  return out;
}
