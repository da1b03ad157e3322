import { resolve } from 'node:path';
import {
  AUTH_TYPES,
  type AuthType,
  type Diagnostic,
  isSecretName,
  type ModelRef,
  redact,
  type Scope,
  type Source,
} from '../protocol/index.js';
import type { CatalogueModel, OAuthView } from './catalogue.js';
import { inferAuthType, resolveModels } from './resolve-model.js';
import { dotenvCandidates } from './dotenv.js';
import { type DotenvLoad, type EnvEntry, type EnvLayers, type Override, resolveEnvLayers } from './env-layers.js';
import { dotenvFileDiagnostics, dotenvWarnings, findEnvironmentFiles } from './environment.js';
import { expandEnvVars } from './expand.js';
import { getPath, type MergedSettings, mergeSettings } from './merge.js';
import { type ConfigPaths, resolvePaths, SCOPE_ORDER } from './paths.js';
import { readSettingsFile, type SettingsFile, settingsFileFailed } from './settings-file.js';
import { readTrustedFolders, realFolder, trustDecider, type TrustFile } from './trust.js';
import { applyStartupRefusal } from './trailing-commas.js';
import { settingsDiagnostics } from './diagnostics.js';
import { DEFAULT_EXCLUDED_ENV_VARS } from './qwen-code-facts.js';

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
  /** Every `.env` file loaded, in load order (precedence order), with what each gave. */
  dotenvFiles: DotenvLoad[];
  /** What `$VAR` in settings expanded from: the process, then the home `.env` files. */
  expansionEnv: NodeJS.ProcessEnv;
  env: Map<string, EnvEntry>;
  active: { authType: AuthType; source: Source } | null;
  catalogue: CatalogueModel[];
  selection: ModelRef | null;
  diagnostics: Diagnostic[];
  warnings: string[];
  /** What the model selection fell back on, as Qwen Code would (also in `warnings`): model/list carries these. */
  selectionWarnings: string[];
  /** Every file whose change can change this graph. */
  watched: string[];
}

/** The last good contents of each settings file, kept across recomputes. */
export type LastGood = Map<string, SettingsFile>;

/**
 * How long a settings file that vanished still counts as its last contents.
 * Qwen Code and many editors save by renaming the old file away and a new
 * one into place; a read in between must not make every model it defines
 * disappear (a model/select then would answer ModelNotFound). The workspace
 * looks again after this (session/workspace.ts), and a file still gone is gone.
 */
export const VANISHED_GRACE_MS = 200;

/** A file read as missing that was there at the last read: its last good contents for a moment (VANISHED_GRACE_MS). */
function stillVanishing(f: SettingsFile, lastGood: LastGood, now: number): SettingsFile {
  const previous = f.exists || !f.path ? undefined : lastGood.get(f.path);
  if (!previous) return f;
  const since = previous.vanishedAt ?? now;
  if (now - since >= VANISHED_GRACE_MS) {
    lastGood.delete(f.path);
    return f;
  }
  const kept = { ...previous, vanishedAt: since };
  lastGood.set(f.path, kept);
  return kept;
}

/** Names the server uses, listed in config/resolve whenever they are set anywhere. */
const KNOWN_ENV = [
  'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_MODEL', 'QWEN_MODEL', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL',
  'ANTHROPIC_MODEL', 'GEMINI_API_KEY', 'GEMINI_MODEL', 'GOOGLE_API_KEY', 'GOOGLE_MODEL', 'GOOGLE_CLOUD_PROJECT', 'GOOGLE_GENAI_USE_VERTEXAI',
  'BAILIAN_CODING_PLAN_API_KEY', 'DASHSCOPE_API_KEY', 'QWEN_OAUTH', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY',
  'http_proxy', 'NO_PROXY', 'no_proxy', 'NODE_EXTRA_CA_CERTS', 'QWEN_OAUTH_DEVICE_AUTHORIZATION_URL',
  'QWEN_OAUTH_TOKEN_URL', 'QWEN_OAUTH_CLIENT_ID',
];

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
  // As Qwen Code's loadSettings: trust and .env discovery judge the folder where it really is (a symlinked
  // project), the workspace file keeps the path as given, and a project that is home by its links has none.
  const realCwd = realFolder(cwd);
  const paths = resolvePaths(inp.processEnv, cwd);
  if (paths.settings.workspace && realCwd === realFolder(paths.home)) paths.settings.workspace = null;
  const files = await Promise.all(
    SCOPE_ORDER.map((scope) => {
      const p = paths.settings[scope];
      const previous = p ? lastGood.get(p) : undefined;
      return contained(`reading ${p}`, () => readSettingsFile(scope, p, previous), (reason) => settingsFileFailed(scope, p ?? '', previous, reason));
    }),
  );
  const now = Date.now();
  files.forEach((f, i) => {
    files[i] = stillVanishing(f, lastGood, now);
  });
  for (const f of files) if (f.exists && !f.parseError && f.vanishedAt === undefined) lastGood.set(f.path, f);
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
  const trustOf = trustDecider(trustFile.rules);
  const explicit = trustOf(realCwd);
  const trusted = !enabled || explicit === true;

  // The home .env files are read before settings expand: `$VAR` falls back on them.
  const found = await findEnvironmentFiles(cwd, paths, { workspace: trusted, folder: (dir) => (enabled ? trustOf(dir) : true) }, inp.processEnv);
  const expanded = files
    .filter((f) => f.exists && (f.scope !== 'workspace' || trusted))
    .map((f) => ({ scope: f.scope, path: f.path, settings: expandEnvVars(f.settings, found.expansion) }));
  const merged = mergeSettings(expanded);

  const excludedSetting = getPath(merged.value, 'advanced.excludedEnvVars');
  const excludedEnvVars = Array.isArray(excludedSetting)
    ? excludedSetting.filter((x): x is string => typeof x === 'string')
    : DEFAULT_EXCLUDED_ENV_VARS;
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
    dotenvFiles: found.files,
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
  const models = resolveModels({ env, merged, oauth: inp.oauth, active, session: inp.session, cliModel: inp.overrides.model }, catalogueProblems);
  const { catalogue, selection } = models;
  applyStartupRefusal(files, catalogue);

  const warnings: string[] = [...dotenvWarnings(layers.dotenv), ...models.warnings];
  const candidates = dotenvCandidates(realCwd, paths.home, paths.qwenDir, true);
  const diagnostics = [
    ...files.flatMap((f) => f.diagnostics),
    ...settingsDiagnostics({ files, trusted, env, catalogue, merged }),
    ...catalogueProblems,
    ...found.problems,
    ...dotenvFileDiagnostics(layers.dotenv),
  ];
  if (trustFile.error) diagnostics.push({ path: trustFile.path, message: trustFile.error, severity: 'error' });

  return {
    cwd,
    paths,
    files,
    trust: { enabled, explicit, trusted, file: trustFile },
    merged,
    dotenvFiles: layers.dotenv,
    expansionEnv: found.expansion,
    env,
    active,
    catalogue,
    selection,
    diagnostics,
    warnings,
    selectionWarnings: models.warnings,
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
  for (const { file } of g.dotenvFiles) for (const n of Object.keys(file.vars)) names.add(n);
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
