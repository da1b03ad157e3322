import { CODING_PLAN_BASE_URL } from '../auth/coding-plan.js';
import { compileEgressPolicy, type EgressCall, type EgressGuard, type EgressPolicy } from '../auth/net/index.js';
import { resolveOAuthEndpoints } from '../auth/qwen-oauth/index.js';
import { type ConfigGraph, egressInputs } from '../config/index.js';
import { ServerError } from '../protocol/index.js';
import type { OAuthPort } from './auth.js';

/** What the guard needs of the Qwen OAuth credential: its tokens, and the host it sends them to. */
export interface OAuthEgress {
  tokens(): Iterable<string>;
  resourceUrl(): string | undefined;
}

/**
 * The policy of the config as it is now (DESIGN.md "Trust"), made again only
 * when the graph is replaced or the OAuth credential changes: requests ask
 * for it every time.
 */
export function currentEgressPolicy(processEnv: NodeJS.ProcessEnv, graph: () => ConfigGraph, oauth: OAuthEgress): () => Promise<EgressPolicy> {
  let last: { graph: ConfigGraph; oauth: string; policy: EgressPolicy } | undefined;
  return async () => {
    const g = graph();
    const tokens = [...oauth.tokens()];
    const resourceUrl = oauth.resourceUrl();
    const key = [...tokens, resourceUrl ?? ''].join('\u0000');
    if (last?.graph === g && last.oauth === key) return last.policy;
    // The providers' own hosts live with the adapters, which load on the first request.
    const { BUILTIN_BASE_URLS, qwenOAuthBaseUrl } = await import('../providers/index.js');
    const inputs = egressInputs(g, processEnv);
    const qwen = resolveOAuthEndpoints({});
    const policy = compileEgressPolicy({
      trusted: inputs.trusted,
      outsideUrls: [
        ...inputs.outsideUrls,
        ...BUILTIN_BASE_URLS,
        ...Object.values(CODING_PLAN_BASE_URL),
        qwen.deviceAuthorizationUrl,
        qwen.tokenUrl,
        qwenOAuthBaseUrl(resourceUrl),
      ],
      credentials: [...inputs.credentials, ...tokens.map((value) => ({ name: 'your Qwen OAuth token', value }))],
    });
    last = { graph: g, oauth: key, policy };
    return policy;
  };
}

/**
 * The OAuth port, noting the credential's resource_url each time a request
 * is about to use it, before that request leaves: the guard knows the host
 * then, even right after a refresh that moved it.
 */
export function withResourceUrl(oauth: OAuthPort): { port: OAuthPort; resourceUrl: () => string | undefined } {
  let resourceUrl: string | undefined;
  const port: OAuthPort = {
    status: () => oauth.status(),
    startLogin: () => oauth.startLogin(),
    cancel: (loginId) => oauth.cancel(loginId),
    logout: () => oauth.logout(),
    credentials: async () => {
      const c = await oauth.credentials();
      resourceUrl = c?.resourceUrl;
      return c;
    },
  };
  return { port, resourceUrl: () => resourceUrl };
}

/**
 * Runs one provider call through its own guarded fetch. The adapters turn
 * every failure into a result or a ProviderError; a refusal is the guard's
 * answer instead, WorkspaceUntrusted, whatever the adapter made of it.
 */
export async function guarded<T>(egress: EgressGuard, run: (call: EgressCall) => Promise<T>): Promise<T> {
  const call = egress.call();
  let out: T;
  try {
    out = await run(call);
  } catch (err) {
    throw call.refusal ?? err;
  }
  if (call.refusal) throw call.refusal;
  return out;
}

export function isRefusal(err: unknown): err is ServerError {
  return err instanceof ServerError && err.code === 'WorkspaceUntrusted';
}
