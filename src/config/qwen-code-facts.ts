/**
 * What Qwen Code does, as data: the facts the config graph follows, each
 * with the place in Qwen Code's bundle it was read from, so that the next
 * release is one diff of this file.
 */
export const QWEN_CODE_VERSION = '0.24.4';

// ---- environment (.env loading) -------------------------------------------------------------

/** `advanced.excludedEnvVars` when no settings file sets it; a list replaces it (DEFAULT_EXCLUDED_ENV_VARS, chunk-CCGFXABG.js). */
export const DEFAULT_EXCLUDED_ENV_VARS: readonly string[] = ['DEBUG', 'DEBUG_MODE'];

/**
 * Names a project `.env` file may never set, compared case-insensitively
 * (PROJECT_ENV_HARDCODED_EXCLUSIONS, packages/cli/src/config/shared-env-keys.ts, chunk-CCGFXABG.js).
 */
export const PROJECT_ENV_EXCLUSIONS: readonly string[] = [
  'QWEN_HOME', 'QWEN_RUNTIME_DIR', 'QWEN_AGENT_EXECUTION_BACKEND', 'QWEN_CODE_MCP_APPROVALS_PATH',
  'QWEN_CODE_TRUSTED_FOLDERS_PATH', 'QWEN_CODE_SYSTEM_SETTINGS_PATH', 'QWEN_CODE_SYSTEM_DEFAULTS_PATH',
  'QWEN_UPDATE_BASE_URL', 'QWEN_CODE_WARNINGS_FILE', 'QWEN_CODE_SERVE', 'QWEN_CODE_DESKTOP',
  'QWEN_CODE_SETTINGS_CORRUPTED_PATH', 'QWEN_CODE_SETTINGS_WAS_RECOVERED', 'QWEN_CODE_ACP_REPEATED_TOOL_FAILURE_GUARD',
  'QWEN_CODE_MEMORY_PROJECT_SCOPE', 'QWEN_CODE_ENABLE_WORKFLOWS', 'QWEN_CODE_DISABLE_WORKFLOWS',
  'QWEN_CODE_WORKFLOW_NAME_ONLY', 'QWEN_REVIEW_PREBUILD', 'QWEN_REVIEW_AUTOMATIC', 'QWEN_TLS_INSECURE',
  'NODE_TLS_REJECT_UNAUTHORIZED', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'CURL_CA_BUNDLE',
  'REQUESTS_CA_BUNDLE', 'GIT_SSL_CAINFO', 'GIT_SSL_CAPATH', 'npm_config_cafile', 'npm_config_ca',
  'npm_config_strict_ssl', 'npm_config_strict-ssl', 'PIP_CERT', 'CURL_HOME', 'WGETRC', 'PIP_CONFIG_FILE',
  'GIT_SSH_COMMAND', 'GIT_SSH', 'GIT_EXEC_PATH', 'GIT_TEMPLATE_DIR', 'GIT_ASKPASS', 'GIT_PROXY_COMMAND',
  'GIT_EDITOR', 'GIT_SEQUENCE_EDITOR', 'GIT_EXTERNAL_DIFF', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_SYSTEM',
  'XDG_CONFIG_HOME', 'GIT_CONFIG_COUNT', 'GIT_CONFIG_PARAMETERS', 'QWEN_SANDBOX', 'QWEN_SANDBOX_IMAGE',
  'QWEN_SANDBOX_PROXY_COMMAND', 'QWEN_SANDBOX_NET', 'SANDBOX', 'SANDBOX_ENFORCEMENT', 'XDG_CACHE_HOME', 'TMPDIR',
  'TMP', 'TEMP', 'SSH_ASKPASS', 'LESSOPEN', 'LESSCLOSE', 'NODE_GYP_FORCE_PYTHON', 'npm_config_python', 'PYTHON',
  'PYTHONSTARTUP', 'VISUAL', 'EDITOR', 'npm_config_git', 'BROWSER', 'QWEN_CLI_ENTRY', 'QWEN_CDP_MCP_COMMAND',
  'QWEN_SERVE_CDP_TUNNEL_OVER_WS', 'QWEN_SERVE_NEW_FILE_MODE', 'QWEN_SERVE_MAX_WORKSPACES',
  'QWEN_SERVE_SESSION_ATTACHMENTS_ROOT', 'DEV', 'QWEN_CODE_PRIVATE_CONVERSATIONS_RUNTIME',
  'QWEN_CODE_PRIVATE_RELAUNCH_ENV_PROVENANCE',
];

