import { type CatalogueModel, type ConfigGraph, DEFAULT_ENV_KEY, fallbackKey, modelKey, reachability } from '../config/index.js';
import { type AuthType, KeyAuthType, type ModelTestResult, type ParamsOf, ServerError } from '../protocol/index.js';
import type { ProviderTarget, ResolvedModel } from '../providers/index.js';
import type { EgressGuard } from '../auth/net/index.js';
import type { OAuthPort } from './auth.js';
import type { HandlerContext } from './context.js';
import { guarded, isRefusal } from './egress.js';
import { findModel } from './model.js';
import type { RemoteModelEntry } from './views.js';

/** Adapters load on the first request to a provider. */
const providers = () => import('../providers/index.js');

export interface ProviderDeps {
  oauth: OAuthPort;
  /** Every request to a provider goes through it. */
  egress: EgressGuard;
}

/** Everything a request to this model needs. */
export async function resolveForRequest(g: ConfigGraph, m: CatalogueModel, deps: ProviderDeps): Promise<ResolvedModel> {
  if (m.authType === 'qwen-oauth') {
    const creds = await deps.oauth.credentials();
    if (!creds) {
      throw new ServerError('CredentialMissing', 'not signed in to Qwen OAuth', { hint: 'sign in with the qwen-oauth login first' });
    }
    return { authType: 'qwen-oauth', id: m.id, apiKey: creds.accessToken, ...(creds.resourceUrl ? { baseUrl: creds.resourceUrl } : {}) };
  }
  const envKey = m.envKey ?? DEFAULT_ENV_KEY[m.authType];
  // The same resolution as model/list's availability: an unset envKey falls through.
  const key = modelKey(g, m);
  if (!key) {
    throw new ServerError('CredentialMissing', `${envKey} is not set, so ${m.id} cannot be reached`, {
      hint: `sign in with an API key for ${m.authType}, or set ${envKey} in your environment or ~/.qwen/.env`,
    });
  }
  const gc = m.config?.generationConfig;
  const r: ResolvedModel = { authType: m.authType, id: m.id, apiKey: key.value, envKey: key.name };
  if (m.baseUrl) r.baseUrl = m.baseUrl;
  if (gc?.timeout) r.timeoutMs = gc.timeout;
  if (gc?.maxRetries !== undefined) r.maxRetries = gc.maxRetries;
  if (gc?.customHeaders) r.customHeaders = gc.customHeaders;
  if (gc?.extra_body) r.extraBody = gc.extra_body;
  return r;
}

export async function testModel(ctx: HandlerContext, deps: ProviderDeps, p: ParamsOf<'model/test'>, remote: RemoteModelEntry[]): Promise<ModelTestResult> {
  const g = ctx.state.graph;
  const m = findModel(g, p, remote);
  const resolved = await resolveForRequest(g, m, deps);
  const { probeModel } = await providers();
  const r = await guarded(deps.egress, (call) => probeModel(resolved, call));
  return r.error ? { ok: r.ok, latencyMs: r.latencyMs, error: r.error } : { ok: r.ok, latencyMs: r.latencyMs };
}

/** A URL's path, query and user-info have no place in a message. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'its base URL';
  }
}

/** Live model lists, cached for the life of the process and refreshed on demand. */
export class RemoteModels {
  private list: RemoteModelEntry[] = [];

  /** The same array until the next refresh completes, so answers built from it can be cached. */
  all(): RemoteModelEntry[] {
    return this.list;
  }

  /** Asks every provider with a usable credential; a failing one becomes a warning. */
  async refresh(g: ConfigGraph, deps: ProviderDeps): Promise<string[]> {
    const warnings: string[] = [];
    const targets = new Map<string, CatalogueModel>();
    for (const m of g.catalogue) {
      // Listing is how a person finds a model to select, so it does not wait for an auth type to be selected.
      if (m.authType === 'qwen-oauth' || !reachability(m, g).available) continue;
      const key = `${m.authType}\u0000${m.baseUrl ?? ''}\u0000${m.envKey ?? ''}`;
      if (!targets.has(key)) targets.set(key, m);
    }
    for (const at of KeyAuthType.options) {
      const envKey = DEFAULT_ENV_KEY[at];
      if (!fallbackKey(g, at) || [...targets.values()].some((m) => m.authType === at)) continue;
      targets.set(`${at}\u0000default`, { id: '(default)', name: '', authType: at, envKey, source: { layer: 'default' }, available: true });
    }
    const { listRemoteModels } = await providers();
    const lists = new Map<string, RemoteModelEntry[]>();
    await Promise.all(
      [...targets].map(async ([key, m]) => {
        try {
          const r = await resolveForRequest(g, m, deps);
          const { id: _id, ...target } = r;
          const list = await guarded(deps.egress, (call) => listRemoteModels(target as ProviderTarget, call));
          lists.set(
            key,
            list.map((x) => ({
              id: x.id,
              authType: m.authType as AuthType,
              ...(x.name ? { name: x.name } : {}),
              ...(x.description ? { description: x.description } : {}),
              ...(m.baseUrl ? { baseUrl: m.baseUrl } : {}),
              ...(m.envKey ? { envKey: m.envKey } : {}),
            })),
          );
        } catch (err) {
          // A refusal names the host itself, with any credential in it hidden.
          const label = isRefusal(err) || !m.baseUrl ? m.authType : `${m.authType} at ${hostOf(m.baseUrl)}`;
          warnings.push(`could not list the models of ${label}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }),
    );
    // In the order of the targets, whichever answered first.
    this.list = [...targets.keys()].flatMap((k) => lists.get(k) ?? []);
    return warnings;
  }
}
