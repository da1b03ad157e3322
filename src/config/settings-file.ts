import type * as z from 'zod/mini';
import { createScanner, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { Diagnostic, Scope } from '../protocol/index.js';
import { type JsonPath, locator, nestingOverflow, parseJsonc, tooDeepMessage } from './jsonc-value.js';
import { readText } from './read-text.js';
import { isModelProviderKey, MODEL_PROVIDER_KEYS, ModelConfig, SettingsOutline } from './settings-schema.js';
import { type FoundStrings, scanStrings } from './settings-strings.js';
import { FILE_START, type Range } from './text-position.js';
import { describeMigration, migrateSettings } from './migrate.js';
import { isFatalScope, lineColumn, trailingCommaMessage, trailingCommaRefusal, trailingCommas } from './trailing-commas.js';
import { emptySettingsMessage, emptySettingsRefusal } from './diagnostics.js';

export interface SettingsFile extends FoundStrings {
  scope: Scope;
  path: string;
  exists: boolean;
  /** The settings as the server uses them: schema-invalid parts left out. */
  settings: Record<string, unknown>;
  /** Set when the file does not parse; `settings` then holds the last good contents. */
  parseError: string | null;
  diagnostics: Diagnostic[];
  /**
   * Set when Qwen Code will refuse to start because of this file (a user or
   * system file it cannot parse: a trailing comma, no JSON at all): why, and
   * what to do, as every model's unavailableReason says it.
   */
  qwenCodeRefuses?: string;
  /** Set while the file is gone but its last contents still count (graph.ts, VANISHED_GRACE_MS): when it was first seen gone. */
  vanishedAt?: number;
  /** The ranges of some paths of the file, found in one pass over its text (see findPaths). */
  locate(paths: JsonPath[]): Range[];
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
function parseSettingsText(text: string): { value: unknown; errors: ParseError[]; native: boolean } {
  try {
    return { value: JSON.parse(text), errors: [], native: true };
  } catch {
    const errors: ParseError[] = [];
    return { value: parseJsonc(text, errors), errors, native: false };
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

const KEEPS_LAST_GOOD = 'The server keeps using the last good contents and will not write to this file until it is fixed.';
/** Said of files refused before parsing: whether a write refuses them too is the write path's to say. */
const KEEPS_READING_LAST_GOOD = 'The server keeps using the last good contents until it is fixed.';

const nothingFound = () => ({ secrets: [], envKeys: [], locate: (ps: JsonPath[]) => ps.map(() => FILE_START) });

/** A settings file that is there but can't be used: its last good contents stand in for it. */
function unusable(scope: Scope, path: string, previous: SettingsFile | undefined, diagnostics: Diagnostic[]): SettingsFile {
  return { scope, path, exists: true, settings: previous?.settings ?? {}, parseError: diagnostics[0]!.message, diagnostics, ...nothingFound() };
}

/** jsonc-parser's SyntaxKind.EOF: a const enum, which isolated modules can't read. */
const EOF = 17;

/**
 * Whether a text holds no JSON value: empty, or only whitespace, comments
 * and a byte-order mark. Qwen Code's `JSON.parse(stripJsonComments(text))`
 * fails on it ("Unexpected end of JSON input") like on any other syntax error.
 */
function holdsNoJson(text: string): boolean {
  return createScanner(text.replace(/^\uFEFF/u, ''), true).scan() === EOF;
}

/**
 * An empty settings file, and what Qwen Code does with it: a workspace file
 * is reset to `{}`; a user or system file stops it from starting, so every
 * model is unusable. Its contents otherwise count as a file that doesn't
 * parse: the last good ones if any (an editor may be half-way through
 * saving it), else `{}`.
 */
function emptyFile(scope: Scope, path: string, text: string, previous: SettingsFile | undefined): SettingsFile {
  const message = emptySettingsMessage(scope, path, text);
  const file = unusable(scope, path, previous, [{ path, severity: isFatalScope(scope) ? 'error' : 'warning', range: FILE_START, message }]);
  return isFatalScope(scope) ? { ...file, qwenCodeRefuses: emptySettingsRefusal(path) } : file;
}

/** For a read that failed in a way nobody foresaw: one diagnostic, the last good contents kept. */
export function settingsFileFailed(scope: Scope, path: string, previous: SettingsFile | undefined, reason: string): SettingsFile {
  return unusable(scope, path, previous, [{ path, severity: 'error', range: FILE_START, message: `${reason}. ${KEEPS_READING_LAST_GOOD}` }]);
}

/**
 * Reads one settings scope. A file that can't be used (unreadable, not a
 * regular file, too large, nested too deep, not parsing) keeps `previous`
 * (its last good contents), so the server keeps serving what it had.
 */
export async function readSettingsFile(
  scope: Scope,
  path: string | null,
  previous?: SettingsFile,
): Promise<SettingsFile> {
  const missing = { scope, path: path ?? '', exists: false, settings: {}, parseError: null, diagnostics: [], ...nothingFound() };
  if (!path) return missing;
  const read = await readText(path, 'settings');
  if (read.kind === 'missing') return missing;
  if (read.kind === 'refused') return settingsFileFailed(scope, path, previous, read.message);
  const { text } = read;
  const { at, locate } = locator(text);
  // Before any parser: they all recurse, and a deep enough file overflows the stack.
  const deep = nestingOverflow(text);
  if (deep !== -1) {
    return unusable(scope, path, previous, [{ path, severity: 'error', range: at(deep, 1), message: `${tooDeepMessage(path)}. ${KEEPS_READING_LAST_GOOD}` }]);
  }
  if (holdsNoJson(text)) return emptyFile(scope, path, text, previous);
  const { value, errors, native } = parseSettingsText(text);
  const rootIsObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  if (errors.length > 0 || !rootIsObject) {
    const diagnostics: Diagnostic[] = errors.map((e) => {
      const range = at(e.offset, e.length);
      return {
        path,
        severity: 'error',
        range,
        message: `JSON error: ${printParseErrorCode(e.error)} at line ${range.start.line + 1}, column ${range.start.character + 1}. ${KEEPS_LAST_GOOD}`,
      };
    });
    if (diagnostics.length === 0) {
      diagnostics.push({ path, severity: 'error', range: FILE_START, message: 'settings must be a JSON object' });
    }
    return unusable(scope, path, previous, diagnostics);
  }
  const original = value as Record<string, unknown>;
  // Before the clean-up below: diagnostics point at the file's own indices.
  const strings = scanStrings(original);
  const diagnostics: Diagnostic[] = [];
  // Only a text JSON.parse refused can have one.
  const commas = native ? [] : trailingCommas(text);
  let qwenCodeRefuses: string | undefined;
  for (const offset of commas) {
    const range = at(offset, 1);
    const where = lineColumn(range.start);
    qwenCodeRefuses ??= trailingCommaRefusal(path, where);
    diagnostics.push({ path, severity: 'error', range, message: trailingCommaMessage(scope, where) });
  }
  if (commas.length > 0 && !isFatalScope(scope)) {
    // What Qwen Code will use: nothing of this file. Secrets found in it are still scrubbed from answers.
    return { scope, path, exists: true, settings: {}, parseError: null, diagnostics, secrets: strings.secrets, envKeys: [], locate };
  }
  const migration = migrateSettings(original, scope);
  if (migration) {
    const first = Object.keys(original).find((k) => !Object.hasOwn(migration.settings, k) || k === '$version' || k === 'modelProviders');
    const [range] = first ? locate([[first]]) : [FILE_START];
    diagnostics.push({ path, severity: 'information', range: range ?? FILE_START, message: describeMigration(migration) });
    for (const w of migration.warnings) diagnostics.push({ path, severity: 'warning', range: range ?? FILE_START, message: `Qwen Code will say when it migrates this file: ${w}` });
  }
  const raw = migration?.settings ?? original;
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
  const unknown = providers && typeof providers === 'object' ? Object.keys(providers).filter((k) => !isModelProviderKey(k)) : [];
  const unknownRanges = locate(unknown.map((k) => ['modelProviders', k]));
  unknown.forEach((key, n) => {
    diagnostics.push({
      path,
      severity: 'warning',
      range: unknownRanges[n]!,
      message: `modelProviders.${key} is not a protocol Qwen Code knows (use one of ${MODEL_PROVIDER_KEYS.join(', ')}); its models are ignored`,
    });
  });
  return { scope, path, exists: true, settings: raw, parseError: null, diagnostics, ...strings, locate, ...(qwenCodeRefuses ? { qwenCodeRefuses } : {}) };
}
