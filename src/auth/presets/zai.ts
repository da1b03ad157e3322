import type { Preset } from './types.js';

/** `zai` as Qwen Code 0.24.4 has it (packages/core/src/providers/presets/zai.ts, chunk-VOHPPFJI.js). */
export const zai: Preset = {
  id: 'zai',
  label: 'Z.AI API Key',
  description: 'Quick setup for Z.AI models',
  group: 'third-party',
  protocol: 'openai',
  envKey: 'ZAI_API_KEY',
  regions: [
    { id: 'standard-api-key', label: 'Standard API Key', baseUrl: 'https://api.z.ai/api/paas/v4', documentationUrl: 'https://docs.z.ai/', namePrefix: 'Z.AI', version: '97fdcee07cac46db3f6dd389cfea1a45ad3bd9f798bb5068fd6adaa69e536a93' },
    { id: 'coding-plan', label: 'Coding Plan', baseUrl: 'https://api.z.ai/api/coding/paas/v4', documentationUrl: 'https://docs.z.ai/', namePrefix: 'Z.AI', version: '8e23e7dbfac0c24be508452b48971cc9af36b04d1218a1d3147cf1640a1d4a67' },
  ],
  owns: { kind: 'namePrefix' },
  models: [
    { id: 'GLM-5.2', contextWindowSize: 1000000, enableThinking: true },
    { id: 'GLM-5.1', contextWindowSize: 204800, enableThinking: true },
    { id: 'GLM-5', contextWindowSize: 204800 },
    { id: 'GLM-5-Turbo', contextWindowSize: 204800 },
  ],
};
