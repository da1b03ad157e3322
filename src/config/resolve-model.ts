/**
 * Which model Qwen Code uses, with which key and at which base URL: the
 * catalogue, each model's credential and base URL, and the selection, as
 * Qwen Code 0.24's modelConfigResolver, modelsConfig and modelRegistry
 * decide them (the facts are in qwen-code-facts.ts). One place, used by
 * model/list, auth/status and the requests themselves, so that what the
 * server says will be used is what it sends.
 */
import { type AuthType, type Diagnostic, KeyAuthType, type ModelRef, type Source } from '../protocol/index.js';
import { type CatalogueModel, DEFAULT_ENV_KEY, type OAuthView } from './catalogue.js';
import type { EnvEntry, Override } from './env-layers.js';
import { getPath, type MergedSettings } from './merge.js';
import {
  AUTH_ENV,
  AUTH_TYPE_INFERENCE,
  DASHSCOPE_BASE_URL,
  DEFAULT_BASE_URL,
  DEFAULT_MODEL,
  QWEN_OAUTH_MODEL,
  QWEN_OAUTH_MODEL_DESCRIPTION,
  QWEN_OAUTH_MODEL_NAME,
  QWEN_OAUTH_FREE_TIER_END,
  SETTINGS_API_KEY,
  SETTINGS_BASE_URL,
  USE_EXTERNAL_AUTH_SETTING,
  WIRE_API_AUTH_TYPE,
  WIRE_API_PROTOCOLS,
} from './qwen-code-facts.js';
import type { ModelConfig } from './settings-schema.js';

/** What credentials and base URLs are looked up in. */
export interface CredentialInputs {
  env: Map<string, EnvEntry>;
  merged: MergedSettings;
}

/** A value found by one of Qwen Code's layers, with the name a person knows it by. */
export interface Found {
  value: string;
  /** The variable, or the settings key, that holds it. */
  name: string;
  source: Source;
}

export type Active = { authType: AuthType; source: Source } | null;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function fromEnv(env: Map<string, EnvEntry>, name: string): Found | undefined {
  const e = env.get(name);
  return e && e.value !== '' ? { value: e.value, name, source: e.source } : undefined;
}

/** The flags (`--openai-api-key`, `--openai-base-url`) reach the graph as these variables, with a flag's layer. */
function fromFlag(env: Map<string, EnvEntry>, name: string): Found | undefined {
  const f = fromEnv(env, name);
  return f && (f.source.layer === 'cli' || f.source.layer === 'initializationOptions') ? f : undefined;
}

function fromSettings(merged: MergedSettings, key: string): Found | undefined {
  const value = str(getPath(merged.value, key));
  return value === undefined ? undefined : { value, name: key, source: merged.sources.get(key) ?? { layer: 'settings' } };
}

/** The key of an auth type when a model's own envKey gives none: `--openai-api-key` → the type's variable → `security.auth.apiKey`. */
export function fallbackKey(inp: CredentialInputs, authType: AuthType): Found | undefined {
  if (authType === 'qwen-oauth') return undefined;
  return (
    fromFlag(inp.env, 'OPENAI_API_KEY') ??
    (AUTH_ENV[authType]?.apiKey ?? []).map((n) => fromEnv(inp.env, n)).find((f) => f !== undefined) ??
    fromSettings(inp.merged, SETTINGS_API_KEY)
  );
}

/** The key requests of this model carry: its envKey's variable, else the fallback (unset falls through). */
export function modelKey(inp: CredentialInputs, m: Pick<CatalogueModel, 'authType' | 'envKey'>): Found | undefined {
  const own = m.envKey ? fromEnv(inp.env, m.envKey) : undefined;
  return own ?? fallbackKey(inp, m.authType);
}

/** The base URL from outside modelProviders: `--openai-base-url` → the type's variable → `security.auth.baseUrl`. */
function outsideBaseUrl(inp: CredentialInputs, authType: AuthType): Found | undefined {
  return (
    fromFlag(inp.env, 'OPENAI_BASE_URL') ??
    (AUTH_ENV[authType]?.baseUrl ?? []).map((n) => fromEnv(inp.env, n)).find((f) => f !== undefined) ??
    fromSettings(inp.merged, SETTINGS_BASE_URL)
  );
}

/**
 * Where requests of a model go: the entry's own baseUrl, the layers outside
 * modelProviders, else the auth type's default, which differs for a model
 * no modelProviders entry defines.
 */
