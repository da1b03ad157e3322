/**
 * The protocol's names as plain data, free of zod: the server's entry point
 * answers `initialize` from these before the schemas load.
 */
export const PROTOCOL_VERSION = 2;

export const AUTH_TYPE_NAMES = ['qwen-oauth', 'openai', 'openai-responses', 'anthropic', 'gemini', 'vertex-ai'] as const;

export const REQUEST_METHODS = [
  'auth/status',
  'auth/methods',
  'auth/login',
  'auth/cancel',
  'auth/logout',
  'model/list',
  'model/select',
  'model/test',
  'config/resolve',
  'workspace/trust',
  'chat/start',
  'chat/send',
  'chat/list',
  'chat/history',
  'chat/delete',
] as const;

export const NOTIFICATION_METHODS = ['auth/didChange', 'model/didChange', 'config/didChange', 'textDocument/publishDiagnostics', 'chat/didUpdate'] as const;

/**
 * The login methods that are Qwen Code 0.24.4 provider presets, in its menu
 * order (ALL_PROVIDERS, chunk-VOHPPFJI.js); src/auth/presets holds their data.
 */
export const PRESET_METHODS = [
  'coding-plan',
  'token-plan',
  'alibabaStandard',
  'deepseek',
  'grok',
  'minimax',
  'zai',
  'moonshot',
  'idealab',
  'modelscope',
  'openrouter',
  'requesty',
  'custom-openai-compatible',
] as const;
