import { readFile } from 'node:fs/promises';
import type * as z from 'zod/mini';
import { findNodeAtLocation, type Node, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { type Diagnostic, isSecretName, KeyAuthType, type Scope } from '../protocol/index.js';
import { JSONC_OPTIONS, parseJsonc, POISON_KEYS } from './jsonc-value.js';
import { MODEL_PROVIDER_KEYS, ModelConfig, SettingsOutline } from './settings-schema.js';
import { lineStarts, rangeAt, type Range } from './text-position.js';

type JsonPath = (string | number)[];

export interface SettingsFile {
  scope: Scope;
  path: string;
  exists: boolean;
  /** The settings as the server uses them: schema-invalid parts left out. */
  settings: Record<string, unknown>;
  /** Set when the file does not parse; `settings` then holds the last good contents. */
  parseError: string | null;
  diagnostics: Diagnostic[];
  /** Strings that look like secrets written in plain text, with the property each belongs to. */
  secrets: { key: string | undefined; path: JsonPath }[];
  /** Every `modelProviders.<protocol>[i].envKey`, as the file has it (invalid entries too). */
  envKeys: { envKey: string; path: JsonPath }[];
  /** The ranges of some paths of the file, all in one call: the syntax tree is built for it and dropped. */
  locate(paths: JsonPath[]): Range[];
}

const SECRET_SHAPES = [/^sk-[A-Za-z0-9_-]{8,}/, /^AIza[0-9A-Za-z_-]{20,}/];

function looksLikeSecret(key: string | undefined, value: string): boolean {
  if (SECRET_SHAPES.some((re) => re.test(value))) return true;
  // `$VAR` references are the right way to name a secret in settings.
  return key !== undefined && isSecretName(key) && value !== '' && !/^\$\{?[A-Za-z_]/.test(value);
}

const PROVIDER_KEYS: ReadonlySet<string | number | undefined> = new Set(KeyAuthType.options);
const START = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };

/**
 * Finds the strings later diagnostics point at, and drops prototype keys
 * (JSON.parse keeps them as own properties). Array elements belong to the
 * array's property.
 */
function scanStrings(root: Record<string, unknown>): Pick<SettingsFile, 'secrets' | 'envKeys'> {
  const secrets: SettingsFile['secrets'] = [];
  const envKeys: SettingsFile['envKeys'] = [];
  const path: JsonPath = [];
  const walk = (v: unknown, key: string | undefined): void => {
    if (typeof v === 'string') {
      if (looksLikeSecret(key, v)) secrets.push({ key, path: [...path] });
      if (key === 'envKey' && path.length === 4 && path[0] === 'modelProviders' && PROVIDER_KEYS.has(path[1]) && typeof path[2] === 'number') {
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

/** Offsets and paths of a text as LSP ranges. */
function locator(text: string) {
  let starts: number[] | undefined;
  const at = (offset: number, length: number) => rangeAt((starts ??= lineStarts(text)), offset, length);
  const locate = (paths: JsonPath[]): Range[] => {
    if (paths.length === 0) return [];
    const tree = parseTree(text, [], JSONC_OPTIONS);
    return paths.map((p) => {
      let node: Node | undefined;
      for (let n = p.length; n >= 0 && !node; n--) node = tree ? findNodeAtLocation(tree, p.slice(0, n)) : undefined;
      if (!node) return at(0, 1);
      // Point at the key when there is one: that is what a person looks for.
      const target = node.parent?.type === 'property' && node.parent.children?.[0] ? node.parent.children[0] : node;
      return at(target.offset, target.length);
    });
  };
  return { at, locate };
}

/** Every schema problem of a settings file, model entries checked one at a time. */
function schemaIssues(raw: Record<string, unknown>): z.core.$ZodIssue[] {
  const outline = SettingsOutline.safeParse(raw);
  const issues = outline.success ? [] : [...outline.error.issues];
  const providers = raw.modelProviders;
  if (providers === null || typeof providers !== 'object' || Array.isArray(providers)) return issues;
  for (const [key, list] of Object.entries(providers)) {
    if (!Array.isArray(list)) continue;
    list.forEach((item: unknown, i) => {
      const r = ModelConfig.safeParse(item);
      if (!r.success) for (const issue of r.error.issues) issues.push({ ...issue, path: ['modelProviders', key, i, ...issue.path] });
    });
  }
  return issues;
}

/** Plain JSON (most settings files) goes through the native parser; comments and trailing commas through jsonc. */
function parseSettingsText(text: string): { value: unknown; errors: ParseError[] } {
  try {
    return { value: JSON.parse(text), errors: [] };
  } catch {
    const errors: ParseError[] = [];
    return { value: parseJsonc(text, errors), errors };
  }
}

function deleteAt(obj: unknown, path: readonly PropertyKey[]): void {
  if (path.length === 0) return;
  let cur: unknown = obj;
  for (const key of path.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  if (cur === null || typeof cur !== 'object') return;
  const last = path[path.length - 1]!;
  if (Array.isArray(cur) && typeof last === 'number') cur.splice(last, 1, undefined);
  else delete (cur as Record<PropertyKey, unknown>)[last];
}

function compactArrays(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(compactArrays);
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) (v as Record<string, unknown>)[k] = compactArrays(x);
  }
  return v;
}

/**
 * Reads one settings scope. A file that fails to parse keeps `previous`
 * (its last good contents), so the server keeps serving what it had.
 */
export async function readSettingsFile(
  scope: Scope,
  path: string | null,
  previous?: SettingsFile,
): Promise<SettingsFile> {
  const base = { scope, path: path ?? '', diagnostics: [] as Diagnostic[], secrets: [], envKeys: [], locate: (ps: JsonPath[]) => ps.map(() => START) };
  if (!path) return { ...base, exists: false, settings: {}, parseError: null };
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ...base, path, exists: false, settings: {}, parseError: null };
    const message = `cannot read ${path}: ${code ?? String(err)}`;
    return {
      ...base,
      path,
      exists: true,
      settings: previous?.settings ?? {},
      parseError: message,
      diagnostics: [{ path, message, severity: 'error' }],
    };
  }
  const { value, errors } = parseSettingsText(text);
  const { at, locate } = locator(text);
  const rootIsObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  if (errors.length > 0 || (text.trim() !== '' && !rootIsObject)) {
    const diagnostics: Diagnostic[] = errors.map((e) => {
      const range = at(e.offset, e.length);
      return {
        path,
        severity: 'error',
        range,
        message: `JSON error: ${printParseErrorCode(e.error)} at line ${range.start.line + 1}, column ${range.start.character + 1}. The server keeps using the last good contents and will not write to this file until it is fixed.`,
      };
    });
    if (diagnostics.length === 0) {
      diagnostics.push({ path, severity: 'error', range: START, message: 'settings must be a JSON object' });
    }
    return { ...base, path, exists: true, settings: previous?.settings ?? {}, parseError: diagnostics[0]!.message, diagnostics };
  }
  const raw = (rootIsObject ? value : {}) as Record<string, unknown>;
  // Before the clean-up below: diagnostics point at the file's own indices.
  const strings = scanStrings(raw);
  const diagnostics: Diagnostic[] = [];
  const issues = schemaIssues(raw);
  if (issues.length > 0) {
    const paths = issues.map((i) => i.path.filter((k): k is string | number => typeof k !== 'symbol'));
    const ranges = locate(paths);
    issues.forEach((issue, n) => {
      const p = paths[n]!;
      diagnostics.push({
        path,
        severity: 'error',
        range: ranges[n]!,
        message: `${p.join('.') || '(root)'}: ${issue.message}; this value is ignored`,
      });
      // Drop the offending value (a whole model entry for a bad field in it), keep the rest.
      const cut = p[0] === 'modelProviders' && p.length > 3 ? p.slice(0, 3) : p;
      deleteAt(raw, cut);
    });
    compactArrays(raw);
  }
  const providers = raw.modelProviders;
  const unknown = providers && typeof providers === 'object' ? Object.keys(providers).filter((k) => !PROVIDER_KEYS.has(k)) : [];
  const unknownRanges = locate(unknown.map((k) => ['modelProviders', k]));
  unknown.forEach((key, n) => {
    diagnostics.push({
      path,
      severity: 'warning',
      range: unknownRanges[n]!,
      message: `modelProviders.${key} is not a protocol Qwen Code knows (use one of ${MODEL_PROVIDER_KEYS.join(', ')}); its models are ignored`,
    });
  });
  return { scope, path, exists: true, settings: raw, parseError: null, diagnostics, ...strings, locate };
}