export function resolveBaseUrl(
  inp: CredentialInputs,
  authType: AuthType,
  entry: { baseUrl?: string | undefined; source: Source } | undefined,
): { url?: string; source?: Source } {
  const wire = (url: string) => (authType === 'openai-responses' ? responsesWireBaseUrl(url) : url);
  if (entry?.baseUrl) return { url: wire(entry.baseUrl), source: entry.source };
  const outside = outsideBaseUrl(inp, authType);
  if (outside) return { url: wire(outside.value), source: outside.source };
  const d = DEFAULT_BASE_URL[authType];
  const url = entry ? d?.entry : d?.unlisted;
  return url ? { url, source: { layer: 'default' } } : {};
}

/**
 * The Responses wire always ends its base URL in `/v1`: Qwen Code strips a
 * trailing `/v1` and sends to `…/v1/responses` (normalizeOpenAiWireBaseUrl,
 * chunk-VOHPPFJI.js), so `https://host/api` is really `https://host/api/v1`.
 */
export function responsesWireBaseUrl(url: string): string {
  return `${url.trim().replace(/\/v1\/?$/, '').replace(/\/$/, '')}/v1`;
}

/**
 * Where Qwen OAuth requests go: the credential's `resource_url`, `https://`
 * added if missing and `/v1` if not already there; DashScope without one
 * (qwenContentGenerator.ts, qwenContentGenerator-Q6QY4LGK.js).
 */
