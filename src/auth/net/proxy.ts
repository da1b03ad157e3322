/**
 * Node's own fetch ignores HTTPS_PROXY; undici's EnvHttpProxyAgent honours
 * HTTPS_PROXY, HTTP_PROXY and NO_PROXY in either case. NODE_EXTRA_CA_CERTS
 * needs nothing here: Node adds those CAs to every TLS connection of the
 * process at start-up.
 */
export async function createProxyFetch(env: NodeJS.ProcessEnv): Promise<typeof fetch> {
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
