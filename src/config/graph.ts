import { resolve } from 'node:path';
import {
  AUTH_TYPES,
  type AuthType,
  type Diagnostic,
  isSecretName,
  KeyAuthType,
  type ModelRef,
  redact,
  type Scope,
  type Source,
} from '../protocol/index.js';
import {
  availability,
  type CatalogueModel,
  DEFAULT_ENV_KEY,
  defaultBaseUrl,
  type OAuthView,
  QWEN_OAUTH_MODEL,
} from './catalogue.js';
import { type DotenvFile, dotenvCandidates, findDotenv } from './dotenv.js';
import { type EnvEntry, type EnvLayers, type Override, resolveEnvLayers } from './env-layers.js';
import { expandEnvVars } from './expand.js';
import { getPath, type MergedSettings, mergeSettings } from './merge.js';
import { type ConfigPaths, resolvePaths, SCOPE_ORDER } from './paths.js';
import { readSettingsFile, type SettingsFile, settingsFileFailed } from './settings-file.js';
import type { ModelConfig } from './settings-schema.js';
import { explicitTrust, readTrustedFolders, type TrustFile } from './trust.js';
import { dotenvDiagnostics, settingsDiagnostics } from './diagnostics.js';

export interface Overrides {
  model?: Override;
  authType?: Override<AuthType>;
  openaiApiKey?: Override;
  openaiBaseUrl?: Override;
}

export interface SessionSelection {
  authType: AuthType;
  id: string;
  baseUrl?: string;
}

export interface ConfigInputs {
  processEnv: NodeJS.ProcessEnv;
  cwd: string;
  overrides: Overrides;
  session?: SessionSelection | undefined;
  oauth: OAuthView;
}

export interface TrustState {
  /** `security.folderTrust.enabled` in user or system settings. */
  enabled: boolean;
  /** What the trusted-folders file says of this folder. */
  explicit: boolean | undefined;
  /** Whether workspace settings and project `.env` files apply. */
  trusted: boolean;
  file: TrustFile;
}

export interface ConfigGraph {
  cwd: string;
  paths: ConfigPaths;
  files: SettingsFile[];
  trust: TrustState;
  merged: MergedSettings;
  dotenv: { file: DotenvFile | null; loaded: string[]; excluded: string[]; shadowed: string[] };
  env: Map<string, EnvEntry>;
  active: { authType: AuthType; source: Source } | null;
  catalogue: CatalogueModel[];
  selection: ModelRef | null;
  diagnostics: Diagnostic[];
  warnings: string[];
  /** Every file whose change can change this graph. */
  watched: string[];
}

/** The last good contents of each settings file, kept across recomputes. */
export type LastGood = Map<string, SettingsFile>;

const ENV_MODEL_VARS: Record<AuthType, string[]> = {
  'qwen-oauth': [],
  openai: ['OPENAI_MODEL', 'QWEN_MODEL'],
  anthropic: ['ANTHROPIC_MODEL'],
  gemini: ['GEMINI_MODEL'],
  'vertex-ai': ['GOOGLE_MODEL'],
};

const DEFAULT_MODEL: Partial<Record<AuthType, string>> = { 'qwen-oauth': QWEN_OAUTH_MODEL, openai: 'qwen3.5-plus' };

/** Names the server uses, listed in config/resolve whenever they are set anywhere. */
const KNOWN_ENV = [
  'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_MODEL', 'QWEN_MODEL', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL',
  'ANTHROPIC_MODEL', 'GEMINI_API_KEY', 'GEMINI_MODEL', 'GOOGLE_API_KEY', 'GOOGLE_MODEL', 'GOOGLE_GENAI_USE_VERTEXAI',
  'BAILIAN_CODING_PLAN_API_KEY', 'DASHSCOPE_API_KEY', 'QWEN_OAUTH', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY',
  'http_proxy', 'NO_PROXY', 'no_proxy', 'NODE_EXTRA_CA_CERTS', 'QWEN_OAUTH_DEVICE_AUTHORIZATION_URL',
  'QWEN_OAUTH_TOKEN_URL', 'QWEN_OAUTH_CLIENT_ID',
];

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function inferAuthType(env: Map<string, EnvEntry>): { authType: AuthType; source: Source } | null {
  const has = (n: string) => (env.get(n)?.value ?? '') !== '';
  const rules: [AuthType, string[]][] = [
    ['openai', ['OPENAI_API_KEY', 'OPENAI_MODEL', 'OPENAI_BASE_URL']],
    ['anthropic', ['ANTHROPIC_API_KEY', 'ANTHROPIC_MODEL', 'ANTHROPIC_BASE_URL']],
    ['gemini', ['GEMINI_API_KEY', 'GEMINI_MODEL']],
    ['vertex-ai', ['GOOGLE_API_KEY', 'GOOGLE_MODEL']],
    ['qwen-oauth', ['QWEN_OAUTH']],
  ];
  for (const [authType, names] of rules) {
    if (names.every(has)) return { authType, source: env.get(names[0]!)!.source };
  }
  return null;
}

