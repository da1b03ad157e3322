import type { Preset } from './types.js';

/** `moonshot` as Qwen Code 0.24.4 has it (packages/core/src/providers/presets/moonshot.ts, chunk-VOHPPFJI.js). */
export const moonshot: Preset = {
  id: 'moonshot',
  label: 'Kimi (Moonshot AI) API Key',
  description: 'Quick setup for Kimi models',
  group: 'third-party',
  protocol: 'openai',
  envKey: 'MOONSHOT_API_KEY',
  regions: [
    { id: 'international', label: 'International', baseUrl: 'https://api.moonshot.ai/v1', documentationUrl: 'https://platform.kimi.ai/docs', namePrefix: 'Kimi', version: 'c0cfa16f5f6be9c17a8ab677f8b7d3a19f189d31172cb40317ebc60079225da6' },
    { id: 'china', label: 'China', baseUrl: 'https://api.moonshot.cn/v1', documentationUrl: 'https://platform.moonshot.cn/docs', namePrefix: 'Kimi', version: 'a5c7e8afefca7d789fa099576341133c917cfaf75b7b33d2c64ff2ba94e8203a' },
  ],
  owns: { kind: 'namePrefix' },
  models: [
    { id: 'kimi-k3', capabilities: { reasoning: { thinking: true, efforts: ['low', 'high', 'max'], defaultEffort: 'max', canDisable: false, disableField: 'reasoning_effort' } }, contextWindowSize: 1000000, thinkingMandatory: true, modalities: { image: true, video: true } },
    { id: 'kimi-k2.7-code', capabilities: { reasoning: { thinking: true, toggleOnly: true, canDisable: false, disableField: 'thinking' } }, contextWindowSize: 262144, modalities: { image: true, video: true }, thinkingMandatory: true },
    { id: 'kimi-k2.7-code-highspeed', capabilities: { reasoning: { thinking: true, toggleOnly: true, canDisable: false, disableField: 'thinking' } }, contextWindowSize: 262144, modalities: { image: true, video: true }, thinkingMandatory: true },
    { id: 'kimi-k2.6', capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'thinking' } }, contextWindowSize: 262144, modalities: { image: true, video: true } },
  ],
};
