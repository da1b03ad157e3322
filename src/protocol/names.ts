/**
 * The protocol's names as plain data, free of zod: the server's entry point
 * answers `initialize` from these before the schemas load.
 */
export const PROTOCOL_VERSION = 2;

export const AUTH_TYPE_NAMES = ['qwen-oauth', 'openai', 'openai-responses', 'anthropic', 'gemini', 'vertex-ai'] as const;

export const REQUEST_METHODS = [
  'auth/status',
  'auth/login',
  'auth/cancel',
  'auth/logout',
  'model/list',
  'model/select',
  'model/test',
  'config/resolve',
  'workspace/trust',
] as const;

export const NOTIFICATION_METHODS = ['auth/didChange', 'model/didChange', 'config/didChange', 'textDocument/publishDiagnostics'] as const;
