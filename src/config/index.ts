export { type CatalogueModel, DEFAULT_ENV_KEY, GROUP_LABEL, type OAuthView, QWEN_OAUTH_MODEL } from './catalogue.js';
export { fallbackKey, type Found, modelKey, qwenCodeTakesOAuth, qwenOAuthBaseUrl, reachability, responsesWireBaseUrl } from './resolve-model.js';
export { QWEN_OAUTH_FREE_TIER_END, USE_EXTERNAL_AUTH_SETTING } from './qwen-code-facts.js';
export { homeDotenvForWrite, readDotenv } from './dotenv.js';

/** The write path (locks, edits) loads on the first write: start-up does not pay for it. */
export const writes = () => import('./write/index.js');
export { egressInputs, type EgressInputs, fromWorkspace } from './egress-policy.js';
export type { EnvEntry, Override } from './env-layers.js';
export {
  type ConfigGraph,
  type ConfigInputs,
  envNamesOfInterest,
  isSecretEnv,
  type LastGood,
  type Overrides,
  resolveConfig,
  type SessionSelection,
  showEnvValue,
} from './graph.js';
export { getPath } from './merge.js';
export { type ConfigPaths, resolvePaths, SCOPE_ORDER, stateDir } from './paths.js';
export { readTextSync } from './read-text.js';
export { ModelConfig, Settings } from './settings-schema.js';
export { editSettingsFile, type SettingsWriteResult } from './settings-write.js';
export { FILE_START } from './text-position.js';
