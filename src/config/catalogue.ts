import type { AuthType, KeyAuthType, Source } from '../protocol/index.js';
import type { ModelConfig } from './settings-schema.js';

export { QWEN_OAUTH_MODEL } from './qwen-code-facts.js';

export const DEFAULT_ENV_KEY: Record<KeyAuthType, string> = {
  openai: 'OPENAI_API_KEY',
  'openai-responses': 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  gemini: 'GEMINI_API_KEY',
  'vertex-ai': 'GOOGLE_API_KEY',
};

export const GROUP_LABEL: Record<AuthType, string> = {
  'qwen-oauth': 'Qwen OAuth',
  openai: 'OpenAI-compatible',
  'openai-responses': 'OpenAI Responses API',
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
  /** The credential's `resource_url`: coder-model's requests go there. */
  resourceUrl?: string;
}
