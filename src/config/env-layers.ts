import type { Source } from '../protocol/index.js';
import type { DotenvFile } from './dotenv.js';

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
  dotenv: DotenvFile | null;
  excludedEnvVars: readonly string[];
  /** Merged `settings.env`, each name with the scope that set it. */
  settingsEnv: Record<string, EnvEntry>;
}

export interface EnvLayers {
  entries: Map<string, EnvEntry>;
  loaded: string[];
  excluded: string[];
  shadowed: string[];
}

/**
 * Environment precedence, highest first: CLI flags / initializationOptions →
 * the process → the one `.env` file found (names not already set; exclusions
 * for project files) → `settings.env` (names still unset).
 */
export function resolveEnvLayers(inp: EnvInputs): EnvLayers {
  const entries = new Map<string, EnvEntry>();
  for (const [name, value] of Object.entries(inp.processEnv)) {
    if (value !== undefined) entries.set(name, { value, source: { layer: 'process' } });
  }
  const loaded: string[] = [];
  const excluded: string[] = [];
  const shadowed: string[] = [];
  if (inp.dotenv) {
    for (const [name, value] of Object.entries(inp.dotenv.vars)) {
      if (inp.dotenv.projectLevel && inp.excludedEnvVars.includes(name)) {
        excluded.push(name);
      } else if (entries.has(name)) {
        shadowed.push(name);
      } else {
        entries.set(name, { value, source: { layer: 'dotenv', path: inp.dotenv.path } });
        loaded.push(name);
      }
    }
  }
  for (const [name, e] of Object.entries(inp.settingsEnv)) {
    if (!entries.has(name)) entries.set(name, e);
  }
  for (const [name, o] of Object.entries(inp.overrides)) {
    entries.set(name, { value: o.value, source: { layer: o.layer } });
  }
  return { entries, loaded, excluded, shadowed };
}