/**
 * The models of the merged settings. Each entry passed ModelConfig when its
 * file was read (invalid ones are gone by now); only what `$VAR` expansion
 * can break, a base URL, is checked again.
 */
function buildCatalogue(merged: MergedSettings, env: Map<string, EnvEntry>, oauth: OAuthView, problems: Diagnostic[]): CatalogueModel[] {
  const out: CatalogueModel[] = [];
  const builtin: CatalogueModel = {
    id: QWEN_OAUTH_MODEL,
    name: 'Qwen 3.6 Plus (coder-model)',
    authType: 'qwen-oauth',
    description: 'Qwen OAuth: Qwen 3.6 Plus with vision',
    source: { layer: 'builtin' },
    available: false,
  };
  out.push({ ...builtin, ...availability(builtin, env, oauth) });
  const providers = merged.value.modelProviders;
  if (!providers || typeof providers !== 'object') return out;
  for (const authType of KeyAuthType.options) {
    const list = (providers as Record<string, unknown>)[authType];
    if (!Array.isArray(list)) continue;
    const source = merged.sources.get(`modelProviders.${authType}`) ?? { layer: 'settings' };
    const seen = new Set<string>();
    for (const item of list) {
      const cfg = item as ModelConfig;
      if (cfg.baseUrl !== undefined && !URL.canParse(cfg.baseUrl)) {
        if (source.path) problems.push({
          path: source.path,
          severity: 'warning',
          message: `modelProviders.${authType}: the baseUrl of "${cfg.id}" is not a URL once its $VAR references are expanded (is the variable set?); this model is ignored`,
        });
        continue;
      }
      const fallback = defaultBaseUrl(authType, env);
      const baseUrl = cfg.baseUrl ?? fallback.url;
      // Later Qwen Code releases key a model by id + baseUrl; the first wins.
      const key = `${cfg.id}\u0000${baseUrl ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const m: CatalogueModel = {
        id: cfg.id,
        name: cfg.name ?? cfg.id,
        authType,
        envKey: cfg.envKey ?? DEFAULT_ENV_KEY[authType],
        source,
        config: cfg,
        available: false,
      };
      if (baseUrl) {
        m.baseUrl = baseUrl;
        m.baseUrlSource = cfg.baseUrl ? source : fallback.source;
      }
      if (cfg.description) m.description = cfg.description;
      out.push({ ...m, ...availability(m, env, oauth) });
    }
  }
  return out;
}

function resolveSelection(
  inp: ConfigInputs,
  merged: MergedSettings,
  env: Map<string, EnvEntry>,
  active: { authType: AuthType; source: Source } | null,
  catalogue: CatalogueModel[],
): ModelRef | null {
  const byId = (id: string, authType?: AuthType) =>
    catalogue.filter((m) => m.id === id && (authType === undefined || m.authType === authType));
  const ref = (id: string, source: Source, authType?: AuthType, baseUrl?: string): ModelRef | null => {
    const at = authType ?? active?.authType ?? (byId(id).length === 1 ? byId(id)[0]!.authType : undefined);
    if (!at) return null;
    const match = byId(id, at).find((m) => baseUrl === undefined || m.baseUrl === baseUrl);
    const out: ModelRef = { authType: at, id, source };
    const url = baseUrl ?? match?.baseUrl;
    if (url) out.baseUrl = url;
    return out;
  };
  if (inp.session) return ref(inp.session.id, { layer: 'session' }, inp.session.authType, inp.session.baseUrl);
  if (inp.overrides.model) return ref(inp.overrides.model.value, { layer: inp.overrides.model.layer });
  const name = str(getPath(merged.value, 'model.name'));
  if (name) return ref(name, merged.sources.get('model.name') ?? { layer: 'settings' });
  if (active) {
    for (const v of ENV_MODEL_VARS[active.authType]) {
      const e = env.get(v);
      if (e && e.value !== '') return ref(e.value, { layer: e.source.layer, ...(e.source.path ? { path: e.source.path } : {}) }, active.authType);
    }
    const d = DEFAULT_MODEL[active.authType];
    if (d) return ref(d, { layer: 'default' }, active.authType);
  }
  return null;
}

/**
 * One file's read, contained: whatever it throws becomes that file's
 * problem, through `instead`. A graph that can't be computed would leave
 * every request failing until a restart, even once the file is fixed.
 */
async function contained<T>(what: string, read: () => Promise<T>, instead: (reason: string) => T): Promise<T> {
  try {
    return await read();
  } catch (err) {
    // The error's name only: a message may quote the file, secrets included.
    const name = err instanceof Error ? err.name : typeof err;
    return instead(`${what} failed (${name}); please report this`);
  }
}

/** Reads every input and derives the whole graph. Never throws for bad files: they become diagnostics. */
export async function resolveConfig(inp: ConfigInputs, lastGood: LastGood = new Map()): Promise<ConfigGraph> {
  const cwd = resolve(inp.cwd);
  const paths = resolvePaths(inp.processEnv, cwd);
  const files = await Promise.all(
    SCOPE_ORDER.map((scope) => {
      const p = paths.settings[scope];
      const previous = p ? lastGood.get(p) : undefined;
      return contained(`reading ${p}`, () => readSettingsFile(scope, p, previous), (reason) => settingsFileFailed(scope, p ?? '', previous, reason));
    }),
  );
  for (const f of files) if (f.exists && !f.parseError) lastGood.set(f.path, f);
  const byScope = (s: Scope) => files.find((f) => f.scope === s)!;

  // Trust is read from system and user settings only.
  const trustFile = await contained(`reading ${paths.trustedFolders}`, () => readTrustedFolders(paths.trustedFolders), (error) => ({
    path: paths.trustedFolders,
    rules: {},
    error,
  }));
  const trustSettings = mergeSettings(
    [byScope('user'), byScope('system')].map((f) => ({ scope: f.scope, path: f.path, settings: f.settings })),
  );
  const enabled = getPath(trustSettings.value, 'security.folderTrust.enabled') === true;
  const explicit = explicitTrust(trustFile.rules, cwd);
  const trusted = !enabled || explicit === true;

  const expanded = files
    .filter((f) => f.exists && (f.scope !== 'workspace' || trusted))
    .map((f) => ({ scope: f.scope, path: f.path, settings: expandEnvVars(f.settings, inp.processEnv) }));
  const merged = mergeSettings(expanded);

  const dotenvProblems: Diagnostic[] = [];
  const dotenvFile = await contained(`.env discovery from ${cwd}`, () => findDotenv(cwd, paths.home, paths.qwenDir, trusted, dotenvProblems), (reason) => {
    dotenvProblems.push({ path: cwd, severity: 'error', message: reason });
    return null;
  });
  const excludedSetting = getPath(merged.value, 'advanced.excludedEnvVars');
  const excludedEnvVars = Array.isArray(excludedSetting)
    ? excludedSetting.filter((x): x is string => typeof x === 'string')
    : ['DEBUG', 'DEBUG_MODE'];
  const settingsEnv: Record<string, EnvEntry> = {};
  const envObj = merged.value.env;
  if (envObj && typeof envObj === 'object') {
    for (const [name, value] of Object.entries(envObj)) {
      if (typeof value === 'string') {
        settingsEnv[name] = { value, source: merged.sources.get(`env.${name}`) ?? { layer: 'settings' } };
      }
    }
  }
  const overrideEnv: Record<string, Override> = {};
  if (inp.overrides.openaiApiKey) overrideEnv.OPENAI_API_KEY = inp.overrides.openaiApiKey;
  if (inp.overrides.openaiBaseUrl) overrideEnv.OPENAI_BASE_URL = inp.overrides.openaiBaseUrl;
  const layers: EnvLayers = resolveEnvLayers({
    processEnv: inp.processEnv,
    overrides: overrideEnv,
    dotenv: dotenvFile,
    excludedEnvVars,
    settingsEnv,
  });
  const env = layers.entries;

  let active: ConfigGraph['active'] = null;
  const selectedType = getPath(merged.value, 'security.auth.selectedType');
  if (inp.session) active = { authType: inp.session.authType, source: { layer: 'session' } };
  else if (inp.overrides.authType) active = { authType: inp.overrides.authType.value, source: { layer: inp.overrides.authType.layer } };
  else if (typeof selectedType === 'string' && (AUTH_TYPES as readonly string[]).includes(selectedType)) {
    active = {
      authType: selectedType as AuthType,
      source: merged.sources.get('security.auth.selectedType') ?? { layer: 'settings' },
    };
  } else active = inferAuthType(env);

  const catalogueProblems: Diagnostic[] = [];
  const catalogue = buildCatalogue(merged, env, inp.oauth, catalogueProblems);
  const selection = resolveSelection(inp, merged, env, active, catalogue);
  if (selection && !catalogue.some((m) => m.id === selection.id && m.authType === selection.authType)) {
    // A model named only by --model, model.name or an env variable: list it too.
    const m: CatalogueModel = {
      id: selection.id,
      name: selection.id,
      authType: selection.authType,
      source: selection.source,
      available: false,
    };
    if (selection.authType !== 'qwen-oauth') {
      m.envKey = DEFAULT_ENV_KEY[selection.authType];
      const fb = defaultBaseUrl(selection.authType, env);
      if (selection.baseUrl ?? fb.url) m.baseUrl = selection.baseUrl ?? fb.url;
      if (!selection.baseUrl && fb.source) m.baseUrlSource = fb.source;
    }
    catalogue.push({ ...m, ...availability(m, env, inp.oauth) });
  }

  const warnings: string[] = [];
  const candidates = dotenvCandidates(cwd, paths.home, paths.qwenDir, true);
  if (dotenvFile) {
    if (layers.shadowed.length > 0) {
      warnings.push(
        `${layers.shadowed.join(', ')} in ${dotenvFile.path} ${layers.shadowed.length === 1 ? 'is' : 'are'} not used: the process environment already sets ${layers.shadowed.length === 1 ? 'it' : 'them'}`,
      );
    }
    if (layers.excluded.length > 0) {
      warnings.push(
        `${layers.excluded.join(', ')} in ${dotenvFile.path} ${layers.excluded.length === 1 ? 'is' : 'are'} not loaded: listed in advanced.excludedEnvVars (move ${layers.excluded.length === 1 ? 'it' : 'them'} to .qwen/.env to load)`,
      );
    }
  }
  const diagnostics = [
    ...files.flatMap((f) => f.diagnostics),
    ...settingsDiagnostics({ files, trusted, env, catalogue, merged }),
    ...catalogueProblems,
    ...dotenvProblems,
  ];
  if (dotenvFile) diagnostics.push(...dotenvDiagnostics(dotenvFile, layers.shadowed, layers.excluded));
  if (trustFile.error) diagnostics.push({ path: trustFile.path, message: trustFile.error, severity: 'error' });

  return {
    cwd,
    paths,
    files,
    trust: { enabled, explicit, trusted, file: trustFile },
    merged,
    dotenv: { file: dotenvFile, loaded: layers.loaded, excluded: layers.excluded, shadowed: layers.shadowed },
    env,
    active,
    catalogue,
    selection,
    diagnostics,
    warnings,
    watched: [
      ...SCOPE_ORDER.map((s) => paths.settings[s]).filter((p): p is string => !!p),
      paths.trustedFolders,
      ...candidates,
    ],
  };
}

/** The environment names config/resolve shows: the known ones, every envKey, and all that .env or settings set. */
export function envNamesOfInterest(g: ConfigGraph): string[] {
  const names = new Set<string>(KNOWN_ENV);
  for (const m of g.catalogue) if (m.envKey) names.add(m.envKey);
  for (const n of g.dotenv.file ? Object.keys(g.dotenv.file.vars) : []) names.add(n);
  const envObj = g.merged.value.env;
  if (envObj && typeof envObj === 'object') for (const n of Object.keys(envObj)) names.add(n);
  return [...names].filter((n) => g.env.has(n)).sort();
}

/** Whether a name's value must be redacted wherever it is shown. */
export function isSecretEnv(g: ConfigGraph, name: string): boolean {
  return isSecretName(name) || g.catalogue.some((m) => m.envKey === name);
}

export function showEnvValue(g: ConfigGraph, name: string, value: string): { value?: string; redacted?: string } {
  return isSecretEnv(g, name) ? { redacted: redact(value) } : { value };
}
