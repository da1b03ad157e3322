import type { Preset } from './types.js';

/** `openrouter` as Qwen Code 0.24.4 has it (packages/core/src/providers/presets/openrouter.ts, chunk-VOHPPFJI.js). */
export const openrouter: Preset = {
  id: 'openrouter',
  label: 'OpenRouter',
  description: 'Connect with an OpenRouter API key (get one from openrouter.ai/keys)',
  group: 'third-party',
  protocol: 'openai',
  envKey: 'OPENROUTER_API_KEY',
  documentationUrl: 'https://openrouter.ai/docs',
  regions: [
    { baseUrl: 'https://openrouter.ai/api/v1', namePrefix: 'OpenRouter', version: 'b535a56063f3c09af610b3f4341d2c09a87af03d330317c7ba650c290630147f' },
  ],
  owns: { kind: 'host', hosts: ['openrouter.ai'], subdomainsOf: 'openrouter.ai' },
  customHeaders: { "HTTP-Referer": 'https://github.com/QwenLM/qwen-code.git', "X-OpenRouter-Title": 'Qwen Code' },
  models: [
    { id: 'z-ai/glm-4.5-air:free', contextWindowSize: 128000 },
    { id: 'openai/gpt-oss-120b:free', contextWindowSize: 131072 },
  ],
};
