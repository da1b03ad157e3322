import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type OidcServer, startOidcServer } from '../peers/oidc-server.js';
import { type ProviderServer, startProviderServer } from '../peers/provider-server.js';
import { sandboxPerTest } from '../support/per-test.js';

/** A plain forward proxy on 127.0.0.1 that remembers what went through it. */
async function startProxy(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? '/');
    const up = request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  // Tunnels, as for https (undici tunnels plain http through CONNECT too).
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const up = connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

const KEY = 'sk-proxy-test-key-0123456789';
const ctx = sandboxPerTest();
let peer: ProviderServer;
let oidc: OidcServer;
let proxy: Awaited<ReturnType<typeof startProxy>>;
beforeEach(async () => {
  [peer, oidc, proxy] = await Promise.all([startProviderServer({ keys: [KEY] }), startOidcServer(), startProxy()]);
});
afterEach(() => Promise.all([peer.close(), oidc.close(), proxy.close()]));

async function settings() {
  await ctx.sb.write('home/.qwen/settings.json', JSON.stringify({ modelProviders: { openai: [{ id: 'gpt-4o-mini', baseUrl: peer.url, generationConfig: { maxRetries: 0 } }] } }));
}
const oauthEnv = () => ({ QWEN_OAUTH_DEVICE_AUTHORIZATION_URL: oidc.deviceAuthorizationUrl, QWEN_OAUTH_TOKEN_URL: oidc.tokenUrl, QWEN_OAUTH_CLIENT_ID: oidc.clientId });

describe('outgoing requests honour the proxy variables', () => {
  it('HTTP_PROXY carries provider probes and the OAuth device request', async () => {
    await settings();
    const srv = await ctx.start({ env: { OPENAI_API_KEY: KEY, HTTP_PROXY: proxy.url, ...oauthEnv() } });
    const r = await srv.request('model/test', { authType: 'openai', id: 'gpt-4o-mini' });
    assert.equal(r.ok, true, JSON.stringify(r));

    await srv.request('auth/login', { method: 'qwen-oauth' });
    const via = (url: string) => proxy.seen.some((s) => s === `CONNECT ${new URL(url).host}` || s.endsWith(` ${url}`));
    assert.ok(via(`${peer.url}/chat/completions`), proxy.seen.join('\n'));
    assert.ok(via(oidc.deviceAuthorizationUrl), proxy.seen.join('\n'));
  });

  it('NO_PROXY keeps matching hosts direct', async () => {
    await settings();
    const srv = await ctx.start({ env: { OPENAI_API_KEY: KEY, http_proxy: proxy.url, no_proxy: '127.0.0.1', ...oauthEnv() } });
    const r = await srv.request('model/test', { authType: 'openai', id: 'gpt-4o-mini' });
    assert.equal(r.ok, true);
    assert.deepEqual(proxy.seen, []);
  });
});
