import { isSecretName } from '../protocol/index.js';
import { type JsonPath, POISON_KEYS } from './jsonc-value.js';
import { isModelProviderKey } from './settings-schema.js';

/** The strings of a settings file that later diagnostics point at, by path. */
export interface FoundStrings {
  /** Strings that look like secrets written in plain text, with the property each belongs to. */
  secrets: { key: string | undefined; path: JsonPath }[];
  /** Every `modelProviders.<protocol>[i].envKey`, as the file has it (invalid entries too). */
  envKeys: { envKey: string; path: JsonPath }[];
}

const SECRET_SHAPES = [/^sk-[A-Za-z0-9_-]{8,}/, /^AIza[0-9A-Za-z_-]{20,}/];

function looksLikeSecret(key: string | undefined, value: string): boolean {
  if (SECRET_SHAPES.some((re) => re.test(value))) return true;
  // `$VAR` references are the right way to name a secret in settings.
  return key !== undefined && isSecretName(key) && value !== '' && !/^\$\{?[A-Za-z_]/.test(value);
}

/**
 * Finds the strings later diagnostics point at, and drops prototype keys
 * (JSON.parse keeps them as own properties). Array elements belong to the
 * array's property.
 */
export function scanStrings(root: Record<string, unknown>): FoundStrings {
  const secrets: FoundStrings['secrets'] = [];
  const envKeys: FoundStrings['envKeys'] = [];
  const path: JsonPath = [];
  const walk = (v: unknown, key: string | undefined): void => {
    if (typeof v === 'string') {
      if (looksLikeSecret(key, v)) secrets.push({ key, path: [...path] });
      if (key === 'envKey' && path.length === 4 && path[0] === 'modelProviders' && isModelProviderKey(path[1]) && typeof path[2] === 'number') {
        envKeys.push({ envKey: v, path: [...path] });
      }
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => {
        path.push(i);
        walk(x, key);
        path.pop();
      });
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        if (POISON_KEYS.has(k)) {
          delete o[k];
          continue;
        }
        path.push(k);
        walk(o[k], k);
        path.pop();
      }
    }
  };
  walk(root, undefined);
  return { secrets, envKeys };
}
