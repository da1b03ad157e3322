import type { Preset } from './types.js';

/** `alibabaStandard` as Qwen Code 0.24.4 has it (packages/core/src/providers/presets/alibaba-standard.ts, chunk-VOHPPFJI.js). */
export const alibabaStandard: Preset = {
  id: 'alibabaStandard',
  label: 'Standard API Key',
  description: 'Connect with an existing ModelStudio API key',
  group: 'alibaba',
  protocol: 'openai',
  envKey: 'DASHSCOPE_API_KEY',
  regions: [
    { id: 'cn-beijing', label: 'China (Beijing)', baseUrl: 'https://dashscope.aliyuncs.com/compatible-mode/v1', documentationUrl: 'https://bailian.console.aliyun.com/cn-beijing?tab=api#/api', namePrefix: 'ModelStudio Standard', version: 'ceb6dfda744d22ce0c260419a6c67c7f7e0a3c431da630707c37b98c326af040' },
    { id: 'sg-singapore', label: 'Singapore', baseUrl: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1', documentationUrl: 'https://modelstudio.console.alibabacloud.com/ap-southeast-1?tab=api#/api/?type=model&url=2712195', namePrefix: 'ModelStudio Standard', version: 'a5c548c3dae51a6aacafd3b3a657a8484a0e2c1915ec23bce4b1fae9d123208f' },
    { id: 'us-virginia', label: 'US (Virginia)', baseUrl: 'https://dashscope-us.aliyuncs.com/compatible-mode/v1', documentationUrl: 'https://modelstudio.console.alibabacloud.com/us-east-1?tab=api#/api/?type=model&url=2712195', namePrefix: 'ModelStudio Standard', version: 'bc5535c017237d912b08a23faa28e593335ca6cf8676f40cfe72b70f782392f7' },
    { id: 'cn-hongkong', label: 'China (Hong Kong)', baseUrl: 'https://cn-hongkong.dashscope.aliyuncs.com/compatible-mode/v1', documentationUrl: 'https://modelstudio.console.alibabacloud.com/cn-hongkong?tab=api#/api/?type=model&url=2712195', namePrefix: 'ModelStudio Standard', version: '8042df38848334ac31e137ad74688346e476e5a5cdf4da7d00073871d7986823' },
  ],
  owns: { kind: 'namePrefix' },
  models: [
    { id: 'qwen3.6-plus', capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'enable_thinking' } }, contextWindowSize: 1000000, enableThinking: true },
    { id: 'qwen3.7-plus', capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'enable_thinking' } }, contextWindowSize: 1000000, enableThinking: true },
    { id: 'qwen3.7-max', capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'enable_thinking' } }, contextWindowSize: 1000000, enableThinking: true },
    { id: 'glm-5.1', contextWindowSize: 202752, enableThinking: true },
    { id: 'deepseek-v4-pro', capabilities: { reasoning: { thinking: true, efforts: ['high', 'max'], defaultEffort: 'high', disableField: 'enable_thinking' } }, contextWindowSize: 1000000 },
    { id: 'deepseek-v4-flash', capabilities: { reasoning: { thinking: true, efforts: ['high', 'max'], defaultEffort: 'high', disableField: 'enable_thinking' } }, contextWindowSize: 1000000 },
    { id: 'qwen3.8-max', contextWindowSize: 1000000, capabilities: { reasoning: { thinking: true, efforts: ['low', 'medium', 'xhigh'], defaultEffort: 'xhigh', disableField: 'reasoning_effort' } }, modalities: { image: true, video: true } },
    { id: 'qwen3.8-max-0902', contextWindowSize: 1000000, capabilities: { reasoning: { thinking: true, efforts: ['low', 'medium', 'xhigh'], defaultEffort: 'xhigh', disableField: 'reasoning_effort' } }, modalities: { image: true, video: true } },
    { id: 'qwen3.8-flash', contextWindowSize: 1000000, capabilities: { reasoning: { thinking: true, efforts: ['low', 'medium', 'xhigh'], defaultEffort: 'xhigh', disableField: 'reasoning_effort' } }, modalities: { image: true, video: true } },
    { id: 'deepseek-v4-pro-0813', contextWindowSize: 1000000, capabilities: { reasoning: { thinking: true, efforts: ['low', 'high', 'max'], defaultEffort: 'high', disableField: 'enable_thinking' } } },
    { id: 'deepseek-v4-flash-0731', contextWindowSize: 1000000, capabilities: { reasoning: { thinking: true, efforts: ['low', 'high', 'max'], defaultEffort: 'high', disableField: 'enable_thinking' } } },
    { id: 'kimi-k3', thinkingMandatory: true, contextWindowSize: 1000000, capabilities: { reasoning: { thinking: true, efforts: ['low', 'high', 'max'], defaultEffort: 'max', canDisable: false, disableField: 'reasoning_effort' } }, modalities: { image: true } },
    { id: 'kimi-k2.7-code', thinkingMandatory: true, enableThinking: true, contextWindowSize: 262144, capabilities: { reasoning: { thinking: true, toggleOnly: true, canDisable: false, disableField: 'enable_thinking' } }, modalities: { image: true, video: true } },
    { id: 'kimi-k2.6', enableThinking: true, contextWindowSize: 262144, capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'enable_thinking' } }, modalities: { image: true, video: true } },
  ],
};
