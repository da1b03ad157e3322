import { getNodeValue, type Node } from 'jsonc-parser';
import { type Diagnostic, isSecretName, KeyAuthType } from '../protocol/index.js';
import type { CatalogueModel } from './catalogue.js';
import type { DotenvFile } from './dotenv.js';
import type { EnvEntry } from './env-layers.js';
import type { MergedSettings } from './merge.js';
import { rangeOfPath, type SettingsFile } from './settings-file.js';
import { rangeAt } from './text-position.js';

const SECRET_SHAPES = [/^sk-[A-Za-z0-9_-]{8,}/, /^AIza[0-9A-Za-z_-]{20,}/];

function looksLikeSecret(key: string | undefined, value: string): boolean {
  if (SECRET_SHAPES.some((re) => re.test(value))) return true;
  // `$VAR` references are the right way to name a secret in settings.
  return key !== undefined && isSecretName(key) && value !== '' && !/^\$\{?[A-Za-z_]/.test(value);
}

function walkStrings(node: Node, key: string | undefined, visit: (n: Node, key: string | undefined) => void): void {
  if (node.type === 'string') visit(node, key);
  if (node.type === 'object') {
    for (const prop of node.children ?? []) {
      const [k, v] = prop.children ?? [];
      if (k && v) walkStrings(v, typeof k.value === 'string' ? k.value : undefined, visit);
    }
  } else if (node.type === 'array') {
    for (const c of node.children ?? []) walkStrings(c, key, visit);
  }
}

export interface DiagnosticInputs {
  files: SettingsFile[];
  trusted: boolean;
  env: Map<string, EnvEntry>;
  catalogue: CatalogueModel[];
  merged: MergedSettings;
}

/** The loaded `.env` file's lines that do not take effect, and why. */
export function dotenvDiagnostics(file: DotenvFile, shadowed: string[], excluded: string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const lines = file.text.split('\n');
  const lineOf = (name: string) => lines.findIndex((l) => new RegExp(`^\\s*(export\\s+)?${name}\\s*[=:]`).test(l));
  const at = (name: string) => {
    const line = Math.max(lineOf(name), 0);
    const character = Math.max((lines[line] ?? '').indexOf(name), 0);
    return { start: { line, character }, end: { line, character: character + name.length } };
  };
  for (const name of shadowed) {
    out.push({ path: file.path, severity: 'information', range: at(name), message: `${name} is already set in the server's environment, so this line is not used` });
  }
  for (const name of excluded) {
    out.push({
      path: file.path,
      severity: 'warning',
      range: at(name),
      message: `${name} is not loaded from a project .env (advanced.excludedEnvVars); put it in .qwen/.env to load it`,
    });
  }
  return out;
}

/** What the graph knows about the settings files beyond their syntax and schema. */
export function settingsDiagnostics(inp: DiagnosticInputs): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const f of inp.files) {
    if (!f.exists || f.parseError || !f.tree) continue;
    const starts = f.lineStarts;
    walkStrings(f.tree, undefined, (n, key) => {
      if (typeof n.value === 'string' && looksLikeSecret(key, n.value)) {
        out.push({
          path: f.path,
          severity: 'warning',
          range: rangeAt(starts, n.offset, n.length),
          message: `a secret${key ? ` (${key})` : ''} is written in plain text in settings.json: move it to ~/.qwen/.env (or sign in with an API key) and reference it with envKey`,
        });
      }
    });
    if (f.scope === 'workspace' && !inp.trusted) {
      out.push({
        path: f.path,
        severity: 'warning',
        range: rangeAt(starts, 0, 1),
        message: 'this folder is not trusted, so its settings are not applied: trust it (workspace/trust) if you want them',
      });
      continue;
    }
    // Indices must be the file's own, not those of the cleaned-up settings.
    const providers = (getNodeValue(f.tree) as { modelProviders?: unknown } | undefined)?.modelProviders;
    if (!providers || typeof providers !== 'object') continue;
    for (const authType of KeyAuthType.options) {
      const list = (providers as Record<string, unknown>)[authType];
      if (!Array.isArray(list)) continue;
      list.forEach((item, i) => {
        const envKey = item && typeof item === 'object' ? (item as { envKey?: unknown }).envKey : undefined;
        if (typeof envKey !== 'string') return;
        const v = inp.env.get(envKey);
        if (!v || v.value === '') {
          out.push({
            path: f.path,
            severity: 'warning',
            range: rangeOfPath(starts, f.tree, ['modelProviders', authType, i, 'envKey']),
            message: `${envKey} is not set anywhere, so this model cannot be used: sign in with an API key for it, or set ${envKey} in your environment or ~/.qwen/.env`,
          });
        }
      });
    }
  }
  return out;
}
