import type { Preset } from './types.js';

/** `requesty` as Qwen Code 0.24.4 has it (packages/core/src/providers/presets/requesty.ts, chunk-VOHPPFJI.js). */
export const requesty: Preset = {
  id: 'requesty',
  label: 'Requesty',
  description: 'Connect with a Requesty API key (get one from app.requesty.ai/api-keys)',
  group: 'third-party',
  protocol: 'openai',
  envKey: 'REQUESTY_API_KEY',
  documentationUrl: 'https://docs.requesty.ai',
  regions: [
    { baseUrl: 'https://router.requesty.ai/v1', namePrefix: 'Requesty', version: '693d9264d6e9725d81be5a4cbd94ed121832dabc7818957ec7792a4e7ed52614' },
  ],
  owns: { kind: 'host', hosts: ['router.requesty.ai'], subdomainsOf: 'requesty.ai' },
  customHeaders: { "HTTP-Referer": 'https://github.com/QwenLM/qwen-code.git', "X-Title": 'Qwen Code' },
  models: [
    { id: 'openai/gpt-4o-mini', contextWindowSize: 128000 },
    { id: 'openai/gpt-4o', contextWindowSize: 128000 },
  ],
};
