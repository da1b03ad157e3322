import type { Source } from '../protocol/index.js';
import type { DotenvFile } from './dotenv.js';
import { LOADER_ENV_KEYS, PRIVATE_PROVENANCE_ENV_KEYS, PROJECT_ENV_EXCLUSION_PATTERNS, PROJECT_ENV_EXCLUSIONS } from './qwen-code-facts.js';

export interface EnvEntry {
  value: string;
  source: Source;
}

/** A value given on the command line or in `initializationOptions`. */
export interface Override<T = string> {
  value: T;
  layer: 'cli' | 'initializationOptions';
}

export interface EnvInputs {
  processEnv: NodeJS.ProcessEnv;
  /** Names set by flags (`--openai-api-key` → OPENAI_API_KEY, …). */
  overrides: Record<string, Override>;
  /** The `.env` files found, in load order. */
  dotenvFiles: DotenvFile[];
  excludedEnvVars: readonly string[];
  /** Merged `settings.env`, each name with the scope that set it. */
  settingsEnv: Record<string, EnvEntry>;
}

/** What one `.env` file gave: names it set, names it may not set, names set before it. */
export interface DotenvLoad {
  file: DotenvFile;
  loaded: string[];
  excluded: string[];
  /** Each with what set it first. */
  shadowed: { name: string; by: Source }[];
}

export interface EnvLayers {
  entries: Map<string, EnvEntry>;
  dotenv: DotenvLoad[];
}

const canonicalLoaderKey = (name: string) => name.toLowerCase().replace(/_/gu, '-');
const LOADER_KEYS = new Set(LOADER_ENV_KEYS.map(canonicalLoaderKey));
const PROJECT_EXCLUSIONS = new Set(PROJECT_ENV_EXCLUSIONS.map((n) => n.toLowerCase()));
const PRIVATE_KEYS = new Set(PRIVATE_PROVENANCE_ENV_KEYS.map((n) => n.toLowerCase()));

/** Names no `.env` file and no `settings.env` may set: they change how processes load. */
function isLoaderKey(name: string): boolean {
  const c = canonicalLoaderKey(name);
  return c.startsWith('bash-func-') || LOADER_KEYS.has(c);
}

/** Names only the home `.env` files (and the process) may set: they move config, trust or TLS. */
function isProjectExclusion(name: string): boolean {
  const lower = name.toLowerCase();
  return PROJECT_EXCLUSIONS.has(lower) || PROJECT_ENV_EXCLUSION_PATTERNS.some((p) => p.test(lower));
}

/** Qwen Code's canApplyParsedEnvKey. */
function mayLoad(file: DotenvFile, name: string, excludedEnvVars: readonly string[]): boolean {
  if (isLoaderKey(name) || PRIVATE_KEYS.has(name.toLowerCase())) return false;
  if (file.scope === 'project' && isProjectExclusion(name)) return false;
  return !file.projectLevel || !excludedEnvVars.includes(name);
}

/**
 * Environment precedence, highest first: CLI flags / initializationOptions →
 * the process → the `.env` files in load order → `settings.env`. A name set
 * empty counts as unset (Qwen Code's isEffectivelyUnset), so a lower layer
 * fills it.
 */
export function resolveEnvLayers(inp: EnvInputs): EnvLayers {
  const entries = new Map<string, EnvEntry>();
  for (const [name, value] of Object.entries(inp.processEnv)) {
    if (value !== undefined) entries.set(name, { value, source: { layer: 'process' } });
  }
  const isSet = (name: string) => (entries.get(name)?.value ?? '') !== '';
  const dotenv = inp.dotenvFiles.map((file): DotenvLoad => {
    const load: DotenvLoad = { file, loaded: [], excluded: [], shadowed: [] };
    for (const [name, value] of Object.entries(file.vars)) {
      if (!mayLoad(file, name, inp.excludedEnvVars)) load.excluded.push(name);
      else if (isSet(name)) load.shadowed.push({ name, by: entries.get(name)!.source });
      else {
        entries.set(name, { value, source: { layer: 'dotenv', scope: file.scope, path: file.path } });
        load.loaded.push(name);
      }
    }
    return load;
  });
  for (const [name, e] of Object.entries(inp.settingsEnv)) {
    if (isLoaderKey(name) || isProjectExclusion(name)) continue;
    if (!isSet(name)) entries.set(name, e);
  }
  for (const [name, o] of Object.entries(inp.overrides)) {
    entries.set(name, { value: o.value, source: { layer: o.layer } });
  }
  return { entries, dotenv };
}