/** Patterns of the same, tested against the lower-cased name (shared-env-keys.ts, chunk-CCGFXABG.js). */
export const PROJECT_ENV_EXCLUSION_PATTERNS: readonly RegExp[] = [/^git_config_key_\d+$/u, /^git_config_value_\d+$/u];

/**
 * Names no `.env` file nor `settings.env` may set, compared with `_` as `-`
 * and case-insensitively; `BASH_FUNC_*` too (INHERITED_LOADER_ENV_KEYS, shared-env-keys.ts, chunk-CCGFXABG.js).
 */
export const LOADER_ENV_KEYS: readonly string[] = [
  'NODE_OPTIONS', 'npm_config_node_options', 'npm_config_userconfig', 'npm_config_globalconfig',
  'npm_config_script_shell', 'npm_config_prefix', 'NODE_PATH', 'OPENSSL_CONF', 'NODE_REPL_EXTERNAL_MODULE',
  'npm_config_node_gyp', 'npm_config_init_module', 'LD_PRELOAD', 'LD_AUDIT', 'DYLD_INSERT_LIBRARIES', 'BASH_ENV',
  'ZDOTDIR',
];

/** Names no `.env` file may set either, compared case-insensitively (PRIVATE_PROVENANCE_ENV_KEYS, chunk-CCGFXABG.js). */
export const PRIVATE_PROVENANCE_ENV_KEYS: readonly string[] = [
  'QWEN_CODE_PRIVATE_CONVERSATIONS_RUNTIME', 'QWEN_CODE_PRIVATE_RELAUNCH_ENV_PROVENANCE', 'SANDBOX', 'SANDBOX_ENFORCEMENT',
];

// ---- models, credentials, base URLs, auth type ------------------------------------------------

/** The Qwen OAuth model (packages/core/src/models/constants.ts, chunk-P5OXAI4R.js). */
export const QWEN_OAUTH_MODEL = 'coder-model';
export const QWEN_OAUTH_MODEL_NAME = 'Qwen 3.7 Max (coder-model)';
export const QWEN_OAUTH_MODEL_DESCRIPTION = 'Qwen OAuth: Qwen 3.7 Max with vision';

/**
 * The variables each auth type reads its key, base URL and model from, in
 * order (AUTH_ENV_MAPPINGS, constants.ts, chunk-P5OXAI4R.js).
 */
export const AUTH_ENV: Record<string, { apiKey: readonly string[]; baseUrl: readonly string[]; model: readonly string[] }> = {
  openai: { apiKey: ['OPENAI_API_KEY'], baseUrl: ['OPENAI_BASE_URL'], model: ['OPENAI_MODEL', 'QWEN_MODEL'] },
  'openai-responses': { apiKey: ['OPENAI_API_KEY'], baseUrl: ['OPENAI_BASE_URL'], model: ['OPENAI_MODEL'] },
  anthropic: { apiKey: ['ANTHROPIC_API_KEY'], baseUrl: ['ANTHROPIC_BASE_URL'], model: ['ANTHROPIC_MODEL'] },
  gemini: { apiKey: ['GEMINI_API_KEY'], baseUrl: [], model: ['GEMINI_MODEL'] },
  'vertex-ai': { apiKey: ['GOOGLE_API_KEY'], baseUrl: [], model: ['GOOGLE_MODEL'] },
  'qwen-oauth': { apiKey: [], baseUrl: [], model: [] },
};

/** The settings keys below the env variables of AUTH_ENV (modelConfigResolver.ts, chunk-DPEB6S2R.js). */
export const SETTINGS_API_KEY = 'security.auth.apiKey';
export const SETTINGS_BASE_URL = 'security.auth.baseUrl';

