import type { Preset } from './types.js';

/** `grok` as Qwen Code 0.24.4 has it (packages/core/src/providers/presets/grok.ts, chunk-VOHPPFJI.js). */
export const grok: Preset = {
  id: 'grok',
  label: 'Grok (xAI) API Key',
  description: 'Quick setup for xAI Grok chat & code models',
  group: 'third-party',
  protocol: 'openai',
  envKey: 'XAI_API_KEY',
  documentationUrl: 'https://docs.x.ai/docs',
  regions: [
    { baseUrl: 'https://api.x.ai/v1', namePrefix: 'Grok', version: '7ca86c16b66c2d8a6d07689cadbe71108ee850917a910f5c27cf61dd5ad87863' },
  ],
  owns: { kind: 'namePrefix' },
  models: [
    { id: 'grok-4.5', contextWindowSize: 500000 },
    { id: 'grok-4.3', contextWindowSize: 1000000 },
    { id: 'grok-4.20-0309-reasoning', contextWindowSize: 1000000 },
    { id: 'grok-4.20-0309-non-reasoning', contextWindowSize: 1000000 },
    { id: 'grok-4.20-multi-agent-0309', contextWindowSize: 1000000 },
    { id: 'grok-build-0.1', contextWindowSize: 262144 },
  ],
};
