import type { Preset } from './types.js';

/** `idealab` as Qwen Code 0.24.4 has it (packages/core/src/providers/presets/idealab.ts, chunk-VOHPPFJI.js). */
export const idealab: Preset = {
  id: 'idealab',
  label: 'Idealab API Key',
  description: 'Alibaba internal LLM service (Qwen3.6-Plus-DogFooding, DeepSeek V4, Kimi K2.6)',
  group: 'third-party',
  protocol: 'openai',
  envKey: 'IDEALAB_API_KEY',
  regions: [
    { baseUrl: 'https://idealab.alibaba-inc.com/api/openai/v1', namePrefix: 'Idealab', version: '61f3bef1decd8aa6a17508fb8e7acde4eec8eb154b9b14398d3eb075823339f3' },
  ],
  owns: { kind: 'namePrefix' },
  models: [
    { id: 'Qwen3.6-Plus-DogFooding', contextWindowSize: 1000000, enableThinking: true, modalities: { image: true, video: true } },
    { id: 'bailian/deepseek-v4-pro', contextWindowSize: 1000000, enableThinking: true },
    { id: 'bailian/deepseek-v4-flash', contextWindowSize: 1000000, enableThinking: true },
    { id: 'bailian/kimi-k2.6', contextWindowSize: 262144, enableThinking: true },
  ],
};
