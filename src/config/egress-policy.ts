import { isSecretName, type Source } from '../protocol/index.js';
import { homeDotenvPaths } from './dotenv.js';
import { expandEnvVars } from './expand.js';
import { getPath } from './merge.js';
import { SETTINGS_API_KEY } from './qwen-code-facts.js';
import type { ConfigGraph } from './graph.js';

/**
 * Whether a value was put there by the workspace: its settings or any
 * `.env` file that is not a home file (a project file anywhere up the walk).
 */
export function fromWorkspace(g: ConfigGraph, s: Source | undefined): boolean {
  if (!s) return false;
  if (s.layer === 'settings') return s.scope === 'workspace';
  if (s.layer === 'dotenv') return !!s.path && !homeDotenvPaths(g.paths.home, g.paths.qwenDir).includes(s.path);
  return false;
}

/** What the egress guard needs to know of a config graph. */
export interface EgressInputs {
  /** Explicitly trusted (the trusted-folders file says so), not merely trusted because folder trust is off. */
  trusted: boolean;
  /** Every URL chosen outside the workspace. */
  outsideUrls: string[];
  /** Every credential from outside the workspace, with the name to show instead of it. */
  credentials: { name: string; value: string }[];
}

/** Every string in a settings value; without recursion, so that no nesting depth can overflow the stack. */
function forEachString(root: unknown, fn: (value: string) => void): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') fn(v);
    else if (v !== null && typeof v === 'object') for (const x of Array.isArray(v) ? v : Object.values(v)) stack.push(x);
  }
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * The origins and credentials that come from outside the workspace: the
 * process environment and flags (whether or not a higher layer shadows them),
 * the home `.env` files, user, system and system-defaults settings (read
 * before the merge, where the workspace could hide them), and the defaults
 * the graph fills in. A value of the workspace is never one of them, even
 * when it copies one: the guard matches values, so a copy is still caught.
 */
export function egressInputs(g: ConfigGraph, processEnv: NodeJS.ProcessEnv): EgressInputs {
  const envKeys = new Set(g.catalogue.flatMap((m) => (m.envKey ? [m.envKey] : [])));
  const outsideUrls: string[] = [];
  const credentials: EgressInputs['credentials'] = [];
  const url = (value: string, where: string) => {
    if (!/^https?:\/\//i.test(value) || !URL.canParse(value)) return;
    outsideUrls.push(value);
    const { password } = new URL(value);
    if (password) credentials.push({ name: `the password of a URL in ${where}`, value: decoded(password) });
  };
  const variable = (name: string, value: string, where: string) => {
    if (isSecretName(name) || envKeys.has(name)) credentials.push({ name, value });
    url(value, where);
  };
  for (const [name, value] of Object.entries(processEnv)) if (value) variable(name, value, name);
  for (const [name, e] of g.env) if (!fromWorkspace(g, e.source)) variable(name, e.value, name);
  for (const f of g.files) {
    if (!f.exists || f.scope === 'workspace') continue;
    const s = expandEnvVars(f.settings, g.expansionEnv);
    const env = s.env;
    if (env && typeof env === 'object') {
      for (const [name, value] of Object.entries(env)) if (typeof value === 'string') variable(name, value, `${f.scope} settings`);
    }
    // Qwen Code's last fallback for a key, so a credential like any other.
    const apiKey = getPath(s, SETTINGS_API_KEY);
    if (typeof apiKey === 'string' && apiKey !== '') credentials.push({ name: SETTINGS_API_KEY, value: apiKey });
    forEachString(s, (value) => url(value, `${f.scope} settings`));
  }
  for (const m of g.catalogue) {
    if (m.baseUrl && m.baseUrlSource && !fromWorkspace(g, m.baseUrlSource)) url(m.baseUrl, 'a base URL chosen outside the workspace');
  }
  return { trusted: g.trust.explicit === true, outsideUrls, credentials };
}
