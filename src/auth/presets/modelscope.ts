import type { Preset } from './types.js';

/** `modelscope` as Qwen Code 0.24.4 has it (packages/core/src/providers/presets/modelscope.ts, chunk-VOHPPFJI.js). */
export const modelscope: Preset = {
  id: 'modelscope',
  label: 'ModelScope API Key',
  description: 'Quick setup for ModelScope API Inference',
  group: 'third-party',
  protocol: 'openai',
  envKey: 'MODELSCOPE_API_KEY',
  documentationUrl: 'https://modelscope.cn/docs/model-service/API-Inference/intro',
  regions: [
    { baseUrl: 'https://api-inference.modelscope.cn/v1', namePrefix: 'ModelScope', version: 'ba6c7f5644067ee4614132267ee540b60de8eadd551f8e2bed5cf8d3a10ee093' },
  ],
  owns: { kind: 'namePrefix' },
  models: [
    { id: 'deepseek-ai/DeepSeek-V4-Flash', contextWindowSize: 1000000, enableThinking: true },
    { id: 'Qwen/Qwen3.5-397B-A17B', contextWindowSize: 1000000, enableThinking: true },
    { id: 'ZhipuAI/GLM-5.1', contextWindowSize: 1000000, enableThinking: true },
  ],
};
