/**
 * Qwen Code expands `$VAR` and `${VAR}` in settings strings from the process
 * environment only (not from `.env`); an unknown name stays as written.
 */
export function expandEnvVars<T>(value: T, env: NodeJS.ProcessEnv): T {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced, bare) => {
      const v = env[(braced ?? bare) as string];
      return v === undefined ? whole : v;
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v) => expandEnvVars(v, env)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnvVars(v, env);
    return out as T;
  }
  return value;
}
