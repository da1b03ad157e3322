import type { Scope, Source } from '../protocol/index.js';
import { POISON_KEYS } from './jsonc-value.js';

export interface ScopedSettings {
  scope: Scope;
  path: string;
  settings: Record<string, unknown>;
}

export interface MergedSettings {
  value: Record<string, unknown>;
  /** Dotted path of every leaf → the scope that set it. */
  sources: Map<string, Source>;
}

type Strategy = 'deep' | 'shallow' | 'union' | 'concat';


/** Qwen Code's per-key merge strategies (QWEN-FACTS.md, "Settings merge"). */
function strategyFor(path: string): Strategy {
  if (path === 'env' || path === 'mcpServers') return 'shallow';
  if (path === 'advanced.excludedEnvVars' || /^permissions\.[^.]+$/.test(path)) return 'union';
  if (path === 'context.includeDirectories') return 'concat';
  return 'deep';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function forget(sources: Map<string, Source>, path: string): void {
  for (const k of sources.keys()) if (k === path || k.startsWith(`${path}.`)) sources.delete(k);
}

function mergeObject(
  target: Record<string, unknown>,
  from: Record<string, unknown>,
  prefix: string,
  src: Source,
  sources: Map<string, Source>,
): void {
  for (const [key, value] of Object.entries(from)) {
    if (POISON_KEYS.has(key) || value === undefined) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    const existing = target[key];
    const strategy = strategyFor(path);
    if (strategy === 'shallow' && isPlainObject(value)) {
      const into = isPlainObject(existing) ? existing : {};
      if (!isPlainObject(existing)) forget(sources, path);
      for (const [k, v] of Object.entries(value)) {
        if (POISON_KEYS.has(k)) continue;
        into[k] = structuredClone(v);
        forget(sources, `${path}.${k}`);
        sources.set(`${path}.${k}`, src);
      }
      target[key] = into;
    } else if ((strategy === 'union' || strategy === 'concat') && Array.isArray(value)) {
      const before = Array.isArray(existing) ? existing : [];
      const added = structuredClone(value);
      target[key] = strategy === 'union' ? [...new Set([...before, ...added])] : [...before, ...added];
      sources.set(path, src);
    } else if (strategy === 'deep' && isPlainObject(value)) {
      if (!isPlainObject(existing)) {
        forget(sources, path);
        target[key] = {};
      }
      mergeObject(target[key] as Record<string, unknown>, value, path, src, sources);
    } else {
      forget(sources, path);
      target[key] = structuredClone(value);
      sources.set(path, src);
    }
  }
}

/** Merges scopes given lowest precedence first. The result shares nothing with the inputs. */
export function mergeSettings(scopes: readonly ScopedSettings[]): MergedSettings {
  const value: Record<string, unknown> = {};
  const sources = new Map<string, Source>();
  for (const s of scopes) {
    mergeObject(value, s.settings, '', { layer: 'settings', scope: s.scope, path: s.path }, sources);
  }
  return { value, sources };
}

/** The value at a dotted path of a merged object. */
export function getPath(obj: Record<string, unknown>, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}
