import type { DotenvFile } from './dotenv.js';

/**
 * What `$VAR` in settings expands from (Qwen Code 0.24's resolveEnvVarsInObject
 * with getHomeEnvFallbackVars): the process environment, then the given home
 * `.env` files, the first that sets a name winning. A name the process has,
 * even empty, is never taken from a file. Never project `.env` files nor
 * `settings.env`: settings are expanded before either is applied.
 */
export function expansionEnv(processEnv: NodeJS.ProcessEnv, homeFiles: readonly DotenvFile[]): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const f of homeFiles) for (const [name, value] of Object.entries(f.vars)) if (!Object.hasOwn(out, name)) out[name] = value;
  for (const [name, value] of Object.entries(processEnv)) if (value !== undefined) out[name] = value;
  return out;
}

/**
 * `$VAR` and `${VAR}` in settings strings, from `env` (see expansionEnv); an
 * unknown name stays as written. Parts without a reference are returned as
 * they are, not copied: most of a settings file has none.
 */
export function expandEnvVars<T>(value: T, env: NodeJS.ProcessEnv): T {
  if (typeof value === 'string') {
    if (!value.includes('$')) return value;
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced, bare) => {
      const v = env[(braced ?? bare) as string];
      return v === undefined ? whole : v;
    }) as T;
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((v, i) => {
      const e = expandEnvVars(v, env);
      if (e !== v) (out ??= [...value])[i] = e;
    });
    return (out ?? value) as T;
  }
  if (value && typeof value === 'object') {
    let out: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(value)) {
      const e = expandEnvVars(v, env);
      if (e !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = e;
    }
    return (out ?? value) as T;
  }
  return value;
}
