/**
 * Qwen Code's settings migrations (v1 → v2 → v3 → v4, and v5 down to v4),
 * done in memory the way it does them on load, so that an old or newer file
 * means to the server what it means to Qwen Code. Qwen Code also writes the
 * result back; the server only does that as part of a write of its own
 * (`migrationEdits`), never on a read.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Scope } from '../protocol/index.js';
import { POISON_KEYS } from './jsonc-value.js';
import {
  GIT_CO_AUTHOR_OFF,
  GIT_CO_AUTHOR_ON,
  GIT_CO_AUTHOR_PATH,
  PROVIDER_KEY_PROTOCOL,
  QWEN_CODE_VERSION,
  SETTINGS_VERSION,
  V1_CONSOLIDATED_DISABLE_KEYS,
  V1_INDICATOR_KEYS,
  V1_TO_V2_DISABLE_MOVES,
  V1_TO_V2_MOVES,
  V2_SECTIONS,
  V2_TO_V3_CONSOLIDATED,
  V2_TO_V3_INVERSIONS,
} from './qwen-code-facts.js';
import type { JsonEdit } from './write/index.js';

type Obj = Record<string, unknown>;

export interface MigrationStep {
  from: number;
  to: number;
  /** What moved, e.g. `selectedAuthType → security.auth.selectedType`. */
  changes: string[];
}

export interface Migration {
  settings: Obj;
  steps: MigrationStep[];
  /** Qwen Code's own warnings (a value dropped or reset), in its words. */
  warnings: string[];
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: Obj, k: string) => Object.hasOwn(o, k);

function getNested(obj: Obj, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, k)) return undefined;
    cur = (cur as Obj)[k];
  }
  return cur;
}

/** As Qwen Code's setNestedPropertySafe: missing parents are made, a scalar parent stops the write. */
function setNested(obj: Obj, path: string, value: unknown): void {
  const keys = path.split('.');
  if (keys.some((k) => POISON_KEYS.has(k))) return;
  const last = keys.pop()!;
  let cur = obj;
  for (const k of keys) {
    if (cur[k] === undefined) cur[k] = {};
    const next = cur[k];
    if (typeof next !== 'object' || next === null) return;
    cur = next as Obj;
  }
  cur[last] = value;
}

function deleteNested(obj: Obj, path: string): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  let cur: unknown = obj;
  for (const k of keys) {
    cur = (cur as Obj)[k];
    if (typeof cur !== 'object' || cur === null) return;
  }
  delete (cur as Obj)[last];
}

interface Step {
  from: number;
  to: number;
  applies(s: Obj): boolean;
  run(s: Obj, scope: string, changes: string[], warnings: string[]): Obj;
}

/** A step for files of version `n`, or of no version that `shaped` recognises. */
const versionOr = (n: number, shaped: (s: Obj) => boolean) => (s: Obj) => s.$version === n || (s.$version === undefined && shaped(s));

const v1ToV2: Step = {
  from: 1,
  to: 2,
  applies: (s) => {
    const v = s.$version;
    if (typeof v === 'number' && v >= 2) return false;
    return V1_INDICATOR_KEYS.some((k) => has(s, k) && !isObj(s[k]));
  },
  run: (source, _scope, changes) => {
    const result: Obj = {};
    const processed = new Set<string>();
    const targetOf = (k: string) => V1_TO_V2_MOVES[k] ?? V1_TO_V2_DISABLE_MOVES[k];
    for (const [key, path] of Object.entries(V1_TO_V2_MOVES)) {
      if (!has(source, key)) continue;
      const value = source[key];
      processed.add(key);
      if (V2_SECTIONS.has(key) && isObj(value)) {
        result[key] = value;
        continue;
      }
      if (isObj(value) && path.startsWith(`${key}.`)) {
        for (const [k, v] of Object.entries(value)) setNested(result, `${path}.${k}`, v);
      } else setNested(result, path, value);
      if (key !== path) changes.push(`${key} → ${path}`);
    }
    for (const [key, path] of Object.entries(V1_TO_V2_DISABLE_MOVES)) {
      if (!has(source, key)) continue;
      const value = source[key];
      processed.add(key);
      if (V1_CONSOLIDATED_DISABLE_KEYS.has(key)) setNested(result, path, value === true);
      else if (typeof value === 'boolean') setNested(result, path, value);
      changes.push(`${key} → ${path}`);
    }
    if (has(source, 'mcpServers')) {
      result.mcpServers = source.mcpServers;
      processed.add('mcpServers');
    }
    const targets = [...processed].map(targetOf).filter((p): p is string => p !== undefined);
    for (const key of Object.keys(source)) {
      if (processed.has(key)) continue;
      const value = source[key];
      // A v2 section beside v1 keys that move into it: its other members join them.
      if (targets.some((p) => p.startsWith(`${key}.`)) && isObj(value)) {
        for (const [k, v] of Object.entries(value)) if (!targets.includes(`${key}.${k}`)) setNested(result, `${key}.${k}`, v);
      } else result[key] = value;
    }
    result.$version = 2;
    return result;
  },
};