/**
 * The model of an auth type when nothing names one (DEFAULT_MODELS, constants.ts, chunk-P5OXAI4R.js).
 * openai-responses has none there: its model stays empty, which ModelsConfig.getModel turns into
 * coder-model, sent as is when a key or base URL comes from outside modelProviders, else replaced
 * by the type's first entry (syncAfterAuthRefresh, modelsConfig.ts, chunk-VOHPPFJI.js).
 */
export const DEFAULT_MODEL: Record<string, string> = { openai: 'qwen3.7-max', 'openai-responses': QWEN_OAUTH_MODEL, 'qwen-oauth': QWEN_OAUTH_MODEL };

export const DASHSCOPE_BASE_URL = 'https://dashscope.aliyuncs.com/compatible-mode/v1';

/**
 * An entry's `wireApi` picks the OpenAI wire: `responses` makes an openai (or
 * openai-responses) entry an openai-responses model, `chat-completions` an
 * openai one; any other value, or a wireApi on another protocol, is a fatal
 * config error at start (resolveModelProtocol, validateModelProvidersConfig,
 * modelRegistry.ts, chunk-VOHPPFJI.js).
 */
export const WIRE_API_AUTH_TYPE: Readonly<Record<string, string>> = { 'chat-completions': 'openai', responses: 'openai-responses' };
/** The protocols a wireApi may sit on. */
export const WIRE_API_PROTOCOLS: readonly string[] = ['openai', 'openai-responses'];

/**
 * The free tier of Qwen OAuth ended on this day. Since then Qwen Code's
 * non-interactive runs (`qwen -p`, a sandbox relaunch) refuse qwen-oauth in
 * validateAuthMethod unless `security.auth.useExternal` is truthy, which
 * skips that check; refreshAuth then uses the cached credential, refreshing
 * it when due (validateNonInterActiveAuth.ts, validateNonInterActiveAuth-JJTHAV5P.js;
 * packages/cli/src/config/auth.ts, chunk-WH7PDTZL.js; gemini.tsx, llm-T6YVOAHI.js;
 * qwenOAuth2.ts, chunk-OK6PQW7O.js). The interactive UI still starts with a
 * cached credential, with a warning, but its /model refuses coder-model
 * (startInteractiveUI-PJDI6SSE.js).
 */
export const QWEN_OAUTH_FREE_TIER_END = '2026-04-15';
export const USE_EXTERNAL_AUTH_SETTING = 'security.auth.useExternal';

/**
 * Where requests go when no layer names a base URL: for openai, a
 * modelProviders entry goes to OpenAI, a model in none to DashScope
 * (modelRegistry.ts, chunk-VOHPPFJI.js; provider/dashscope.ts,
 * chunk-XWCLIEJ2.js); openai-responses always to OpenAI, its wire never
 * being DashScope's (normalizeOpenAiWireBaseUrl, chunk-VOHPPFJI.js;
 * openaiResponsesContentGenerator, openaiResponsesContentGenerator-MBZKLYFV.js);
 * Google's as @google/genai has them (chunk-FNYSD5OC.js).
 */
export const DEFAULT_BASE_URL: Record<string, { entry?: string; unlisted?: string }> = {
  openai: { entry: 'https://api.openai.com/v1', unlisted: DASHSCOPE_BASE_URL },
  'openai-responses': { entry: 'https://api.openai.com/v1', unlisted: 'https://api.openai.com/v1' },
  gemini: { entry: 'https://generativelanguage.googleapis.com', unlisted: 'https://generativelanguage.googleapis.com' },
  'vertex-ai': { entry: 'https://aiplatform.googleapis.com', unlisted: 'https://aiplatform.googleapis.com' },
};

/**
 * The auth type the environment implies when settings select none, first
 * match wins: every name of `all` set, and one of `any` if given
 * (getAuthTypeFromEnv, packages/cli/src/utils/modelConfigUtils.ts, chunk-Z4RLAAF3.js).
 */
