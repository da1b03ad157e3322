import type { Configuration } from 'openid-client';
import type { OAuthEndpoints } from './endpoints.js';

export type OpenIdClient = typeof import('openid-client');

/** openid-client, configured for Qwen's public client with explicit metadata (no discovery). Loaded on first use. */
export async function oauthClient(ep: OAuthEndpoints, f: typeof fetch): Promise<{ oc: OpenIdClient; config: Configuration }> {
  const oc = await import('openid-client');
  const config = new oc.Configuration(
    { issuer: ep.issuer, device_authorization_endpoint: ep.deviceAuthorizationUrl, token_endpoint: ep.tokenUrl },
    ep.clientId,
    { token_endpoint_auth_method: 'none' },
    oc.None(),
  );
  if (ep.insecure) oc.allowInsecureRequests(config);
  config[oc.customFetch] = (url, options) => f(url, options as RequestInit);
  return { oc, config };
}

export type FailureReason = 'expired' | 'denied' | 'cancelled' | 'network' | 'server';

/** What went wrong in an OAuth exchange, as a reason and a sentence; never the tokens. */
export function classifyOAuthError(
  oc: OpenIdClient,
  err: unknown,
  describeNetwork: (err: unknown) => string,
): { reason: FailureReason; message: string; status?: number } {
  if (err instanceof oc.ResponseBodyError) {
    if (err.error === 'access_denied') return { reason: 'denied', message: 'the sign-in was denied in the browser', status: err.status };
    if (err.error === 'expired_token') return { reason: 'expired', message: 'the code expired before it was approved; start again', status: err.status };
    const desc = err.error_description ? `: ${err.error_description.slice(0, 200)}` : '';
    return { reason: 'server', message: `the Qwen OAuth server refused (${err.error}${desc})`, status: err.status };
  }
  const e = err as { name?: string; code?: string } | undefined;
  if (e?.name === 'AbortError' || e?.code === 'OAUTH_ABORT') return { reason: 'cancelled', message: 'the sign-in was cancelled' };
  if (e?.name === 'TimeoutError') return { reason: 'expired', message: 'the code expired before it was approved; start again' };
  if (err instanceof TypeError && /fetch failed/i.test(err.message)) {
    return { reason: 'network', message: describeNetwork(err) };
  }
  if (e?.code === 'OAUTH_RESPONSE_IS_NOT_JSON' || e?.code === 'OAUTH_INVALID_RESPONSE' || e?.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') {
    return { reason: 'server', message: 'the Qwen OAuth server sent an answer that is not an OAuth response (is a proxy or captive portal in the way?)' };
  }
  return { reason: 'server', message: `unexpected answer from the Qwen OAuth server (${e?.code ?? e?.name ?? 'error'})` };
}