/** A `disable…` value as Qwen Code reads it: a boolean, or "true"/"false" in any case. */
function readFlag(v: unknown): { present: boolean; value?: boolean } {
  if (v === undefined) return { present: false };
  if (typeof v === 'boolean') return { present: true, value: v };
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === 'false') return { present: true, value: s === 'true' };
  }
  return { present: true };
}

const v2ToV3: Step = {
  from: 2,
  to: 3,
  applies: (s) => s.$version === 2,
  run: (settings, scope, changes, warnings) => {
    const result = structuredClone(settings);
    const done = new Set<string>();
    for (const [target, sources] of Object.entries(V2_TO_V3_CONSOLIDATED)) {
      let anyValid = false;
      let anyDisabled = false;
      for (const old of sources) {
        const flag = readFlag(getNested(result, old));
        if (!flag.present) continue;
        deleteNested(result, old);
        done.add(old);
        if (flag.value === undefined) {
          warnings.push(`Removed deprecated setting '${old}' from ${scope} settings because the value is invalid. Expected boolean.`);
          continue;
        }
        anyValid = true;
        anyDisabled ||= flag.value;
        changes.push(`${old} → ${target} (inverted)`);
      }
      if (anyValid) setNested(result, target, !anyDisabled);
    }
    for (const [old, target] of Object.entries(V2_TO_V3_INVERSIONS)) {
      if (done.has(old)) continue;
      const flag = readFlag(getNested(result, old));
      if (!flag.present) continue;
      deleteNested(result, old);
      if (flag.value === undefined) {
        warnings.push(`Removed deprecated setting '${old}' from ${scope} settings because the value is invalid. Expected boolean or string "true"/"false".`);
        continue;
      }
      setNested(result, target, !flag.value);
      changes.push(`${old} → ${target} (inverted)`);
    }
    result.$version = 3;
    return result;
  },
};

const v3ToV4: Step = {
  from: 3,
  to: 4,
  applies: versionOr(3, (s) => {
    const v = getNested(s, GIT_CO_AUTHOR_PATH);
    return v !== undefined && !isObj(v);
  }),
  run: (settings, scope, changes, warnings) => {
    const result = structuredClone(settings);
    const value = getNested(result, GIT_CO_AUTHOR_PATH);
    const both = (on: boolean) => setNested(result, GIT_CO_AUTHOR_PATH, { commit: on, pr: on });
    if (typeof value === 'boolean') both(value);
    else if (typeof value === 'string') {
      const s = value.trim().toLowerCase();
      if (GIT_CO_AUTHOR_ON.includes(s)) both(true);
      else {
        both(false);
        // The stored string is not quoted: a settings value may be anything.
        if (!GIT_CO_AUTHOR_OFF.includes(s)) warnings.push(`Reset '${GIT_CO_AUTHOR_PATH}' in ${scope} settings to {commit: false, pr: false} because the stored string was not a recognized boolean form.`);
      }
    } else if (value !== undefined && !isObj(value)) {
      both(false);
      warnings.push(`Reset '${GIT_CO_AUTHOR_PATH}' in ${scope} settings to {commit: false, pr: false} because the stored value was not a boolean or object.`);
    }
    if (value !== undefined && !isObj(value)) changes.push(`${GIT_CO_AUTHOR_PATH} → {commit, pr}`);
    result.$version = 4;
    return result;
  },
};

