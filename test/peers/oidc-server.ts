import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TokenRequest {
  grantType: string;
  hasVerifier: boolean;
  verifierOk: boolean;
  at: number;
}

export interface OidcServerOptions {
  /** Seconds before a device code expires (default 120). */
  deviceCodeTtl?: number;
  /** Seconds an access token lives (default 3600). */
  accessTokenTtl?: number;
  /** The `interval` the device endpoint announces (default 0.2 s, so tests are quick). */
  interval?: number;
  clientId?: string;
}

export interface OidcServer {
  issuer: string;
  deviceAuthorizationUrl: string;
  tokenUrl: string;
  clientId: string;
  /** `GET approveUrl?user_code=…[&deny=1]` approves (or denies) a pending login. */
  approveUrl: string;
  /** Approves (or denies) a pending login by walking the provider's own pages. */
  approve(userCode: string, opts?: { deny?: boolean }): Promise<void>;
  tokenRequests: TokenRequest[];
  /** The next N device-code polls answer `slow_down`. */
  slowDown(n: number): void;
  /** Token requests answer this HTML page with status 200 instead of JSON. */
  answerGarbage(on: boolean): void;
  close(): Promise<void>;
}

const b64url = (b: Buffer) => b.toString('base64url');

// oidc-provider warns about its development defaults on every start: noise in test output.
const warn = console.warn.bind(console);
console.warn = (...a: unknown[]) => {
  if (typeof a[0] === 'string' && a[0].startsWith('oidc-provider WARNING')) return;
  warn(...a);
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

/** A browser just capable enough for oidc-provider's device pages: cookies, redirects, forms. */
class MiniBrowser {
  private cookies = new Map<string, string>();
  constructor(private readonly origin: string) {}

  private remember(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1));
    }
  }

  async go(url: string, form?: Record<string, string>): Promise<{ url: string; html: string; status: number }> {
    let target = new URL(url, this.origin).href;
    let init: RequestInit | undefined = form
      ? { method: 'POST', body: new URLSearchParams(form), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
      : undefined;
    for (let hops = 0; hops < 20; hops++) {
      const headers = new Headers(init?.headers);
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
      const res = await fetch(target, { ...init, headers, redirect: 'manual' });
      this.remember(res);
      const loc = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && loc) {
        await res.arrayBuffer();
        target = new URL(loc, target).href;
        init = undefined;
        continue;
      }
      return { url: target, html: await res.text(), status: res.status };
    }
    throw new Error('too many redirects');
  }
}

function formOf(html: string): { action: string; fields: Record<string, string> } {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no form in page: ${html.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const m of form[2]!.matchAll(/<input[^>]*>/gi)) {
    const name = /name="([^"]*)"/.exec(m[0])?.[1];
    const value = /value="([^"]*)"/.exec(m[0])?.[1] ?? '';
    if (name) fields[name] = value;
  }
  return { action: form[1]!.replace(/&amp;/g, '&'), fields };
}

/**
 * A real OAuth authorization server for tests: oidc-provider on 127.0.0.1 with
 * the device flow, rotating refresh tokens and a public client, plus a check
 * of the PKCE verifier (oidc-provider ignores PKCE on the device grant).
 */
export async function startOidcServer(opts: OidcServerOptions = {}): Promise<OidcServer> {
  const clientId = opts.clientId ?? 'qwen-test-client';
  const http: Server = createServer();
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        response_types: [],
        redirect_uris: [],
        application_type: 'native',
      },
    ],
    features: { deviceFlow: { enabled: true }, devInteractions: { enabled: true } },
    scopes: ['openid', 'profile', 'email', 'model.completion', 'offline_access'],
    issueRefreshToken: async () => true,
    rotateRefreshToken: true,
    findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id }) }),
    ttl: {
      DeviceCode: opts.deviceCodeTtl ?? 120,
      AccessToken: opts.accessTokenTtl ?? 3600,
      RefreshToken: 86_400,
      Grant: 86_400,
      Session: 86_400,
      Interaction: 600,
      IdToken: 3600,
    },
    loadExistingGrant: async (ctx: any) => {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session?.grantIdFor(ctx.oidc.client.clientId);
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
  } as any);
  provider.proxy = false;

  const challenges = new Map<string, string>();
  const tokenRequests: TokenRequest[] = [];
  let slowDowns = 0;
  let garbage = false;
  const callback = provider.callback();

  const approve = async (userCode: string, o: { deny?: boolean } = {}) => {
    const b = new MiniBrowser(issuer);
    let page = await b.go(`/device?user_code=${encodeURIComponent(userCode)}`);
    // user-code confirmation
    let f = formOf(page.html);
    page = await b.go(f.action, { ...f.fields, user_code: userCode, ...(o.deny ? { abort: 'yes' } : { confirm: 'yes' }) });
    for (let i = 0; i < 6 && !/Sign-in Success|Success|denied|aborted/i.test(page.html); i++) {
      f = formOf(page.html);
      const fields = { ...f.fields };
      if ('login' in fields || /name="login"/.test(page.html)) Object.assign(fields, { login: 'test-user', password: 'x' });
      page = await b.go(f.action, fields);
    }
  };

  http.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === '/test/approve') {
      try {
        await approve(url.searchParams.get('user_code') ?? '', { deny: url.searchParams.get('deny') === '1' });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } catch (err) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
      }
      return;
    }
    if (req.method === 'POST' && (url.pathname === '/device/auth' || url.pathname === '/token')) {
      const raw = await readBody(req);
      const form = new URLSearchParams(raw);
      if (url.pathname === '/token') {
        const grantType = form.get('grant_type') ?? '';
        const verifier = form.get('code_verifier');
        const expected = challenges.get(form.get('device_code') ?? '');
        const verifierOk = !!verifier && !!expected && b64url(createHash('sha256').update(verifier).digest()) === expected;
        tokenRequests.push({ grantType, hasVerifier: !!verifier, verifierOk, at: Date.now() });
        if (garbage) {
          res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Please log in to the captive portal</body></html>');
          return;
        }
        if (grantType.endsWith('device_code')) {
          if (!verifierOk) {
            res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_grant', error_description: 'PKCE verification failed' }));
            return;
          }
          if (slowDowns > 0) {
            slowDowns--;
            res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'slow_down' }));
            return;
          }
        }
      }
      // Hand the body back to oidc-provider, and remember the PKCE challenge of each device code.
      (req as any).body = Object.fromEntries(form);
      if (url.pathname === '/device/auth') {
        const end = res.end.bind(res);
        (res as any).end = (chunk: any, ...rest: any[]) => {
          try {
            const body = JSON.parse(String(chunk));
            if (body.device_code) {
              challenges.set(body.device_code, form.get('code_challenge') ?? '');
              body.interval = opts.interval ?? 0.2;
              chunk = JSON.stringify(body);
              res.setHeader('content-length', Buffer.byteLength(chunk));
            }
          } catch {
            // Not JSON: pass through.
          }
          return end(chunk, ...rest);
        };
      }
    }
    callback(req, res);
  });

  return {
    issuer,
    deviceAuthorizationUrl: `${issuer}/device/auth`,
    tokenUrl: `${issuer}/token`,
    clientId,
    approveUrl: `${issuer}/test/approve`,
    approve,
    tokenRequests,
    slowDown: (n) => {
      slowDowns = n;
    },
    answerGarbage: (on) => {
      garbage = on;
    },
    close: () =>
      new Promise<void>((r) => {
        http.closeAllConnections();
        http.close(() => r());
      }),
  };
}
