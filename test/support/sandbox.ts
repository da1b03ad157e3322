import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Variables that would leak the developer's real setup into a test. */
const SCRUB = /^(OPENAI_|ANTHROPIC_|GEMINI_|GOOGLE_|DASHSCOPE_|BAILIAN_|QWEN_|HTTPS?_PROXY$|https?_proxy$|NO_PROXY$|no_proxy$|DEBUG)/;

export interface Sandbox {
  root: string;
  home: string;
  project: string;
  systemDir: string;
  env: NodeJS.ProcessEnv;
  /** Writes a file, creating folders; a relative path is under the sandbox root. */
  write(path: string, text: string): Promise<string>;
  read(path: string): Promise<string>;
  path(...parts: string[]): string;
  cleanup(): Promise<void>;
}

/** A temporary HOME, project and system folder; never the real ~/.qwen. */
export async function makeSandbox(): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), 'qas-'));
  const home = join(root, 'home');
  const project = join(root, 'work', 'project');
  const systemDir = join(root, 'etc');
  await Promise.all([mkdir(home, { recursive: true }), mkdir(project, { recursive: true }), mkdir(systemDir, { recursive: true })]);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!SCRUB.test(k)) env[k] = v;
  Object.assign(env, {
    HOME: home,
    // The server's own state (chats, key checks) too: never the real one, whatever the machine sets.
    XDG_STATE_HOME: join(home, '.local', 'state'),
    QWEN_CODE_SYSTEM_SETTINGS_PATH: join(systemDir, 'settings.json'),
    QWEN_CODE_SYSTEM_DEFAULTS_PATH: join(systemDir, 'system-defaults.json'),
    QWEN_CODE_TRUSTED_FOLDERS_PATH: join(home, '.qwen', 'trustedFolders.json'),
    // Any real Qwen endpoint is unreachable by construction.
    QWEN_OAUTH_DEVICE_AUTHORIZATION_URL: 'http://127.0.0.1:9/device',
    QWEN_OAUTH_TOKEN_URL: 'http://127.0.0.1:9/token',
  });
  const abs = (p: string) => (p.startsWith('/') ? p : join(root, p));
  return {
    root,
    home,
    project,
    systemDir,
    env,
    async write(path, text) {
      const p = abs(path);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, text);
      return p;
    },
    read: (path) => readFile(abs(path), 'utf8'),
    path: (...parts) => join(root, ...parts),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
