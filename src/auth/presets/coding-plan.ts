import type { Preset } from './types.js';

/** `coding-plan` as Qwen Code 0.24.4 has it (packages/core/src/providers/presets/alibaba-coding-plan.ts, chunk-VOHPPFJI.js). */
export const codingPlan: Preset = {
  id: 'coding-plan',
  label: 'Coding Plan',
  description: 'For individual developers · Weekly quota included',
  group: 'alibaba',
  protocol: 'openai',
  envKey: 'BAILIAN_CODING_PLAN_API_KEY',
  regions: [
    { id: 'aliyun', value: 'china', label: 'China (Beijing)', baseUrl: 'https://coding.dashscope.aliyuncs.com/v1', documentationUrl: 'https://help.aliyun.com/zh/model-studio/coding-plan', namePrefix: 'ModelStudio Coding Plan', version: '526212538b2f2fc57ddcd2d8ec0da76e263abca83b9dacfd8aa0cf97db61cc6c' },
    { id: 'alibabacloud', value: 'global', label: 'Singapore (International)', baseUrl: 'https://coding-intl.dashscope.aliyuncs.com/v1', documentationUrl: 'https://www.alibabacloud.com/help/en/model-studio/coding-plan', namePrefix: 'ModelStudio Coding Plan for Global/Intl', version: '65dea54c9fe3eaff2d28e04b4c123c6ccbe1d9ef0a523689f6745ed8a398ddd7' },
  ],
  keyRule: { prefix: 'sk-sp-', placeholder: 'sk-sp-...', message: 'Invalid API key. Coding Plan API keys start with "sk-sp-". Please check.' },
  discovery: true,
  owns: { kind: 'baseUrl' },
  models: [
    { id: 'qwen3.5-plus', capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'enable_thinking' } }, contextWindowSize: 1000000, enableThinking: true, modalities: { image: true, video: true } },
    { id: 'qwen3.6-plus', capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'enable_thinking' } }, description: 'Currently available to Pro subscribers only.', contextWindowSize: 1000000, enableThinking: true, modalities: { image: true, video: true } },
    { id: 'qwen3.7-plus', capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'enable_thinking' } }, contextWindowSize: 1000000, enableThinking: true },
    { id: 'glm-5', contextWindowSize: 202752, enableThinking: true },
    { id: 'kimi-k2.5', capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'enable_thinking' } }, contextWindowSize: 262144, enableThinking: true, modalities: { image: true, video: true } },
    { id: 'MiniMax-M2.5', contextWindowSize: 196608, enableThinking: true },
    { id: 'qwen3-coder-plus', contextWindowSize: 1000000 },
    { id: 'qwen3-coder-next', contextWindowSize: 262144 },
    { id: 'qwen3-max-2026-01-23', capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'enable_thinking' } }, contextWindowSize: 262144, enableThinking: true },
    { id: 'glm-4.7', contextWindowSize: 202752, enableThinking: true },
  ],
};
