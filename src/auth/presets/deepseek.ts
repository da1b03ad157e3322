import type { Preset } from './types.js';

/** `deepseek` as Qwen Code 0.24.4 has it (packages/core/src/providers/presets/deepseek.ts, chunk-VOHPPFJI.js). */
export const deepseek: Preset = {
  id: 'deepseek',
  label: 'DeepSeek API Key',
  description: 'Quick setup for DeepSeek (deepseek-v4-flash, deepseek-v4-pro)',
  group: 'third-party',
  protocol: 'openai',
  envKey: 'DEEPSEEK_API_KEY',
  documentationUrl: 'https://api-docs.deepseek.com/zh-cn/',
  regions: [
    { baseUrl: 'https://api.deepseek.com', namePrefix: 'DeepSeek', version: 'bf6b4858d37dec86a843e3184302b2747c492ff6370abf15d99e53faf7a6b32d' },
  ],
  owns: { kind: 'namePrefix' },
  models: [
    { id: 'deepseek-v4-pro', contextWindowSize: 1000000, capabilities: { reasoning: { thinking: true, efforts: ['low', 'high', 'max'], defaultEffort: 'high', disableField: 'thinking' } } },
    { id: 'deepseek-v4-flash', capabilities: { reasoning: { thinking: true, efforts: ['low', 'high', 'max'], defaultEffort: 'high', disableField: 'thinking' } }, contextWindowSize: 1000000 },
  ],
};
