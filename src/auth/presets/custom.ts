import { createHash } from 'node:crypto';
import type { KeyAuthType } from '../../protocol/index.js';
import { CUSTOM_ENV_PREFIX } from './install.js';
import type { Preset } from './types.js';

/** Custom Provider as Qwen Code 0.24.4 has it (packages/core/src/providers/presets/custom-provider.ts, chunk-VOHPPFJI.js). */
export const customProvider: Preset = {
  id: 'custom-openai-compatible',
  label: 'Custom Provider',
  description: 'Manually connect a local server, proxy, or unsupported provider',
  group: 'custom',
  protocol: 'openai',
  envKey: CUSTOM_ENV_PREFIX,
  regions: [],
  owns: { kind: 'namePrefix' },
  models: [],
};

/** The protocols Custom Provider offers, the first the default (protocolOptions). */
export const CUSTOM_PROTOCOLS: readonly KeyAuthType[] = ['openai', 'anthropic', 'gemini'];

/** The base URL an empty field means, by protocol (DEFAULT_BASE_URLS, provider-config.ts). */
export const CUSTOM_DEFAULT_BASE_URL: Partial<Record<KeyAuthType, string>> = {
  openai: 'https://api.openai.com/v1',
  'openai-responses': 'https://api.openai.com',
  anthropic: 'https://api.anthropic.com/v1',
  gemini: 'https://generativelanguage.googleapis.com',
};

/** Upper-cased, each run of other characters one `_`, none at the ends (normalizeEnvSegment). */
function envSegment(value: string): string {
  return value.trim().toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/** `QWEN_CUSTOM_API_KEY_<PROTOCOL>_<URL>_<H>` (generateCustomEnvKey). */
export function customEnvKey(protocol: KeyAuthType, baseUrl: string): string {
  const canonical = baseUrl.trim().replace(/\/+$/, '');
  const suffix = createHash('sha256').update(`${protocol}\u0000${canonical}`).digest('hex').slice(0, 12).toUpperCase();
  return `${CUSTOM_ENV_PREFIX}${envSegment(protocol)}_${envSegment(baseUrl)}_${suffix}`;
}
