import {
  CODING_PLAN_DEFAULT_MODEL,
  CODING_PLAN_ENV_KEY,
  codingPlanModels,
  codingPlanVersion,
  isCodingPlanEntry,
} from '../auth/coding-plan.js';
import { removeKey, shadowWarnings, storeKey } from '../auth/keys.js';
import type { LoginStarted } from '../auth/qwen-oauth/index.js';
import { authStatus, credentialSnapshot, type OAuthStatus } from '../auth/status.js';
import { type ConfigGraph, DEFAULT_ENV_KEY, editSettingsFile, getPath, QWEN_OAUTH_MODEL } from '../config/index.js';
import { type AuthStatusResult, type ParamsOf, redact, type ResultOf, ServerError } from '../protocol/index.js';
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

export async function login(ctx: HandlerContext, oauth: OAuthPort, p: ParamsOf<'auth/login'>): Promise<ResultOf<'auth/login'>> {
  if (p.method === 'qwen-oauth') {
    const started = await oauth.startLogin();
    if (p.openBrowser !== false && ctx.canShowDocument) ctx.showDocument(started.verificationUriComplete);
    return { ...started, state: 'pending' };
  }
  const g = ctx.state.graph;
  const envKey = p.method === 'coding-plan' ? CODING_PLAN_ENV_KEY : (p.envKey ?? DEFAULT_ENV_KEY[p.authType]);
  const storedIn = await storeKey(g, envKey, p.apiKey);
  let migrated: string[] = [];
  if (p.method === 'coding-plan') {
    const region = p.region ?? 'china';
    migrated = (await editSettingsFile(settingsTarget(g), (current: unknown) => {
      const existing = getPath((current ?? {}) as Record<string, unknown>, 'modelProviders.openai');
      const kept = Array.isArray(existing) ? existing.filter((e) => !isCodingPlanEntry(e)) : [];
      return [
        { path: ['modelProviders', 'openai'], value: [...codingPlanModels(region), ...kept] },
        { path: ['security', 'auth', 'selectedType'], value: 'openai' },
        { path: ['codingPlan', 'region'], value: region },
        { path: ['codingPlan', 'version'], value: codingPlanVersion() },
        { path: ['model', 'name'], value: CODING_PLAN_DEFAULT_MODEL },
      ];
    })).warnings;
    if (!ctx.state.overrides.model) ctx.state.setSessionSelection(undefined);
  }
  const after = await ctx.state.recompute();
  const warnings = [...migrated, ...shadowWarnings(after, envKey, storedIn)];
  return {
    state: 'signedIn',
    envKey,
    credential: { redacted: redact(p.apiKey), source: { layer: 'dotenv', path: storedIn } },
    storedIn,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

export async function logout(ctx: HandlerContext, oauth: OAuthPort, p: ParamsOf<'auth/logout'>): Promise<ResultOf<'auth/logout'>> {
  if (p.method === 'qwen-oauth') {
    await oauth.logout();
    return { state: 'signedOut' };
  }
  if (p.method === 'api-key' && !p.envKey && !p.authType) {
    throw new ServerError('CredentialMissing', 'say which key to remove: authType or envKey', { hint: 'e.g. { "method": "api-key", "authType": "openai" }' });
  }
  const keyType = p.authType === undefined || p.authType === 'qwen-oauth' ? 'openai' : p.authType;
  const envKey = p.method === 'coding-plan' ? CODING_PLAN_ENV_KEY : (p.envKey ?? DEFAULT_ENV_KEY[keyType]);
  const r = await removeKey(ctx.state.graph, envKey);
  await ctx.state.recompute();
  const warnings = r.stillSetBy ? [`${envKey} is still set by ${r.stillSetBy}, so it is still in use`] : [];
  return { state: 'signedOut', ...(warnings.length > 0 ? { warnings } : {}) };
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
    ctx.notifier.notify('auth/didChange', {
      method: now.login,
      authType: now.authType,
      envKey: now.envKey,
      state: now.value !== '' ? 'signedIn' : 'signedOut',
    });
  }
}
