import { readFile } from 'node:fs/promises';
import { findNodeAtLocation, type Node, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { type Diagnostic, isSecretName, KeyAuthType, type Scope } from '../protocol/index.js';
import { JSONC_OPTIONS, parseJsonc, type StringLiteral } from './jsonc-value.js';
import { MODEL_PROVIDER_KEYS, Settings } from './settings-schema.js';
import { lineStarts, rangeAt, type Range } from './text-position.js';

export interface SettingsFile {
  scope: Scope;
  path: string;
  exists: boolean;
  /** The settings as the server uses them: schema-invalid parts left out. */
  settings: Record<string, unknown>;
  /** Set when the file does not parse; `settings` then holds the last good contents. */
  parseError: string | null;
  diagnostics: Diagnostic[];
  /** Strings that look like secrets written in plain text, with the property they belong to. */
  secrets: { key: string | undefined; range: Range }[];
  /** Every `modelProviders.<protocol>[i].envKey`, as the file has it (invalid entries too). */
  envKeys: { envKey: string; range: Range }[];
}

const SECRET_SHAPES = [/^sk-[A-Za-z0-9_-]{8,}/, /^AIza[0-9A-Za-z_-]{20,}/];

function looksLikeSecret(key: string | undefined, value: string): boolean {
  if (SECRET_SHAPES.some((re) => re.test(value))) return true;
  // `$VAR` references are the right way to name a secret in settings.
  return key !== undefined && isSecretName(key) && value !== '' && !/^\$\{?[A-Za-z_]/.test(value);
}

const PROVIDER_KEYS: ReadonlySet<string> = new Set(KeyAuthType.options);

/** The strings later diagnostics point at, found while the file is parsed. */
function stringCollector(text: string) {
  let starts: number[] | undefined;
  const range = (s: StringLiteral) => rangeAt((starts ??= lineStarts(text)), s.offset, s.length);
  const secrets: SettingsFile['secrets'] = [];
  const envKeys: SettingsFile['envKeys'] = [];
  const onString = (s: StringLiteral) => {
    if (looksLikeSecret(s.key, s.value)) secrets.push({ key: s.key, range: range(s) });
    if (s.key !== 'envKey') return;
    const p = s.path();
    if (p.length === 4 && p[0] === 'modelProviders' && PROVIDER_KEYS.has(String(p[1])) && typeof p[2] === 'number') {
      envKeys.push({ envKey: s.value, range: range(s) });
    }
  };
  return { onString, secrets, envKeys, starts: () => (starts ??= lineStarts(text)) };
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

function rangeOfPath(starts: number[], tree: Node | undefined, path: (string | number)[]): Range {
  let node: Node | undefined;
  for (let n = path.length; n >= 0 && !node; n--) node = tree ? findNodeAtLocation(tree, path.slice(0, n)) : undefined;
  if (!node) return rangeAt(starts, 0, 1);
  // Point at the key when there is one: that is what a person looks for.
  const target = node.parent?.type === 'property' && node.parent.children?.[0] ? node.parent.children[0] : node;
  return rangeAt(starts, target.offset, target.length);
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
  const base = { scope, path: path ?? '', diagnostics: [] as Diagnostic[], secrets: [], envKeys: [] };
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
  const errors: ParseError[] = [];
  const strings = stringCollector(text);
  const value = parseJsonc(text, errors, strings.onString);
  const rootIsObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  if (errors.length > 0 || (text.trim() !== '' && !rootIsObject)) {
    const starts = strings.starts();
    const diagnostics: Diagnostic[] = errors.map((e) => {
      const range = rangeAt(starts, e.offset, e.length);
      return {
        path,
        severity: 'error',
        range,
        message: `JSON error: ${printParseErrorCode(e.error)} at line ${range.start.line + 1}, column ${range.start.character + 1}. The server keeps using the last good contents and will not write to this file until it is fixed.`,
      };
    });
    if (diagnostics.length === 0) {
      diagnostics.push({ path, severity: 'error', range: rangeAt(starts, 0, 1), message: 'settings must be a JSON object' });
    }
    return { ...base, path, exists: true, settings: previous?.settings ?? {}, parseError: diagnostics[0]!.message, diagnostics };
  }
  const raw = (rootIsObject ? value : {}) as Record<string, unknown>;
  // The syntax tree only serves the ranges of the few diagnostics below.
  let tree: Node | undefined;
  const rangeOf = (p: (string | number)[]) => rangeOfPath(strings.starts(), (tree ??= parseTree(text, [], JSONC_OPTIONS)), p);
  const diagnostics: Diagnostic[] = [];
  const parsed = Settings.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const p = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
      diagnostics.push({
        path,
        severity: 'error',
        range: rangeOf(p),
        message: `${p.join('.') || '(root)'}: ${issue.message}; this value is ignored`,
      });
      // Drop the offending value (a whole model entry for a bad field in it), keep the rest.
      const cut = p[0] === 'modelProviders' && p.length > 3 ? p.slice(0, 3) : p;
      deleteAt(raw, cut);
    }
    compactArrays(raw);
  }
  const providers = raw.modelProviders;
  if (providers && typeof providers === 'object') {
    for (const key of Object.keys(providers)) {
      if (!(MODEL_PROVIDER_KEYS as readonly string[]).includes(key)) {
        diagnostics.push({
          path,
          severity: 'warning',
          range: rangeOf(['modelProviders', key]),
          message: `modelProviders.${key} is not a protocol Qwen Code knows (use one of ${MODEL_PROVIDER_KEYS.join(', ')}); its models are ignored`,
        });
      }
    }
  }
  return { scope, path, exists: true, settings: raw, parseError: null, diagnostics, secrets: strings.secrets, envKeys: strings.envKeys };
}