export const AUTH_TYPE_INFERENCE: readonly { authType: string; all: readonly string[]; any?: readonly string[] }[] = [
  { authType: 'qwen-oauth', all: ['QWEN_OAUTH'] },
  { authType: 'openai', all: ['OPENAI_API_KEY', 'OPENAI_BASE_URL'], any: ['OPENAI_MODEL', 'QWEN_MODEL'] },
  { authType: 'gemini', all: ['GEMINI_API_KEY', 'GEMINI_MODEL'] },
  { authType: 'vertex-ai', all: ['GOOGLE_API_KEY', 'GOOGLE_MODEL'] },
  { authType: 'vertex-ai', all: ['GOOGLE_CLOUD_PROJECT', 'GOOGLE_MODEL'] },
  { authType: 'anthropic', all: ['ANTHROPIC_API_KEY', 'ANTHROPIC_MODEL', 'ANTHROPIC_BASE_URL'] },
];

// ---- Settings formats (packages/cli/src/config/migration/, settings.ts; chunk-LYEINKJD.js, chunk-BW4333PP.js) ----

/** The `$version` Qwen Code writes; older files are migrated up to it, a v5 file down to it. */
export const SETTINGS_VERSION = 4;

/** v1 → v2: where each flat key moves (V1_TO_V2_MIGRATION_MAP). */
export const V1_TO_V2_MOVES: Readonly<Record<string, string>> = {
  accessibility: 'ui.accessibility', allowedTools: 'tools.allowed', allowMCPServers: 'mcp.allowed',
  autoAccept: 'tools.autoAccept', autoConfigureMaxOldSpaceSize: 'advanced.autoConfigureMemory',
  bugCommand: 'advanced.bugCommand', chatCompression: 'model.chatCompression', checkpointing: 'general.checkpointing',
  coreTools: 'tools.core', contextFileName: 'context.fileName', customThemes: 'ui.customThemes',
  customWittyPhrases: 'ui.customWittyPhrases', debugKeystrokeLogging: 'general.debugKeystrokeLogging',
  dnsResolutionOrder: 'advanced.dnsResolutionOrder', enforcedAuthType: 'security.auth.enforcedType',
  excludeTools: 'tools.exclude', excludeMCPServers: 'mcp.excluded', excludedProjectEnvVars: 'advanced.excludedEnvVars',
  extensions: 'extensions', fileFiltering: 'context.fileFiltering', folderTrustFeature: 'security.folderTrust.featureEnabled',
  folderTrust: 'security.folderTrust.enabled', hasSeenIdeIntegrationNudge: 'ide.hasSeenNudge',
  hideWindowTitle: 'ui.hideWindowTitle', showStatusInTitle: 'ui.showStatusInTitle', hideTips: 'ui.hideTips',
  showLineNumbers: 'ui.showLineNumbers', showCitations: 'ui.showCitations', ideMode: 'ide.enabled',
  includeDirectories: 'context.includeDirectories', loadMemoryFromIncludeDirectories: 'context.loadFromIncludeDirectories',
  maxSessionTurns: 'model.maxSessionTurns', mcpServers: 'mcpServers', mcpServerCommand: 'mcp.serverCommand',
  memoryImportFormat: 'context.importFormat', model: 'model.name', preferredEditor: 'general.preferredEditor',
  sandbox: 'tools.sandbox', selectedAuthType: 'security.auth.selectedType',
  shouldUseNodePtyShell: 'tools.shell.enableInteractiveShell', shellPager: 'tools.shell.pager',
  shellShowColor: 'tools.shell.showColor', skipNextSpeakerCheck: 'model.skipNextSpeakerCheck', telemetry: 'telemetry',
  theme: 'ui.theme', toolDiscoveryCommand: 'tools.discoveryCommand', toolCallCommand: 'tools.callCommand',
  usageStatisticsEnabled: 'privacy.usageStatisticsEnabled', useExternalAuth: 'security.auth.useExternal',
  useRipgrep: 'tools.useRipgrep', vimMode: 'general.vimMode', enableWelcomeBack: 'ui.enableWelcomeBack',
  approvalMode: 'tools.approvalMode', sessionTokenLimit: 'model.sessionTokenLimit', contentGenerator: 'model.generationConfig',
  skipLoopDetection: 'model.skipLoopDetection', skipStartupContext: 'model.skipStartupContext',
  enableOpenAILogging: 'model.enableOpenAILogging', tavilyApiKey: 'advanced.tavilyApiKey',
};

