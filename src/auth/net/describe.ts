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
