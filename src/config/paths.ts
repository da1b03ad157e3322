import { homedir, platform } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Scope } from '../protocol/index.js';

export interface ConfigPaths {
  home: string;
  /** `~/.qwen`, moved by QWEN_HOME in later Qwen Code releases. */
  qwenDir: string;
  settings: Record<Scope, string | null>;
  trustedFolders: string;
  oauthCreds: string;
  oauthLock: string;
}

function defaultSystemSettingsPath(): string {
  switch (platform()) {
    case 'darwin':
      return '/Library/Application Support/QwenCode/settings.json';
    case 'win32':
      return 'C:\\ProgramData\\qwen-code\\settings.json';
    default:
      return '/etc/qwen-code/settings.json';
  }
}

/** Where every file the server reads lives, from the process environment and the workspace root. */
export function resolvePaths(env: NodeJS.ProcessEnv, cwd: string): ConfigPaths {
  const home = resolve(env.HOME || homedir());
  const qwenDir = env.QWEN_HOME ? resolve(env.QWEN_HOME) : join(home, '.qwen');
  const system = env.QWEN_CODE_SYSTEM_SETTINGS_PATH ? resolve(env.QWEN_CODE_SYSTEM_SETTINGS_PATH) : defaultSystemSettingsPath();
  const systemDefaults = env.QWEN_CODE_SYSTEM_DEFAULTS_PATH
    ? resolve(env.QWEN_CODE_SYSTEM_DEFAULTS_PATH)
    : join(dirname(system), 'system-defaults.json');
  const user = join(qwenDir, 'settings.json');
  const root = resolve(cwd);
  // Qwen Code skips the workspace scope when the project is the home folder:
  // it would be the user file again.
  const workspace = root === home ? null : join(root, '.qwen', 'settings.json');
  return {
    home,
    qwenDir,
    settings: { systemDefaults, user, workspace, system },
    trustedFolders: env.QWEN_CODE_TRUSTED_FOLDERS_PATH
      ? resolve(env.QWEN_CODE_TRUSTED_FOLDERS_PATH)
      : join(qwenDir, 'trustedFolders.json'),
    oauthCreds: join(qwenDir, 'oauth_creds.json'),
    oauthLock: join(qwenDir, 'oauth_creds.lock'),
  };
}

/** Lowest precedence first. */
export const SCOPE_ORDER: readonly Scope[] = ['systemDefaults', 'user', 'workspace', 'system'];

/**
 * The server's own state folder: `$XDG_STATE_HOME/qwen-agent-server`, else
 * `~/.local/state/qwen-agent-server` (XDG: a relative value is ignored).
 * Chats and the record of key checks live there, never in Qwen Code's files.
 */
export function stateDir(env: NodeJS.ProcessEnv): string {
  const xdg = env['XDG_STATE_HOME'];
  const state = xdg && isAbsolute(xdg) ? xdg : join(env['HOME'] || homedir(), '.local', 'state');
  return join(state, 'qwen-agent-server');
}