export function qwenOAuthBaseUrl(resourceUrl?: string): string {
  const raw = resourceUrl?.trim();
  if (!raw) return DASHSCOPE_BASE_URL;
  const withScheme = (/^https?:\/\//i.test(raw) ? raw : `https://${raw}`).replace(/\/+$/, '');
  return /\/v1$/.test(withScheme) ? withScheme : `${withScheme}/v1`;
}

/** getAuthTypeFromEnv: the auth type the environment implies when nothing selects one. */
export function inferAuthType(env: Map<string, EnvEntry>): Active {
  const set = (n: string) => fromEnv(env, n) !== undefined;
  for (const rule of AUTH_TYPE_INFERENCE) {
    if (!rule.all.every(set) || (rule.any && !rule.any.some(set))) continue;
    return { authType: rule.authType as AuthType, source: env.get(rule.all[0]!)!.source };
  }
  return null;
}

const NO_AUTH_TYPE =
  'no auth type is selected (Qwen Code will not start): choose a model with model/select, or set security.auth.selectedType in settings.json';

type Availability = { available: boolean; unavailableReason?: string };

/** Whether a model can be used now, and if not, a sentence that says what to do. */
export function availability(
  m: Pick<CatalogueModel, 'authType' | 'envKey' | 'baseUrl'>,
  inp: CredentialInputs & { oauth: OAuthView; active: Active },
): Availability {
  // What the model itself lacks comes first: it has to be fixed either way.
  const r = reachability(m, inp);
  if (r.available && m.authType === 'qwen-oauth' && !qwenCodeTakesOAuth(inp.merged)) return { available: false, unavailableReason: NEEDS_USE_EXTERNAL };
  return r.available && !inp.active ? { available: false, unavailableReason: NO_AUTH_TYPE } : r;
}

const NEEDS_USE_EXTERNAL =
  `the Qwen OAuth free tier ended on ${QWEN_OAUTH_FREE_TIER_END}, and Qwen Code 0.24 refuses Qwen OAuth unless ${USE_EXTERNAL_AUTH_SETTING} is true: ` +
  'set "security": {"auth": {"useExternal": true}} in ~/.qwen/settings.json to use this credential, or choose another model';

/** Whether Qwen Code runs qwen-oauth with the cached credential: only when useExternal skips its check (truthiness, as Qwen Code tests it). */
export function qwenCodeTakesOAuth(merged: MergedSettings): boolean {
  return !!getPath(merged.value, USE_EXTERNAL_AUTH_SETTING);
}

/** Whether a model's provider can be reached with what is configured, whatever auth type is selected (model/list {refresh} asks these). */
export function reachability(m: Pick<CatalogueModel, 'authType' | 'envKey' | 'baseUrl'>, inp: CredentialInputs & { oauth?: OAuthView }): Availability {
  if (m.authType === 'qwen-oauth') {
    const state = inp.oauth?.state;
    if (state === 'signedIn') return { available: true };
    if (state === 'expired') return { available: true }; // refreshed on use
    const why = state === 'error' && inp.oauth?.message ? `${inp.oauth.message}; ` : '';
    return { available: false, unavailableReason: `${why}not signed in to Qwen OAuth: sign in with the qwen-oauth login` };
  }
  if (!modelKey(inp, m)) {
    const envKey = m.envKey ?? DEFAULT_ENV_KEY[m.authType];
    const also = envKey === DEFAULT_ENV_KEY[m.authType] ? '' : ` (nor ${DEFAULT_ENV_KEY[m.authType]}, nor ${SETTINGS_API_KEY})`;
    return {
      available: false,
      unavailableReason: `${envKey} is not set${also}: sign in with an API key, or set ${envKey} in your environment or ~/.qwen/.env`,
    };
  }
  if (m.authType === 'anthropic' && !m.baseUrl) {
    return {
      available: false,
      unavailableReason: 'no base URL: set baseUrl on this model in modelProviders.anthropic, or ANTHROPIC_BASE_URL',
    };
  }
  return { available: true };
}

export interface ModelInputs extends CredentialInputs {
  oauth: OAuthView;
  active: Active;
  session?: { authType: AuthType; id: string; baseUrl?: string } | undefined;
  cliModel?: Override | undefined;
}

/**
 * The models of the merged settings. Each entry passed ModelConfig when its
 * file was read (invalid ones are gone by now); only what `$VAR` expansion
 * can break, a base URL, is checked again.
 */
function buildCatalogue(inp: ModelInputs, problems: Diagnostic[]): CatalogueModel[] {
  const out: CatalogueModel[] = [];
  const builtin: CatalogueModel = {
    id: QWEN_OAUTH_MODEL,
    name: QWEN_OAUTH_MODEL_NAME,
    authType: 'qwen-oauth',
    description: QWEN_OAUTH_MODEL_DESCRIPTION,
    // The egress guard knows this host from the credential itself: no baseUrlSource.
    baseUrl: qwenOAuthBaseUrl(inp.oauth.resourceUrl),
    source: { layer: 'builtin' },
    available: false,
  };
  out.push({ ...builtin, ...availability(builtin, inp) });
  const providers = inp.merged.value.modelProviders;
  if (!providers || typeof providers !== 'object') return out;
  // Per auth type, as Qwen Code's registry: entries of two keys (openai with wireApi "responses",
  // openai-responses) land in one type, in the order the keys come.
  const seen = new Map<AuthType, Set<string>>();
  for (const [providerKey, list] of Object.entries(providers as Record<string, unknown>)) {
    const keyType = KeyAuthType.safeParse(providerKey);
    if (!keyType.success || !Array.isArray(list)) continue;
    const source = inp.merged.sources.get(`modelProviders.${providerKey}`) ?? { layer: 'settings' };
    for (const item of list) {
      const cfg = item as ModelConfig;
      const authType = entryAuthType(keyType.data, cfg, source, problems);
      if (!authType) continue;
      if (cfg.baseUrl !== undefined && !URL.canParse(cfg.baseUrl)) {
        if (source.path) problems.push({
          path: source.path,
          severity: 'warning',
          message: `modelProviders.${providerKey}: the baseUrl of "${cfg.id}" is not a URL once its $VAR references are expanded (is the variable set?); this model is ignored`,
        });
        continue;
      }
      // Keyed by id + the entry's own baseUrl; of duplicates the first wins.
      const key = `${cfg.id}\u0000${cfg.baseUrl ?? ''}`;
      const ofType = seen.get(authType) ?? new Set<string>();
      seen.set(authType, ofType);
      if (ofType.has(key)) continue;
      ofType.add(key);
      const where = resolveBaseUrl(inp, authType, { baseUrl: cfg.baseUrl, source });
      const m: CatalogueModel = {
        id: cfg.id,
        name: cfg.name ?? cfg.id,
        authType,
        envKey: cfg.envKey ?? DEFAULT_ENV_KEY[authType],
        source,
        config: cfg,
        available: false,
      };
      if (where.url) {
        m.baseUrl = where.url;
        if (where.source) m.baseUrlSource = where.source;
      }
      if (cfg.description) m.description = cfg.description;
      out.push({ ...m, ...availability(m, inp) });
    }
  }
  return out;
}

/**
 * The auth type of one modelProviders entry: its key's, unless `wireApi` picks
 * the other OpenAI wire. A wireApi Qwen Code refuses drops the entry, with an error.
 */
function entryAuthType(keyType: KeyAuthType, cfg: ModelConfig, source: Source, problems: Diagnostic[]): KeyAuthType | undefined {
  const wire = cfg.wireApi;
  if (wire === undefined) return keyType;
  const byWire = KeyAuthType.safeParse(Object.hasOwn(WIRE_API_AUTH_TYPE, wire) ? WIRE_API_AUTH_TYPE[wire] : undefined);
  if (byWire.success && WIRE_API_PROTOCOLS.includes(keyType)) return byWire.data;
  const why = byWire.success
    ? `wireApi is only for openai and openai-responses models`
    : `wireApi "${wire}" is neither "chat-completions" nor "responses"`;
  if (source.path) {
    problems.push({
      path: source.path,
      severity: 'error',
      message: `modelProviders.${keyType}: "${cfg.id}": ${why}, and Qwen Code will not start until it is fixed; this model is ignored`,
    });
  }
  return undefined;
}

/** The id Qwen Code starts with and where it came from (resolveCliGenerationConfig), before any fallback. */
function requestedModel(inp: ModelInputs): { id: string; source: Source; baseUrl?: string } | undefined {
  if (inp.cliModel) return { id: inp.cliModel.value, source: { layer: inp.cliModel.layer } };
  const name = str(getPath(inp.merged.value, 'model.name'));
  if (name) {
    const baseUrl = str(getPath(inp.merged.value, 'model.baseUrl'));
    return { id: name, source: inp.merged.sources.get('model.name') ?? { layer: 'settings' }, ...(baseUrl ? { baseUrl } : {}) };
  }
  if (!inp.active) return undefined;
  for (const v of AUTH_ENV[inp.active.authType]?.model ?? []) {
    const e = inp.env.get(v);
    if (e && e.value !== '') return { id: e.value, source: { layer: e.source.layer, ...(e.source.path ? { path: e.source.path } : {}) } };
  }
  const d = DEFAULT_MODEL[inp.active.authType];
  return d ? { id: d, source: { layer: 'default' } } : undefined;
}

function refOf(m: CatalogueModel, source: Source): ModelRef {
  return { authType: m.authType, id: m.id, source, ...(m.baseUrl ? { baseUrl: m.baseUrl } : {}) };
}

/**
 * The effective selection. A session choice is taken as made. Otherwise, as
 * Qwen Code: `model.baseUrl` picks among entries sharing the id (none
 * matches: the first, with a warning); qwen-oauth has coder-model only; an
 * id no entry has becomes the type's first entry unless a key or base URL
 * from outside modelProviders exists, in which case it is sent as it is.
 */
function resolveSelection(inp: ModelInputs, catalogue: CatalogueModel[], warnings: string[]): ModelRef | null {
  const of = (authType: AuthType, id: string) => catalogue.filter((m) => m.authType === authType && m.id === id);
  if (inp.session) {
    const s = inp.session;
    const match = of(s.authType, s.id).find((m) => s.baseUrl === undefined || m.baseUrl === s.baseUrl);
    return { authType: s.authType, id: s.id, source: { layer: 'session' }, ...((s.baseUrl ?? match?.baseUrl) ? { baseUrl: s.baseUrl ?? match!.baseUrl! } : {}) };
  }
  const asked = requestedModel(inp);
  if (!asked) return null;
  const authType = inp.active?.authType ?? (() => {
    // No auth type: show what would be chosen if its type were selected (it is unavailable either way).
    const types = [...new Set(catalogue.filter((m) => m.id === asked.id).map((m) => m.authType))];
    return types.length === 1 ? types[0] : undefined;
  })();
  if (!authType) return null;
  return selectFor(inp, catalogue, warnings, asked, openaiWireFor(catalogue, authType, asked));
}

/**
 * Qwen Code's resolveModelSelectionAuthType: with openai or openai-responses
 * selected, a named model that only the other OpenAI wire has (an entry with
 * a wireApi, or one under modelProviders["openai-responses"]) switches to that
 * wire; `model.baseUrl` picks among several (modelRegistry.ts, chunk-VOHPPFJI.js).
 */
function openaiWireFor(catalogue: CatalogueModel[], authType: AuthType, asked: { id: string; source: Source; baseUrl?: string }): AuthType {
  if ((authType !== 'openai' && authType !== 'openai-responses') || asked.source.layer === 'default') return authType;
  const candidates = catalogue.filter(
    (m) =>
      m.config &&
      m.id === asked.id &&
      (m.authType === authType || ((m.authType === 'openai' || m.authType === 'openai-responses') && (m.config.wireApi !== undefined || m.authType === 'openai-responses'))),
  );
  const preferred = (ms: CatalogueModel[]) => ms.find((m) => m.authType === authType) ?? ms[0];
  const exact = asked.baseUrl === undefined ? undefined : preferred(candidates.filter((m) => (m.config?.baseUrl || null) === (asked.baseUrl || null)));
  return (exact ?? preferred(candidates))?.authType ?? authType;
}

function selectFor(
  inp: ModelInputs,
  catalogue: CatalogueModel[],
  warnings: string[],
  asked: { id: string; source: Source; baseUrl?: string },
  authType: AuthType,
): ModelRef | null {
  const of = (t: AuthType, id: string) => catalogue.filter((m) => m.authType === t && m.id === id);
  if (authType === 'qwen-oauth') {
    if (asked.id !== QWEN_OAUTH_MODEL) warnings.push(`"${asked.id}" is not a Qwen OAuth model: ${QWEN_OAUTH_MODEL} is used (as Qwen Code does)`);
    const builtin = catalogue.find((m) => m.authType === 'qwen-oauth');
    return builtin ? refOf(builtin, asked.id === QWEN_OAUTH_MODEL ? asked.source : { layer: 'default' }) : null;
  }
  const same = of(authType, asked.id);
  if (same.length > 0) {
    const exact = asked.baseUrl ? same.find((m) => m.config?.baseUrl === asked.baseUrl) : undefined;
    if (asked.baseUrl && !exact) {
      warnings.push(
        `model.baseUrl ${asked.baseUrl} matches no ${authType} model "${asked.id}": the first one (${same[0]!.baseUrl ?? 'its default base URL'}) is used, as Qwen Code does; choose the model again to update it`,
      );
    }
    return refOf(exact ?? same[0]!, asked.source);
  }
  const entries = catalogue.filter((m) => m.authType === authType && m.config);
  const outside = fallbackKey(inp, authType) ?? outsideBaseUrl(inp, authType);
  if (entries.length > 0 && !outside) {
    const first = entries[0]!;
    warnings.push(
      `no ${authType} model "${asked.id}" is configured and no key or base URL is set outside modelProviders: ${first.id}, the first ${authType} model, is used instead (as Qwen Code does)`,
    );
    return refOf(first, { layer: 'default' });
  }
  if (entries.length > 0) {
    warnings.push(`no ${authType} model "${asked.id}" is configured: it is sent as it is, with the key and base URL from outside modelProviders (as Qwen Code does)`);
  }
  const where = resolveBaseUrl(inp, authType, undefined);
  return { authType, id: asked.id, source: asked.source, ...(where.url ? { baseUrl: where.url } : {}) };
}

/** The catalogue and the selection; a selected model no entry defines is listed too. */
export function resolveModels(inp: ModelInputs, problems: Diagnostic[]): { catalogue: CatalogueModel[]; selection: ModelRef | null; warnings: string[] } {
  const warnings: string[] = [];
  const catalogue = buildCatalogue(inp, problems);
  const selection = resolveSelection(inp, catalogue, warnings);
  if (selection && !catalogue.some((m) => m.id === selection.id && m.authType === selection.authType)) {
    const m: CatalogueModel = {
      id: selection.id,
      name: selection.id,
      authType: selection.authType,
      source: selection.source,
      available: false,
    };
    if (selection.authType !== 'qwen-oauth') {
      m.envKey = DEFAULT_ENV_KEY[selection.authType];
      const where = resolveBaseUrl(inp, selection.authType, undefined);
      const url = selection.baseUrl ?? where.url;
      if (url) m.baseUrl = url;
      // A session's base URL was one model/list showed, so it has that model's source; else the layer's.
      if (!selection.baseUrl || selection.baseUrl === where.url) {
        if (where.source) m.baseUrlSource = where.source;
      }
    }
    catalogue.push({ ...m, ...availability(m, inp) });
  }
  return { catalogue, selection, warnings };
}
