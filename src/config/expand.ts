/**
 * Qwen Code expands `$VAR` and `${VAR}` in settings strings from the process
 * environment only (not from `.env`); an unknown name stays as written.
 * Parts without a reference are returned as they are, not copied: most of a
 * settings file has none.
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