/** v1 keys that are already v2 sections when they hold an object (V2_CONTAINER_KEYS). */
export const V2_SECTIONS: ReadonlySet<string> = new Set([
  'ui', 'tools', 'mcp', 'advanced', 'model', 'general', 'context', 'security', 'ide', 'privacy', 'telemetry', 'extensions',
]);

/** v1 → v2: `disable…` flags, moved as booleans (V1_TO_V2_PRESERVE_DISABLE_MAP). */
export const V1_TO_V2_DISABLE_MOVES: Readonly<Record<string, string>> = {
  disableAutoUpdate: 'general.disableAutoUpdate', disableUpdateNag: 'general.disableUpdateNag',
  disableLoadingPhrases: 'ui.accessibility.disableLoadingPhrases', disableFuzzySearch: 'context.fileFiltering.disableFuzzySearch',
  disableCacheControl: 'model.generationConfig.disableCacheControl',
};

/** Of those, the ones moved as `value === true` whatever they hold (CONSOLIDATED_DISABLE_KEYS). */
export const V1_CONSOLIDATED_DISABLE_KEYS: ReadonlySet<string> = new Set(['disableAutoUpdate', 'disableUpdateNag']);

/** A file is v1 when one of these top-level keys holds a non-object (V1_INDICATOR_KEYS). */
export const V1_INDICATOR_KEYS: readonly string[] = [
  ...Object.keys(V1_TO_V2_MOVES).filter((k) => !['extensions', 'mcpServers', 'telemetry'].includes(k)),
  ...Object.keys(V1_TO_V2_DISABLE_MOVES),
];

/** v2 → v3: `disable…` booleans become inverted `enable…` ones (V2_TO_V3_BOOLEAN_MAP, CONSOLIDATED_V2_PATHS). */
export const V2_TO_V3_INVERSIONS: Readonly<Record<string, string>> = {
  'general.disableAutoUpdate': 'general.enableAutoUpdate',
  'general.disableUpdateNag': 'general.enableAutoUpdate',
  'ui.accessibility.disableLoadingPhrases': 'ui.accessibility.enableLoadingPhrases',
  'context.fileFiltering.disableFuzzySearch': 'context.fileFiltering.enableFuzzySearch',
  'model.generationConfig.disableCacheControl': 'model.generationConfig.enableCacheControl',
};
/** Several v2 flags that become one v3 flag: enabled unless one of them disabled it. */
export const V2_TO_V3_CONSOLIDATED: Readonly<Record<string, readonly string[]>> = {
  'general.enableAutoUpdate': ['general.disableAutoUpdate', 'general.disableUpdateNag'],
};

/** v3 → v4: `general.gitCoAuthor` becomes `{commit, pr}`; strings are read with these words. */
export const GIT_CO_AUTHOR_PATH = 'general.gitCoAuthor';
export const GIT_CO_AUTHOR_ON: readonly string[] = ['true', 'yes', 'on', '1', 'enabled'];
export const GIT_CO_AUTHOR_OFF: readonly string[] = ['false', 'no', 'off', '0', 'disabled', ''];

/** v5 → v4: the protocol a `modelProviders` key implies; a v5 entry's own `protocol` is dropped. */
export const PROVIDER_KEY_PROTOCOL: Readonly<Record<string, string>> = {
  openai: 'openai', 'qwen-oauth': 'qwen-oauth', gemini: 'gemini', 'vertex-ai': 'gemini', anthropic: 'anthropic',
};

/** A workspace settings file Qwen Code cannot parse is copied here and replaced with `{}`; a user or system one is fatal. */
export const CORRUPTED_SUFFIX = '.corrupted';

/**
 * How Qwen Code's start fails over a user, system or system-defaults settings
 * file that does not parse (an empty one included), before it reads anything
 * else: "Cannot read operator sandbox policy from <path>: SyntaxError: …"
 * (packages/cli/src/config/execution-sandbox-settings.ts,
 * readOperatorSandboxSettings, chunk-KY4HZXLV.js). For the user file it first
 * copies the file to `settings.json.corrupted`.
 */
export const UNPARSABLE_SETTINGS_ERROR = 'Cannot read operator sandbox policy from';
