import {
  type ConfigGraph,
  envNamesOfInterest,
  GROUP_LABEL,
  isSecretEnv,
  showEnvValue,
} from '../config/index.js';
import { CUSTOM_ENV_PREFIX, customProvider, ownsEntry, type Preset, PRESETS, regionOfBaseUrl } from '../auth/presets/index.js';
import {
  AUTH_TYPES,
  isSecretName,
  type Model,
  type ModelGroup,
  type ModelListResult,
  redact,
  type ResolvedConfig,
  type Source,
} from '../protocol/index.js';

export interface RemoteModelEntry {
  id: string;
  name?: string;
  description?: string;
  authType: Model['authType'];
  baseUrl?: string;
  envKey?: string;
}

const SECRET_VALUE = /^(sk-[A-Za-z0-9_-]{8,}|AIza[0-9A-Za-z_-]{20,})/;

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && prefix !== '') {
    const entries = Object.entries(value);
    if (entries.length === 0) out.set(prefix, value);
    for (const [k, v] of entries) flatten(v, `${prefix}.${k}`, out);
    return;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, k, out);
    return;
  }
  out.set(prefix, value);
}

/** Secrets hide anywhere in settings: by name (`env.X_KEY`) or by shape (`sk-…`). */
function redactDeep(value: unknown, key: string | undefined): unknown {
  if (typeof value === 'string') {
    return (key !== undefined && isSecretName(key)) || SECRET_VALUE.test(value) ? redact(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, k)]));
  }
  return value;
}

export function resolvedConfigView(g: ConfigGraph): ResolvedConfig {
  const leaves = new Map<string, unknown>();
  flatten(g.merged.value, '', leaves);
  const settings: ResolvedConfig['settings'] = {};
  for (const [path, value] of [...leaves].sort(([a], [b]) => a.localeCompare(b))) {
    const key = path.split('.').pop();
    const source: Source = g.merged.sources.get(path) ?? sourceOfPrefix(g, path);
    settings[path] = { value: redactDeep(value, key), source };
  }
  if (g.selection) settings['model.effective'] = { value: g.selection.id, source: g.selection.source };
  if (g.active) settings['security.auth.effectiveType'] = { value: g.active.authType, source: g.active.source };
  const env: ResolvedConfig['env'] = {};
  for (const name of envNamesOfInterest(g)) {
    const e = g.env.get(name)!;
    env[name] = { ...showEnvValue(g, name, e.value), source: e.source };
  }
  return {
    cwd: g.cwd,
    layers: g.files
      .filter((f) => f.path !== '')
      .map((f) => ({
        scope: f.scope,
        path: f.path,
        exists: f.exists,
        trusted: f.scope !== 'workspace' || g.trust.trusted,
        error: f.parseError,
      })),
    dotenvFiles: g.dotenvFiles.map((d) => ({
      path: d.file.path,
      scope: d.file.scope,
      loaded: d.loaded,
      excluded: d.excluded,
      shadowed: d.shadowed.map((x) => x.name),
    })),
    settings,
    env,
    diagnostics: g.diagnostics,
    ...(g.warnings.length > 0 ? { warnings: g.warnings } : {}),
  };
}

function sourceOfPrefix(g: ConfigGraph, path: string): Source {
  for (const [k, s] of g.merged.sources) if (path.startsWith(`${k}.`)) return s;
  return { layer: 'settings' };
}

/** The presets by their envKey: a model with none of these keys needs no ownership check. */
const PRESETS_BY_KEY = new Map<string, Preset[]>();
for (const p of PRESETS) if (p.group !== 'custom') PRESETS_BY_KEY.set(p.envKey, [...(PRESETS_BY_KEY.get(p.envKey) ?? []), p]);

/** The preset whose install owns an entry (Custom Provider: by its envKey namespace). */
function presetOf(entry: { envKey?: string | undefined; baseUrl?: string | undefined; name?: string | undefined }): Preset | undefined {
  if (!entry.envKey) return undefined;
  if (entry.envKey.startsWith(CUSTOM_ENV_PREFIX)) return customProvider;
  return PRESETS_BY_KEY.get(entry.envKey)?.find((p) => ownsEntry(p, entry));
}

/**
 * A live model of a preset that discovers its models (Qwen Code's
 * supportsModelDiscovery: Coding Plan, Token Plan) is named as an install
 * would name it, `[<prefix>] <id>`.
 */
function remoteName(r: RemoteModelEntry): { name?: string; preset?: Preset } {
  if (!r.envKey || !r.baseUrl) return {};
  const preset = PRESETS_BY_KEY.get(r.envKey)?.find((p) => p.regions.some((x) => x.baseUrl === r.baseUrl));
  if (!preset) return {};
  const region = regionOfBaseUrl(preset, r.baseUrl);
  return { preset, ...(preset.discovery && region?.namePrefix && !r.name ? { name: `[${region.namePrefix}] ${r.id}` } : {}) };
}

export function modelListView(g: ConfigGraph, remote: RemoteModelEntry[] = []): ModelListResult {
  const sel = g.selection;
  const isSelected = (m: { authType: string; id: string; baseUrl?: string | undefined }) =>
    !!sel && sel.authType === m.authType && sel.id === m.id && (sel.baseUrl === undefined || sel.baseUrl === m.baseUrl);
  let selectedMarked = false;
  const models: Model[] = g.catalogue.map((c) => {
    const selected = !selectedMarked && isSelected(c);
    if (selected) selectedMarked = true;
    const m: Model = {
      id: c.id,
      name: c.name,
      authType: c.authType,
      available: c.available,
      selected,
      source: c.source,
    };
    if (c.baseUrl) m.baseUrl = c.baseUrl;
    if (c.envKey) m.envKey = c.envKey;
    if (c.description) m.description = c.description;
    const preset = presetOf({ envKey: c.envKey, baseUrl: c.baseUrl, name: c.config?.name });
    if (preset) m.preset = preset.id;
    if (c.unavailableReason) m.unavailableReason = c.unavailableReason;
    return m;
  });
  const listed = new Set(models.map((m) => `${m.authType}\u0000${m.id}`));
  for (const r of remote) {
    const key = `${r.authType}\u0000${r.id}`;
    if (listed.has(key)) continue;
    listed.add(key);
    const named = remoteName(r);
    const m: Model = {
      id: r.id,
      name: r.name ?? named.name ?? r.id,
      authType: r.authType,
      available: true,
      selected: !selectedMarked && isSelected(r),
      source: { layer: 'remote' },
    };
    if (m.selected) selectedMarked = true;
    if (r.baseUrl) m.baseUrl = r.baseUrl;
    if (r.envKey) m.envKey = r.envKey;
    if (r.description) m.description = r.description;
    if (named.preset) m.preset = named.preset.id;
    models.push(m);
  }
  const groups: ModelGroup[] = [];
  for (const authType of AUTH_TYPES) {
    const list = models.filter((m) => m.authType === authType);
    if (list.length > 0) groups.push({ authType, label: GROUP_LABEL[authType], models: list });
  }
  return { selected: sel, groups };
}

export { isSecretEnv };
