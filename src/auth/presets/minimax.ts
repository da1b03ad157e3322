import type { Preset } from './types.js';

/** `minimax` as Qwen Code 0.24.4 has it (packages/core/src/providers/presets/minimax.ts, chunk-VOHPPFJI.js). */
export const minimax: Preset = {
  id: 'minimax',
  label: 'MiniMax API Key',
  description: 'Quick setup for MiniMax models',
  group: 'third-party',
  protocol: 'openai',
  envKey: 'MINIMAX_API_KEY',
  regions: [
    { id: 'international', label: 'International', baseUrl: 'https://api.minimax.io/v1', documentationUrl: 'https://www.minimax.io/platform', namePrefix: 'MiniMax', version: '04fdd52e23df843b91d2f894e0f1fed9d27c8609323bdd9823b3d026144eb98a' },
    { id: 'china', label: 'China', baseUrl: 'https://api.minimaxi.com/v1', documentationUrl: 'https://platform.minimaxi.com', namePrefix: 'MiniMax', version: 'cb1f7e0e475d9574b6ea8bc19783ebfadf9720e0abf8809557ff20190c3c63a3' },
  ],
  owns: { kind: 'namePrefix' },
  models: [
    { id: 'MiniMax-M3', contextWindowSize: 1000000, modalities: { image: true, video: true } },
    { id: 'MiniMax-M2.7', contextWindowSize: 204800 },
    { id: 'MiniMax-M2.7-highspeed', contextWindowSize: 204800 },
    { id: 'MiniMax-M2.5', contextWindowSize: 196608 },
    { id: 'MiniMax-M2.5-highspeed', contextWindowSize: 196608 },
    { id: 'image-01', imageOnly: true },
    { id: 'image-01-live', imageOnly: true },
  ],
};
