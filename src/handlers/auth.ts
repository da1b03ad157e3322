import { checkKey, checkKeyRule, type KeyCheck, removeKey, shadowWarnings, storeKey } from '../auth/keys.js';
import {
  CUSTOM_DEFAULT_BASE_URL,
  CUSTOM_PROTOCOLS,
  customEnvKey,
  findPreset,
  offersCurrent,
  planInstall,
  pickRegion,
  type Preset,
  type PresetRegion,
  regionValue,
} from '../auth/presets/index.js';
import { loginMenu } from '../auth/presets/menu.js';
import type { LoginStarted } from '../auth/qwen-oauth/index.js';
import { authStatus, credentialSnapshot, type OAuthStatus } from '../auth/status.js';
import { recordVerdict, verdictFor } from '../auth/verified.js';
import type { EgressGuard } from '../auth/net/index.js';
import {
  type CatalogueModel,
  type ConfigGraph,
  DEFAULT_ENV_KEY,
  editSettingsFile,
  getPath,
  modelKey,
  QWEN_OAUTH_MODEL,
} from '../config/index.js';
import { AUTH_ENV } from '../config/qwen-code-facts.js';
import {
  type AuthStatusResult,
  InvalidParamsError,
  type KeyAuthType,
  type ModelRef,
  type ModelTestResult,
  type ParamsOf,
  redact,
  type ResultOf,
  ServerError,
} from '../protocol/index.js';
import type { JsonEdit } from '../config/write/index.js';
import type { RequestControl } from '../connection/router.js';
import type { HandlerContext } from './context.js';

/** What the handlers need of Qwen OAuth. */
export interface OAuthPort {
  status(): Promise<OAuthStatus>;
  startLogin(): Promise<LoginStarted>;
  cancel(loginId: string): boolean;
  logout(): Promise<void>;
  /** A valid access token (refreshed if needed), or null when signed out. */
  credentials(): Promise<{ accessToken: string; resourceUrl?: string } | null>;
}

/** Qwen Code's rule for where a login's settings go, as for model/select. */
function settingsTarget(g: ConfigGraph): string {
  const ws = g.files.find((f) => f.scope === 'workspace');
  if (ws?.exists && ws.settings.modelProviders && g.trust.trusted && g.paths.settings.workspace) return g.paths.settings.workspace;
  return g.paths.settings.user!;
}

export async function getAuthStatus(ctx: HandlerContext, oauth: OAuthPort): Promise<AuthStatusResult> {
  return authStatus(ctx.state.graph, await oauth.status());
}

export function getAuthMethods(): ResultOf<'auth/methods'> {
  return { methods: loginMenu() };
}

type KeyLogin = Exclude<ParamsOf<'auth/login'>, { method: 'qwen-oauth' }>;
type PresetLogin = Exclude<KeyLogin, { method: 'api-key' }>;

export async function login(
  ctx: HandlerContext,
  oauth: OAuthPort,
  p: ParamsOf<'auth/login'>,
  egress?: EgressGuard,
  ctl?: RequestControl,
): Promise<ResultOf<'auth/login'>> {
  if (p.method === 'qwen-oauth') {
    const started = await oauth.startLogin();
    if (p.openBrowser !== false && ctx.canShowDocument) ctx.showDocument(started.verificationUriComplete);
    return { ...started, state: 'pending' };
  }
  return p.method === 'api-key' ? apiKeyLogin(ctx, p, egress, ctl) : presetLogin(ctx, p, egress, ctl);
}

/**
 * Whether a login left the effective model as it was. Its base URL counts
 * only when the model was configured before: a chosen id the login just
 * installed is the person's model found, not another one.
 */
function sameModel(before: ConfigGraph, a: ModelRef | null, b: ModelRef | null): boolean {
  if (a === null && b !== null) {
    // Nothing was usable: the person's choice is what settings named.
    const name = getPath(before.merged.value, 'model.name');
    return name === b.id && getPath(before.merged.value, 'security.auth.selectedType') === b.authType;
  }
  if (a === null || b === null) return a === b;
  if (a.authType !== b.authType || a.id !== b.id) return false;
  const configured = before.catalogue.some((m) => m.config !== undefined && m.authType === a.authType && m.id === a.id);
  return !configured || (a.baseUrl ?? '') === (b.baseUrl ?? '');
}

