import { AUTH_TYPES, type Diagnostic } from '../protocol/index.js';
import type { CatalogueModel } from './catalogue.js';
import type { DotenvFile } from './dotenv.js';
import type { EnvEntry } from './env-layers.js';
import type { MergedSettings } from './merge.js';
import { fallbackKey } from './resolve-model.js';
import type { Scope } from '../protocol/index.js';
import type { SettingsFile } from './settings-file.js';
import { FILE_START } from './text-position.js';
import { CORRUPTED_SUFFIX, UNPARSABLE_SETTINGS_ERROR } from './qwen-code-facts.js';

export interface DiagnosticInputs {
  files: SettingsFile[];
  trusted: boolean;
  env: Map<string, EnvEntry>;
  catalogue: CatalogueModel[];
  merged: MergedSettings;
}

/** A loaded `.env` file's lines that do not take effect, and why; `by` says what set a shadowed name first. */
export function dotenvDiagnostics(file: DotenvFile, shadowed: { name: string; by: string }[], excluded: string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const lines = file.text.split('\n');
  const lineOf = (name: string) => lines.findIndex((l) => new RegExp(`^\\s*(export\\s+)?${name}\\s*[=:]`).test(l));
  const at = (name: string) => {
    const line = Math.max(lineOf(name), 0);
    const character = Math.max((lines[line] ?? '').indexOf(name), 0);
    return { start: { line, character }, end: { line, character: character + name.length } };
  };
  for (const { name, by } of shadowed) {
    out.push({ path: file.path, severity: 'information', range: at(name), message: `${name} is already set by ${by}, so this line is not used` });
  }
  for (const name of excluded) {
    out.push({
      path: file.path,
      severity: 'warning',
      range: at(name),
      message:
        file.scope === 'home'
          ? `${name} is not loaded from any .env file (it changes how programs load); set it in the environment instead`
          : file.projectLevel
            ? `${name} is not loaded from a project .env (advanced.excludedEnvVars, or a name only ~/.qwen/.env may set); put it in .qwen/.env or ~/.qwen/.env to load it`
            : `${name} is not loaded from a project .env (only ~/.qwen/.env or the environment may set it)`,
    });
  }
  return out;
}

/** What the graph knows about the settings files beyond their syntax and schema. */
export function settingsDiagnostics(inp: DiagnosticInputs): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const f of inp.files) {
    if (!f.exists || f.parseError) continue;
    const trusted = f.scope !== 'workspace' || inp.trusted;
    const unset = trusted ? f.envKeys.filter(({ envKey }) => (inp.env.get(envKey)?.value ?? '') === '') : [];
    // One pass over the file's text for every range below.
    const ranges = f.locate([...f.secrets.map((x) => x.path), ...unset.map((x) => x.path)]);
    const secretRanges = ranges.slice(0, f.secrets.length);
    const unsetRanges = ranges.slice(f.secrets.length);
    f.secrets.forEach(({ key }, n) => {
      out.push({
        path: f.path,
        severity: 'warning',
        range: secretRanges[n]!,
        message: `a secret${key ? ` (${key})` : ''} is written in plain text in settings.json: move it to ~/.qwen/.env (or sign in with an API key) and reference it with envKey`,
      });
    });
    if (!trusted) {
      out.push({
        path: f.path,
        severity: 'warning',
        range: FILE_START,
        message: 'this folder is not trusted, so its settings are not applied: trust it (workspace/trust) if you want them',
      });
      continue;
    }
    unset.forEach(({ envKey, path }, n) => {
      // Qwen Code falls through to the auth type's own key when an envKey is unset.
      const authType = AUTH_TYPES.find((t) => t === path[1]);
      const instead = authType ? fallbackKey(inp, authType) : undefined;
      if (instead) {
        out.push({
          path: f.path,
          severity: 'information',
          range: unsetRanges[n]!,
          message: `${envKey} is not set, so this model's requests carry ${instead.name} instead (as Qwen Code sends them): set ${envKey} to give it a key of its own`,
        });
        return;
      }
      out.push({
        path: f.path,
        severity: 'warning',
        range: unsetRanges[n]!,
        message: `${envKey} is not set anywhere, so this model cannot be used: sign in with an API key for it, or set ${envKey} in your environment or ~/.qwen/.env`,
      });
    });
  }
  return out;
}

/** How an empty settings file looks: 0 bytes, or only whitespace and comments. */
function emptiness(text: string): string {
  if (text === '') return 'is empty (0 bytes)';
  return text.trim() === '' ? 'holds only whitespace' : 'holds only comments and whitespace';
}

const FIX_EMPTY = 'write {} into it (or delete it)';

/**
 * The diagnostic on a settings file with no JSON in it, saying what Qwen
 * Code 0.24 does with it (execution-sandbox-settings.ts and settings.ts,
 * loadSettings): it refuses to start over a user or system file, saving a
 * copy of a user file first; a workspace file it copies away and resets.
 */
export function emptySettingsMessage(scope: Scope, path: string, text: string): string {
  const what = `this file ${emptiness(text)}, which Qwen Code cannot parse`;
  if (scope === 'workspace') {
    return (
      `${what}: when it next starts here it copies the file to settings.json${CORRUPTED_SUFFIX} and replaces it with {}, so nothing here applies ` +
      `(the server reads it as {} too, or keeps its last good contents if it had read any); ${FIX_EMPTY} to keep Qwen Code from rewriting it`
    );
  }
  const copy = scope === 'user' ? `, saving a copy as settings.json${CORRUPTED_SUFFIX} each time it tries` : '';
  return (
    `${what}: Qwen Code will not start ("${UNPARSABLE_SETTINGS_ERROR} ${path}: SyntaxError: Unexpected end of JSON input")${copy}; ` +
    `the server reports every model as unusable until then: ${FIX_EMPTY}`
  );
}

/** Every model's unavailableReason while a user or system file is empty. */
export const emptySettingsRefusal = (path: string) => `Qwen Code will not start while ${path} has no JSON in it: ${FIX_EMPTY}`;