const v5ToV4: Step = {
  from: 5,
  to: 4,
  applies: versionOr(5, (s) => isObj(s.modelProviders) && Object.values(s.modelProviders).some(isObj)),
  run: (settings, _scope, changes, warnings) => {
    const result = structuredClone(settings);
    const providers = result.modelProviders;
    if (isObj(providers)) {
      for (const [key, value] of Object.entries(providers)) {
        if (!isObj(value)) continue;
        const derived = Object.hasOwn(PROVIDER_KEY_PROTOCOL, key) ? PROVIDER_KEY_PROTOCOL[key] : undefined;
        if (typeof value.protocol === 'string' && derived !== undefined && value.protocol !== derived) {
          warnings.push(`Provider "${key}" declared protocol "${value.protocol}", but V4 derives protocol "${derived}" from the provider key. The explicit protocol has been dropped.`);
        }
        providers[key] = Array.isArray(value.models) ? value.models : [];
        changes.push(`modelProviders.${key}: {protocol, models} → its models list`);
      }
    }
    result.$version = 4;
    return result;
  },
};

/** In Qwen Code's order: each step sees what the previous one made. */
const STEPS: readonly Step[] = [v1ToV2, v2ToV3, v3ToV4, v5ToV4];

/** How Qwen Code names a scope in its migration warnings. */
const SCOPE_WORD: Record<Scope, string> = { systemDefaults: 'system default', user: 'user', workspace: 'workspace', system: 'system' };

/** The file as Qwen Code will read it once migrated, or null when it is already in its format. */
export function migrateSettings(raw: Obj, scope: Scope = 'user'): Migration | null {
  if (raw.$version === SETTINGS_VERSION || !STEPS.some((s) => s.applies(raw))) return null;
  let current = raw;
  const steps: MigrationStep[] = [];
  const warnings: string[] = [];
  for (const step of STEPS) {
    if (!step.applies(current)) continue;
    const changes: string[] = [];
    current = step.run(current, SCOPE_WORD[scope], changes, warnings);
    steps.push({ from: step.from, to: step.to, changes });
  }
  return { settings: current, steps, warnings };
}

/** One sentence on what Qwen Code will do to the file, for a diagnostic. */
export function describeMigration(m: Migration): string {
  const from = m.steps[0]!.from;
  const changes = m.steps.flatMap((s) => s.changes);
  return (
    `this file is in Qwen Code's settings format version ${from}: Qwen Code ${QWEN_CODE_VERSION} migrates it to version ${SETTINGS_VERSION} ` +
    `when it starts and writes the result back${changes.length > 0 ? ` (${changes.join(', ')})` : ''}; ` +
    'the server reads it as migrated, and migrates it the same way (comments kept) when it writes to it'
  );
}

/** What a write said after migrating a file on the way. */
export function migratedWarning(path: string, m: Migration): string {
  return `${path} was in Qwen Code's settings format version ${m.steps[0]!.from}: migrated it to version ${SETTINGS_VERSION} as Qwen Code does, comments kept`;
}

/** The edits that turn `before` into `after`, value by value, so that the rest of the file (comments too) stays. */
function diffEdits(before: Obj, after: Obj, path: string[] = []): JsonEdit[] {
  const out: JsonEdit[] = [];
  for (const k of Object.keys(before)) if (!has(after, k)) out.push({ path: [...path, k], value: undefined });
  for (const [k, v] of Object.entries(after)) {
    const old = before[k];
    if (isObj(old) && isObj(v)) out.push(...diffEdits(old, v, [...path, k]));
    else if (!has(before, k) || !isDeepStrictEqual(old, v)) out.push({ path: [...path, k], value: v });
  }
  return out;
}

/** The JSON edits that migrate a file's current contents as Qwen Code would; none when it needs no migration. */
export function migrationEdits(current: unknown, scope: Scope = 'user'): { edits: JsonEdit[]; migration: Migration | null } {
  const migration = isObj(current) ? migrateSettings(current, scope) : null;
  return { edits: migration ? diffEdits(current as Obj, migration.settings) : [], migration };
}
