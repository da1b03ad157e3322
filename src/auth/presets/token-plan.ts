import type { Preset } from './types.js';

/** `token-plan` as Qwen Code 0.24.4 has it (packages/core/src/providers/presets/alibaba-token-plan.ts, chunk-VOHPPFJI.js). */
export const tokenPlan: Preset = {
  id: 'token-plan',
  label: 'Token Plan',
  description: 'For teams and companies · Usage-based billing with dedicated endpoint',
  group: 'alibaba',
  protocol: 'openai',
  envKey: 'BAILIAN_TOKEN_PLAN_API_KEY',
  regions: [
    { id: 'cn-beijing', label: 'China (Beijing)', baseUrl: 'https://token-plan.cn-beijing.maas.aliyuncs.com/compatible-mode/v1', documentationUrl: 'https://bailian.console.aliyun.com/cn-beijing?tab=doc#/doc/?type=model&url=3028856', namePrefix: 'ModelStudio Token Plan', version: 'afc7d8d323c38685cd025af9a175eaedcb72624fcb9b056d7a58142193ccb8a8' },
    { id: 'ap-southeast-1', label: 'Singapore (International)', baseUrl: 'https://token-plan.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1', documentationUrl: 'https://modelstudio.console.alibabacloud.com/ap-southeast-1?tab=doc#/doc/?type=model', namePrefix: 'ModelStudio Token Plan for Global/Intl', version: 'df974a97a4d150da4a883150315a4f1defb6e0a2bdc2c40e85b8acfbcb28c518' },
  ],
  discovery: true,
  owns: { kind: 'baseUrl', namePrefix: '[ModelStudio Token Plan]' },
  models: [
    { id: 'qwen3.7-plus', capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'enable_thinking' } }, contextWindowSize: 1000000, enableThinking: true, modalities: { image: true, video: true } },
    { id: 'qwen3.6-plus', capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'enable_thinking' } }, contextWindowSize: 1000000, enableThinking: true, modalities: { image: true, video: true } },
    { id: 'qwen3.7-max', capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'enable_thinking' } }, contextWindowSize: 1000000, enableThinking: true },
    { id: 'qwen3.8-max', capabilities: { reasoning: { thinking: true, efforts: ['low', 'medium', 'xhigh'], defaultEffort: 'xhigh', canDisable: false, disableField: 'reasoning_effort' } }, contextWindowSize: 1000000, enableThinking: true, thinkingMandatory: true, modalities: { image: true, video: true } },
    { id: 'qwen3.8-max-preview', capabilities: { reasoning: { thinking: true, efforts: ['low', 'medium', 'xhigh'], defaultEffort: 'xhigh', canDisable: false, disableField: 'reasoning_effort' } }, contextWindowSize: 1000000, enableThinking: true, thinkingMandatory: true, modalities: { image: true, video: true } },
    { id: 'qwen3.6-flash', capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'enable_thinking' } }, contextWindowSize: 1000000, enableThinking: true },
    { id: 'deepseek-v4-pro', capabilities: { reasoning: { thinking: true, efforts: ['high', 'max'], defaultEffort: 'high', disableField: 'enable_thinking' } }, contextWindowSize: 1000000 },
    { id: 'deepseek-v4-flash-0731', capabilities: { reasoning: { thinking: true, efforts: ['low', 'high', 'max'], defaultEffort: 'high', disableField: 'enable_thinking' } }, contextWindowSize: 1000000 },
    { id: 'deepseek-v3.2', capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'enable_thinking' } }, contextWindowSize: 131072 },
    { id: 'kimi-k2.7-code', capabilities: { reasoning: { thinking: true, toggleOnly: true, canDisable: false, disableField: 'enable_thinking' } }, contextWindowSize: 262144, enableThinking: true, modalities: { image: true, video: true }, thinkingMandatory: true },
    { id: 'kimi-k2.6', capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'enable_thinking' } }, contextWindowSize: 262144, enableThinking: true },
    { id: 'kimi-k2.5', capabilities: { reasoning: { thinking: true, toggleOnly: true, disableField: 'enable_thinking' } }, contextWindowSize: 262144, enableThinking: true, modalities: { image: true, video: true } },
    { id: 'glm-5.2', contextWindowSize: 1000000, enableThinking: true },
    { id: 'glm-5.1', contextWindowSize: 202752, enableThinking: true },
    { id: 'glm-5', contextWindowSize: 202752, enableThinking: true },
    { id: 'MiniMax-M2.5', contextWindowSize: 196608 },
    { id: 'qwen3.8-flash', contextWindowSize: 1000000, capabilities: { reasoning: { thinking: true, efforts: ['low', 'medium', 'xhigh'], defaultEffort: 'xhigh', disableField: 'reasoning_effort' } }, modalities: { image: true, video: true } },
    { id: 'deepseek-v4-pro-0813', contextWindowSize: 1000000, capabilities: { reasoning: { thinking: true, efforts: ['low', 'high', 'max'], defaultEffort: 'high', disableField: 'enable_thinking' } } },
  ],
};
