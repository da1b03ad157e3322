/**
 * A loopback HTTPS proxy that is also the far end: it answers CONNECT itself,
 * terminates TLS with a certificate for the requested host issued by a CA made
 * for this test run, and hands every decrypted request to a handler (the
 * recording provider). It forwards NOTHING: whatever a client tries to reach
 * through it, the request ends on 127.0.0.1, and `hosts` says which host it
 * was meant for.
 *
 * The CA and the leaf certificates are made with the `openssl` CLI (node's
 * crypto makes keys but not X.509 certificates); a client trusts them through
 * `NODE_EXTRA_CA_CERTS`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import type { RequestOrigin } from './recording-provider.js';

const run = promisify(execFile);

export interface TestCa {
  /** The CA certificate (PEM file), for `NODE_EXTRA_CA_CERTS`. */
  caPath: string;
  /** A TLS context whose certificate names `host`, signed by the CA (made once per host). */
  contextFor(host: string): Promise<SecureContext>;
  dispose(): Promise<void>;
}

const CA_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = qwen-agent-server test CA
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
`;

const leafConfig = (host: string) => `[req]
distinguished_name = dn
prompt = no
[dn]
CN = ${host}
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = ${isIP(host) ? 'IP' : 'DNS'}:${host}
authorityKeyIdentifier = keyid
`;

/** A CA valid for two days, and one leaf key that every host's certificate shares. */
export async function makeTestCa(): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'qas-ca-'));
  const f = (name: string) => join(dir, name);
  await writeFile(f('ca.cnf'), CA_CONFIG);
  await run('openssl', ['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-config', f('ca.cnf'), '-extensions', 'ca']);
  await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', f('leaf.key')]);
  const key = await readFile(f('leaf.key'));
  const contexts = new Map<string, Promise<SecureContext>>();
  let serial = 0;
  async function issue(host: string): Promise<SecureContext> {
    const n = ++serial;
    const safe = host.replace(/[^A-Za-z0-9.-]/g, '_');
    await writeFile(f(`${n}-${safe}.cnf`), leafConfig(host));
    await run('openssl', ['req', '-new', '-key', f('leaf.key'), '-config', f(`${n}-${safe}.cnf`), '-out', f(`${n}.csr`)]);
    await run('openssl', ['x509', '-req', '-in', f(`${n}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-set_serial', String(1000 + n), '-days', '2', '-extfile', f(`${n}-${safe}.cnf`), '-extensions', 'leaf', '-out', f(`${n}.pem`)]);
    return createSecureContext({ key, cert: await readFile(f(`${n}.pem`)) });
  }
  return {
    caPath: f('ca.pem'),
    contextFor(host) {
      let c = contexts.get(host);
      if (!c) {
        c = issue(host);
        contexts.set(host, c);
      }
      return c;
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

export type OriginHandler = (req: IncomingMessage, res: ServerResponse, origin: RequestOrigin) => void;

export interface MitmProxy {
  /** `http://127.0.0.1:PORT`, for `HTTPS_PROXY` / `HTTP_PROXY`. */
  url: string;
  /** Every host a client asked the proxy for (CONNECT target or absolute URI), in order, default ports left out. */
  hosts: string[];
  /** The proxy variables in both cases, `NO_PROXY` for loopback, and `NODE_EXTRA_CA_CERTS`. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

/** `host:443` → `host`; `[::1]:8443` stays. */
function withoutDefaultPort(target: string, scheme: 'http' | 'https'): string {
  const m = /^(.*):(\d+)$/.exec(target);
  if (!m) return target;
  return (scheme === 'https' && m[2] === '443') || (scheme === 'http' && m[2] === '80') ? (m[1] ?? target) : target;
}

export async function startMitmProxy(opts: { ca: TestCa; handle: OriginHandler }): Promise<MitmProxy> {
  const hosts: string[] = [];
  const sockets = new Set<Socket>();
  const origins = new WeakMap<Socket, RequestOrigin>();

  // The decrypted side: requests arrive here on the TLS sockets made below.
  const inner = createServer((req, res) => {
    const origin = origins.get(req.socket);
    if (!origin) return void res.writeHead(500).end('no origin for this connection');
    opts.handle(req, res, origin);
  });

  const outer = createServer((req, res) => {
    // A plain-http proxy request carries an absolute URI; anything else is not for a proxy.
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      return void res.writeHead(400, { 'content-type': 'text/plain' }).end('this is a proxy: send an absolute URI or CONNECT');
    }
    const scheme = target.protocol === 'https:' ? 'https' : 'http';
    const host = withoutDefaultPort(target.host, scheme);
    hosts.push(host);
    opts.handle(req, res, { scheme, host });
  });

  outer.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const target = req.url ?? '';
    const port = /:(\d+)$/.exec(target)?.[1] ?? '443';
    const hostname = target.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    // A tunnel to port 80 carries plain HTTP (undici tunnels http:// through CONNECT too); any other, TLS.
    const scheme = port === '80' ? 'http' : 'https';
    const host = withoutDefaultPort(target, scheme);
    hosts.push(host);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (head.length > 0) socket.unshift(head);
    const accept = (s: Socket) => {
      origins.set(s, { scheme, host });
      inner.emit('connection', s);
    };
    if (scheme === 'http') {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      accept(socket);
      return;
    }
    opts.ca.contextFor(hostname).then(
      (secureContext) => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        const tls = new TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
        tls.on('error', () => socket.destroy());
        accept(tls);
      },
      () => {
        socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    outer.once('error', reject);
    outer.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(outer.address() as AddressInfo).port}`;
  return {
    url,
    hosts,
    env: () => ({
      HTTPS_PROXY: url,
      https_proxy: url,
      HTTP_PROXY: url,
      http_proxy: url,
      NO_PROXY: '127.0.0.1,localhost',
      no_proxy: '127.0.0.1,localhost',
      NODE_EXTRA_CA_CERTS: opts.ca.caPath,
    }),
    async close() {
      for (const s of sockets) s.destroy();
      outer.closeAllConnections();
      inner.closeAllConnections();
      await new Promise<void>((resolve) => outer.close(() => resolve()));
    },
  };
}
