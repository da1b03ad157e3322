import { createHash } from 'node:crypto';
import type { Region } from '../protocol/index.js';
import type { ModelConfig } from '../config/index.js';

export const CODING_PLAN_ENV_KEY = 'BAILIAN_CODING_PLAN_API_KEY';

export const CODING_PLAN_BASE_URL: Record<Region, string> = {
  china: 'https://coding.dashscope.aliyuncs.com/v1',
  global: 'https://coding-intl.dashscope.aliyuncs.com/v1',
};

/** The model Qwen Code selects after a Coding Plan login. */
export const CODING_PLAN_DEFAULT_MODEL = 'qwen3.5-plus';

const PLAN_MODELS: { id: string; thinking: boolean }[] = [
  { id: 'qwen3.5-plus', thinking: true },
  { id: 'qwen3.6-plus', thinking: true },
  { id: 'glm-5', thinking: true },
  { id: 'kimi-k2.5', thinking: true },
  { id: 'MiniMax-M2.5', thinking: false },
  { id: 'qwen3-coder-plus', thinking: false },
  { id: 'qwen3-coder-next', thinking: false },
  { id: 'qwen3-max-2026-01-23', thinking: true },
  { id: 'glm-4.7', thinking: true },
];

/** The plan's entries for `modelProviders.openai`, in Qwen Code's shape. */
export function codingPlanModels(region: Region): ModelConfig[] {
  return PLAN_MODELS.map(({ id, thinking }) => ({
    id,
    name: `${id} (Coding Plan)`,
    baseUrl: CODING_PLAN_BASE_URL[region],
    description: `${id} from the Alibaba Cloud Coding Plan${region === 'global' ? ' (international)' : ''}${thinking ? ', thinking enabled' : ''}`,
    envKey: CODING_PLAN_ENV_KEY,
    ...(thinking ? { generationConfig: { extra_body: { enable_thinking: true } } } : {}),
  }));
}

/** Marks which template wrote the entries, so a later release can tell its own. */
export function codingPlanVersion(): string {
  return createHash('sha256').update(JSON.stringify(PLAN_MODELS)).digest('hex').slice(0, 12);
}

/** An entry a Coding Plan login wrote (any region): replaced on the next login, never duplicated. */
export function isCodingPlanEntry(entry: unknown): boolean {
  if (!entry || typeof entry !== 'object') return false;
  const e = entry as { envKey?: unknown; baseUrl?: unknown };
  return e.envKey === CODING_PLAN_ENV_KEY || Object.values(CODING_PLAN_BASE_URL).includes(String(e.baseUrl));
}
