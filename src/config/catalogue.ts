import type { AuthType, KeyAuthType, Source } from '../protocol/index.js';
import type { EnvEntry } from './env-layers.js';
import type { ModelConfig } from './settings-schema.js';

export const QWEN_OAUTH_MODEL = 'coder-model';

export const DEFAULT_ENV_KEY: Record<KeyAuthType, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  gemini: 'GEMINI_API_KEY',
  'vertex-ai': 'GOOGLE_API_KEY',
};

export const GROUP_LABEL: Record<AuthType, string> = {
  'qwen-oauth': 'Qwen OAuth',
  openai: 'OpenAI-compatible',
  anthropic: 'Anthropic',
  gemini: 'Gemini',
  'vertex-ai': 'Vertex AI',
};

/** A model as the server knows it: what the wire shows, plus what requests need. */
export interface CatalogueModel {
  id: string;
  name: string;
  authType: AuthType;
  baseUrl?: string;
  /** Where `baseUrl` came from: the egress guard compares it with the key's source. */
  baseUrlSource?: Source;
  envKey?: string;
  description?: string;
  source: Source;
  config?: ModelConfig;
  available: boolean;
  unavailableReason?: string;
}

export interface OAuthView {
  state: 'signedIn' | 'signedOut' | 'expired' | 'pending' | 'error';
  message?: string;
}

export function defaultBaseUrl(authType: AuthType, env: Map<string, EnvEntry>): { url?: string; source?: Source } {
  const pick = (name: string) => {
    const e = env.get(name);
    return e && e.value !== '' ? { url: e.value, source: e.source } : undefined;
  };
  switch (authType) {
    case 'openai':
      return pick('OPENAI_BASE_URL') ?? { url: 'https://api.openai.com/v1', source: { layer: 'default' } };
    case 'anthropic':
      return pick('ANTHROPIC_BASE_URL') ?? {};
    case 'gemini':
      return pick('GEMINI_BASE_URL') ?? {};
    default:
      return {};
  }
}

/** Whether a model can be used now, and if not, a sentence that says what to do. */
export function availability(
  m: Pick<CatalogueModel, 'authType' | 'envKey' | 'baseUrl'>,
  env: Map<string, EnvEntry>,
  oauth: OAuthView,
): { available: boolean; unavailableReason?: string } {
  if (m.authType === 'qwen-oauth') {
    if (oauth.state === 'signedIn') return { available: true };
    if (oauth.state === 'expired') return { available: true }; // refreshed on use
    const why = oauth.state === 'error' && oauth.message ? `${oauth.message}; ` : '';
    return { available: false, unavailableReason: `${why}not signed in to Qwen OAuth: sign in with the qwen-oauth login` };
  }
  const envKey = m.envKey ?? DEFAULT_ENV_KEY[m.authType];
  const key = env.get(envKey);
  if (!key || key.value === '') {
    return {
      available: false,
      unavailableReason: `${envKey} is not set: sign in with an API key, or set ${envKey} in your environment or ~/.qwen/.env`,
    };
  }
  if (m.authType === 'anthropic' && !m.baseUrl) {
    return {
      available: false,
      unavailableReason: 'no base URL: set baseUrl on this model in modelProviders.anthropic, or ANTHROPIC_BASE_URL',
    };
  }
  return { available: true };
}
