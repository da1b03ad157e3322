/**
 * The hosts a hostile repository points the server at, on loopback:
 *
 * - `host`: a workspace-chosen host. It records every request exactly as it
 *   arrived (request target, raw headers, body) and answers in any provider's
 *   wire format by handing the request on to a provider peer that accepts any
 *   key, so that a request that is let through completes like a real one.
 * - `trap`: a forward proxy for every host that is not loopback (the server
 *   gets it as HTTP(S)_PROXY). It records each CONNECT (whose target names
 *   the host, so a credential spliced into a host name shows there) and each
 *   request tunnelled through plain-http CONNECTs, and forwards nothing: no
 *   test request can leave the machine.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type ProviderServer, startProviderServer } from './provider-server.js';

export interface CapturedRequest {
  /** Which listener saw it. */
  at: 'host' | 'trap';
  method: string;
  /** The request target as sent: a path, an absolute URL (proxies) or `host:port` (CONNECT). */
  target: string;
  /** Every header line, as sent. */
  headers: [string, string][];
  body: string;
}

export interface AttackerServer {
  /** `http://127.0.0.1:PORT`: the workspace-chosen host. */
  origin: string;
  /** `http://127.0.0.1:PORT`: the proxy for every other host. */
  trapUrl: string;
  /** Everything both listeners received, in order. */
  requests: CapturedRequest[];
  close(): Promise<void>;
}

function pairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Hands a recorded request on to the provider peer and relays its answer. */
function answerLikeAProvider(backend: ProviderServer, req: IncomingMessage, body: string, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  const b = new URL(backend.origin);
  const up = request(
    { host: b.hostname, port: b.port, method: req.method, path: url.pathname + url.search, headers: { ...req.headers, host: b.host } },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    },
  );
  up.on('error', () => res.writeHead(502).end());
  up.end(body);
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

export async function startAttackerServer(): Promise<AttackerServer> {
  const backend = await startProviderServer();
  const requests: CapturedRequest[] = [];
  const sockets = new Set<Socket>();
  const track = (s: Server) =>
    s.on('connection', (sock: Socket) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });

  const host = createServer((req, res) => {
    void readBody(req).then((body) => {
      requests.push({ at: 'host', method: req.method ?? 'GET', target: req.url ?? '', headers: pairs(req.rawHeaders), body });
      answerLikeAProvider(backend, req, body, res);
    });
  });
  const trap = createServer((req, res) => {
    void readBody(req).then((body) => {
      requests.push({ at: 'trap', method: req.method ?? 'GET', target: req.url ?? '', headers: pairs(req.rawHeaders), body });
      res.writeHead(502, { 'content-type': 'text/plain' }).end('the trap forwards nothing');
    });
  });
  trap.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    requests.push({ at: 'trap', method: 'CONNECT', target: req.url ?? '', headers: pairs(req.rawHeaders), body: '' });
    sockets.add(client);
    client.on('error', () => client.destroy());
    if (!(req.url ?? '').endsWith(':80')) {
      // TLS inside: nothing readable would follow.
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    // Plain http tunnelled (undici tunnels it too): read the request inside with the same server.
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) client.unshift(head);
    trap.emit('connection', client);
  });
  track(host);
  track(trap);
  const [origin, trapUrl] = await Promise.all([listen(host), listen(trap)]);
  return {
    origin,
    trapUrl,
    requests,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((r) => host.close(() => r())),
        new Promise<void>((r) => trap.close(() => r())),
        backend.close(),
      ]);
    },
  };
}

/**
 * Whether a captured request carries `secret` in any form a receiver could
 * read back: as is, percent-decoded (any number of times), in any case (host
 * names are lower-cased), or inside base64 (Basic auth) at any offset.
 */
export function carries(r: CapturedRequest, secret: string): boolean {
  const pieces = [r.target, ...r.headers.flat(), r.body];
  const want = secret.toLowerCase();
  const views: string[] = [];
  for (const p of pieces) {
    let cur = p;
    views.push(cur);
    for (let i = 0; i < 4; i++) {
      let next: string;
      try {
        next = decodeURIComponent(cur.replace(/\+/g, ' '));
      } catch {
        next = cur.replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
      }
      if (next === cur) break;
      views.push(next);
      cur = next;
    }
    for (const run of p.match(/[A-Za-z0-9+/_-]{12,}={0,2}/g) ?? []) {
      views.push(Buffer.from(run.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1'));
    }
  }
  return views.some((v) => v.toLowerCase().includes(want));
}
