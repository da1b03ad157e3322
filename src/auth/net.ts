/**
 * Outgoing HTTP for OAuth and the providers. Node's own fetch ignores
 * HTTPS_PROXY; undici's EnvHttpProxyAgent honours HTTPS_PROXY, HTTP_PROXY and
 * NO_PROXY in either case. NODE_EXTRA_CA_CERTS needs nothing here: Node adds
 * those CAs to every TLS connection of the process at start-up.
 */
export async function createFetch(env: NodeJS.ProcessEnv): Promise<typeof fetch> {
  const proxied = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].some((n) => (env[n] ?? '') !== '');
  if (!proxied) return fetch;
  // undici is large: loaded only when a proxy is configured.
  const mod = await import('undici');
  // Bundled, a CommonJS module arrives as the default export.
  const undici = ((mod as unknown as { default?: typeof mod }).default ?? mod) as typeof mod;
  const pick = (...names: string[]) => names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
  const httpProxy = pick('http_proxy', 'HTTP_PROXY');
  const httpsProxy = pick('https_proxy', 'HTTPS_PROXY') ?? httpProxy;
  const noProxy = pick('no_proxy', 'NO_PROXY');
  const dispatcher = new undici.EnvHttpProxyAgent({
    ...(httpProxy ? { httpProxy } : {}),
    ...(httpsProxy ? { httpsProxy } : {}),
    ...(noProxy ? { noProxy } : {}),
  });
  return ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) =>
    undici.fetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as typeof fetch;
}

const CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'name lookup failed',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out',
  ECONNRESET: 'connection reset',
  UND_ERR_SOCKET: 'connection closed',
};

function causeCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'OAUTH_REQUEST_FAILED') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** "fetch failed" in words a person can act on. Never includes request bodies or headers. */
export function describeNetworkError(err: unknown, url: string): string {
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    // Not a URL: name it as given.
  }
  const code = causeCode(err);
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS/.test(code)) {
    return `could not reach ${host}: its TLS certificate is not trusted (${code}); behind a corporate proxy, point NODE_EXTRA_CA_CERTS at your CA bundle`;
  }
  const what = (code && CAUSES[code]) ?? code ?? 'network error';
  return `could not reach ${host} (${what}): check your network connection; is a proxy needed? set HTTPS_PROXY`;
}