/**
 * The check before anything is stored, unless the client asked for none.
 * Nothing is changed until it answers, so other requests need not wait for
 * the provider (up to its time limit when it is slow).
 */
async function verifyKey(
  egress: EgressGuard | undefined,
  verify: boolean | undefined,
  t: Parameters<typeof checkKey>[1],
  ctl: RequestControl | undefined,
): Promise<KeyCheck> {
  if (verify === false || !egress) return { verified: false };
  ctl?.readsMayPass();
  return checkKey(egress, t);
}

/** What a key login answers, once the key is stored and the graph recomputed. */
async function keyLoginResult(
  ctx: HandlerContext,
  before: ConfigGraph,
  r: { envKey: string; apiKey: string; storedIn: string; check: KeyCheck; changed: { path: string; keys: string[] }[]; warnings: string[] },
): Promise<ResultOf<'auth/login'>> {
  const after = await ctx.state.recompute();
  const warnings = [...r.warnings, ...(r.check.warning ? [r.check.warning] : []), ...shadowWarnings(after, r.envKey, r.storedIn)];
  const selected = !sameModel(before, before.selection, after.selection) && after.selection ? after.selection : undefined;
  return {
    state: 'signedIn',
    envKey: r.envKey,
    credential: { redacted: redact(r.apiKey), source: { layer: 'dotenv', scope: 'home', path: r.storedIn } },
    storedIn: r.storedIn,
    verified: r.check.verified,
    ...(selected ? { selected } : {}),
    changed: r.changed,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/**
 * Where a key of this auth type is sent: the first model using that
 * variable at a base URL from outside the workspace (or from a trusted one),
 * else the type's base URL variable, else the SDK's default. A fresh key is
 * never sent to a host only an untrusted workspace names.
 */
function keyTargetBaseUrl(g: ConfigGraph, authType: KeyAuthType, envKey: string): string | undefined {
  const fromWorkspace = (m: CatalogueModel) => (m.baseUrlSource ?? m.source).scope === 'workspace';
  const m = g.catalogue.find((c) => c.authType === authType && c.envKey === envKey && c.baseUrl && (g.trust.trusted || !fromWorkspace(c)));
  if (m?.baseUrl) return m.baseUrl;
  for (const name of AUTH_ENV[authType]?.baseUrl ?? []) {
    const e = g.env.get(name);
    if (e && e.value !== '' && (g.trust.trusted || e.source.scope !== 'workspace')) return e.value;
  }
  return undefined;
}

async function apiKeyLogin(ctx: HandlerContext, p: Extract<KeyLogin, { method: 'api-key' }>, egress: EgressGuard | undefined, ctl?: RequestControl) {
  const before = ctx.state.graph;
  const envKey = p.envKey ?? DEFAULT_ENV_KEY[p.authType];
  const baseUrl = keyTargetBaseUrl(before, p.authType, envKey);
  const check = await verifyKey(egress, p.verify, { authType: p.authType, apiKey: p.apiKey, envKey, ...(baseUrl ? { baseUrl } : {}) }, ctl);
  const storedIn = await storeKey(before, envKey, p.apiKey);
  return keyLoginResult(ctx, before, { envKey, apiKey: p.apiKey, storedIn, check, changed: [{ path: storedIn, keys: [envKey] }], warnings: [] });
}

/** The endpoint, protocol and variable a preset login uses. */
function presetInputs(preset: Preset, p: PresetLogin): { region: PresetRegion; protocol: KeyAuthType; envKey: string } {
  if (preset.group === 'custom') {
    const protocol = p.authType ?? CUSTOM_PROTOCOLS[0]!;
    if (!CUSTOM_PROTOCOLS.includes(protocol)) {
      throw new InvalidParamsError(`Custom Provider speaks ${CUSTOM_PROTOCOLS.join(', ')}, not ${protocol}`, [{ path: ['authType'] }]);
    }
    if (!p.models) throw new InvalidParamsError('Custom Provider needs the model ids to add ("models")', [{ path: ['models'] }]);
    const baseUrl = (p.baseUrl ?? CUSTOM_DEFAULT_BASE_URL[protocol]!).trim();
    return { region: { baseUrl, namePrefix: '', version: '' }, protocol, envKey: customEnvKey(protocol, baseUrl) };
  }
  if (p.authType !== undefined && p.authType !== preset.protocol) {
    throw new InvalidParamsError(`${preset.label} speaks ${preset.protocol}, not ${p.authType}`, [{ path: ['authType'] }]);
  }
  const region = pickRegion(preset, { ...(p.region !== undefined ? { region: p.region } : {}), ...(p.baseUrl !== undefined ? { baseUrl: p.baseUrl } : {}) });
  if (!region) {
    const offered = preset.regions.map((r) => (regionValue(r) ? `${regionValue(r)} (${r.baseUrl})` : r.baseUrl)).join(', ');
    throw new InvalidParamsError(`${preset.label} has no such ${p.region !== undefined ? 'region' : 'base URL'}: it offers ${offered}`, [
      { path: [p.region !== undefined ? 'region' : 'baseUrl'] },
    ]);
  }
  return { region, protocol: preset.protocol, envKey: preset.envKey };
}

/** The settings keys under `path` a list of edits touches, as dotted paths. */
const dotted = (edits: readonly JsonEdit[]) => [...new Set(edits.map((e) => e.path.join('.')))];

async function presetLogin(ctx: HandlerContext, p: PresetLogin, egress: EgressGuard | undefined, ctl?: RequestControl) {
  const preset = findPreset(p.method)!;
  checkKeyRule(preset.keyRule, p.apiKey);
  const inputs = presetInputs(preset, p);
  const before = ctx.state.graph;
  const check = await verifyKey(egress, p.verify, {
    authType: inputs.protocol,
    apiKey: p.apiKey,
    envKey: inputs.envKey,
    baseUrl: inputs.region.baseUrl,
    ...(preset.customHeaders ? { customHeaders: preset.customHeaders } : {}),
  }, ctl);
  const target = settingsTarget(before);
  const merged = before.merged.value;
  let edits: JsonEdit[] = [];
  let envKey = inputs.envKey;
  const written = await editSettingsFile(target, (current: unknown) => {
    const file = (current ?? {}) as Record<string, unknown>;
    // Qwen Code merges into the list the target file has for the protocol, else the merged one.
    const own = getPath(file, `modelProviders.${inputs.protocol}`);
    const existing = Array.isArray(own) ? own : ((getPath(merged, `modelProviders.${inputs.protocol}`) as unknown[] | undefined) ?? []);
    const plan = planInstall(
      preset,
      { region: inputs.region, envKey: inputs.envKey, protocol: inputs.protocol, ...(p.models ? { modelIds: p.models } : {}) },
      Array.isArray(existing) ? existing : [],
    );
    envKey = plan.envKey;
    const list: JsonEdit[] = [
      { path: ['modelProviders', inputs.protocol], value: plan.list },
      { path: ['security', 'auth', 'selectedType'], value: plan.protocol },
    ];
    if (!offersCurrent(plan, getPath(merged, 'model.name'), getPath(merged, 'model.baseUrl'))) {
      list.push({ path: ['model', 'name'], value: plan.first.id });
      list.push({ path: ['model', 'baseUrl'], value: plan.selectsBaseUrl ? plan.first['baseUrl'] : '' });
    }
    if (plan.metadata) {
      list.push({ path: ['providerMetadata', preset.id, 'version'], value: plan.metadata.version });
      list.push({ path: ['providerMetadata', preset.id, 'baseUrl'], value: plan.metadata.baseUrl });
    }
    // What this server wrote before it followed Qwen Code: its providerMetadata holds the same now.
    const legacy = preset.id === 'coding-plan' ? 'codingPlan' : preset.id === 'token-plan' ? 'tokenPlan' : undefined;
    if (legacy && file[legacy] !== undefined) list.push({ path: [legacy], value: undefined });
    edits = list;
    return list;
  });
  const storedIn = await storeKey(before, envKey, p.apiKey);
  if (!ctx.state.overrides.model) ctx.state.setSessionSelection(undefined);
  return keyLoginResult(ctx, before, {
    envKey,
    apiKey: p.apiKey,
    storedIn,
    check,
    changed: [...(written.changed ? [{ path: target, keys: dotted(edits) }] : []), { path: storedIn, keys: [envKey] }],
    warnings: written.warnings,
  });
}

export async function logout(ctx: HandlerContext, oauth: OAuthPort, p: ParamsOf<'auth/logout'>): Promise<ResultOf<'auth/logout'>> {
  if (p.method === 'qwen-oauth') {
    await oauth.logout();
    return { state: 'signedOut' };
  }
  if (p.method === 'api-key' && !p.envKey && !p.authType) {
    throw new ServerError('CredentialMissing', 'say which key to remove: authType or envKey', { hint: 'e.g. { "method": "api-key", "authType": "openai" }' });
  }
  const preset = p.method === 'api-key' ? undefined : findPreset(p.method);
  if (preset?.group === 'custom' && !p.envKey) {
    throw new ServerError('CredentialMissing', 'say which Custom Provider key to remove: envKey', { hint: 'the envKey of its models, QWEN_CUSTOM_API_KEY_…' });
  }
  const keyType = p.authType === undefined || p.authType === 'qwen-oauth' ? 'openai' : p.authType;
  const envKey = preset && preset.group !== 'custom' ? preset.envKey : (p.envKey ?? DEFAULT_ENV_KEY[keyType]);
  const r = await removeKey(ctx.state.graph, envKey);
  await ctx.state.recompute();
  const warnings = r.stillSetBy ? [`${envKey} is still set by ${r.stillSetBy}, so it is still in use`] : [];
  const removed = r.removedFrom.length > 0 ? `removed ${envKey} from ${r.removedFrom.join(' and ')}` : `${envKey} was not stored by the server`;
  const message = preset
    ? `${removed}; the ${preset.label} models stay in modelProviders, as in Qwen Code: sign in again to use them, or remove them from settings.json`
    : removed;
  return { state: 'signedOut', message, ...(warnings.length > 0 ? { warnings } : {}) };
}

/**
 * model/test's answer is the provider's word on the key it used: recorded
 * for auth/status, and announced when it changes what a client was told.
 */
export function recordTestVerdict(ctx: HandlerContext, find: () => CatalogueModel, r: ModelTestResult): void {
  let m: CatalogueModel;
  try {
    m = find();
  } catch {
    return; // Gone from the config while the test ran.
  }
  if (m.authType === 'qwen-oauth') return;
  const ok = r.ok ? true : r.error?.code === 'unauthorized' ? false : undefined;
  const key = ok === undefined ? undefined : modelKey(ctx.state.graph, m);
  if (ok === undefined || !key) return;
  const c = { authType: m.authType, envKey: key.name, apiKey: key.value };
  if (verdictFor(c) === ok) return;
  recordVerdict(c, ok);
  const preset = credentialSnapshot(ctx.state.graph).get(`${m.authType}:${key.name}`);
  ctx.notifier.notify('auth/didChange', {
    method: preset?.login ?? 'api-key',
    authType: m.authType,
    envKey: key.name,
    state: 'signedIn',
    verified: ok,
  });
}

/**
 * After a Qwen OAuth sign-in, Qwen Code makes qwen-oauth the active auth type
 * with its model. Done only when nothing usable is selected, so that a
 * sign-in never takes away a model the person chose.
 */
export async function adoptQwenOAuth(ctx: HandlerContext): Promise<void> {
  const g = ctx.state.graph;
  const sel = g.selection;
  const usable = sel && g.catalogue.some((m) => m.authType === sel.authType && m.id === sel.id && m.available);
  if (usable && sel.authType !== 'qwen-oauth') return;
  await editSettingsFile(settingsTarget(g), [
    { path: ['security', 'auth', 'selectedType'], value: 'qwen-oauth' },
    { path: ['model', 'name'], value: QWEN_OAUTH_MODEL },
  ]);
  await ctx.state.recompute();
}

/** Sends auth/didChange for every key whose value appeared, changed or went away between two graphs. */
export function announceCredentialChanges(ctx: Pick<HandlerContext, 'notifier'>, before: ConfigGraph, after: ConfigGraph): void {
  const a = credentialSnapshot(before);
  const b = credentialSnapshot(after);
  for (const [id, now] of b) {
    const was = a.get(id);
    if ((was?.value ?? '') === now.value) continue;
    const verified = now.value !== '' ? verdictFor({ authType: now.authType, envKey: now.envKey, apiKey: now.value }) : undefined;
    ctx.notifier.notify('auth/didChange', {
      method: now.login,
      authType: now.authType,
      envKey: now.envKey,
      state: now.value !== '' ? 'signedIn' : 'signedOut',
      ...(verified !== undefined ? { verified } : {}),
    });
  }
}

