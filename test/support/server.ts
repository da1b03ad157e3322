import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  type MessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import type { Sandbox } from './sandbox.js';

/** The bundle under test: `dist/`, or the folder `QAS_DIST` names (see scripts/build.mjs). */
export const SERVER = join(resolve(fileURLToPath(new URL('../..', import.meta.url)), process.env.QAS_DIST || 'dist'), 'server.js');

export interface Notification {
  method: string;
  params: any;
  at: number;
}

export interface StartOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  initializationOptions?: Record<string, unknown>;
  showDocument?: boolean;
  /** Skip initialize (lifecycle tests). */
  noInit?: boolean;
  /** A command the server is run under (`unshare …`): it gets node, the bundle and the server's arguments. */
  prefix?: string[];
  /** Another bundle's server.js (a fixture build): by default, the bundle under test. */
  server?: string;
}

export interface RpcError {
  code: number;
  message: string;
  data?: any;
}

export class TestServer {
  readonly notifications: Notification[] = [];
  readonly shownDocuments: string[] = [];
  stderr = '';
  readonly frames: string[] = [];
  initResult: any;
  private waiters: (() => void)[] = [];

  constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly conn: MessageConnection,
  ) {}

  async request<T = any>(method: string, params?: unknown): Promise<T> {
    return (await this.conn.sendRequest(method, params)) as T;
  }

  /** The error a request fails with (the test fails if it succeeds). */
  async requestError(method: string, params?: unknown): Promise<RpcError> {
    try {
      await this.conn.sendRequest(method, params);
    } catch (e) {
      if (e instanceof ResponseError) return { code: e.code, message: e.message, data: e.data };
      throw e;
    }
    throw new Error(`${method} succeeded but an error was expected`);
  }

  notify(method: string, params?: unknown): void {
    void this.conn.sendNotification(method, params);
  }

  /** Waits for a notification (after index `since`) that matches. */
  async waitFor(method: string, pred: (p: any) => boolean = () => true, timeoutMs = 5000, since = 0): Promise<Notification> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = this.notifications.slice(since).find((x) => x.method === method && pred(x.params));
      if (n) return n;
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.notifications.map((x) => x.method).join(', ');
        throw new Error(`no ${method} within ${timeoutMs} ms (saw: ${seen || 'nothing'}); stderr: ${this.stderr.slice(-500)}`);
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  pushNotification(n: Notification): void {
    this.notifications.push(n);
    const w = this.waiters.splice(0);
    for (const f of w) f();
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async close(): Promise<void> {
    if (this.alive) {
      try {
        await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
        void this.conn.sendNotification('exit');
      } catch {
        // Already gone.
      }
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          this.child.kill('SIGKILL');
          r();
        }, 2000);
        this.child.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
    this.conn.dispose();
  }
}

/** Spawns the built server over stdio in the sandbox and (unless noInit) initializes it. */
export async function startServer(sb: Sandbox, opts: StartOptions = {}): Promise<TestServer> {
  const server = opts.server ?? SERVER;
  if (!existsSync(server)) throw new Error(`${server} is missing: run npm run build`);
  const cwd = opts.cwd ?? sb.project;
  const [command, ...args] = [...(opts.prefix ?? []), process.execPath, server, '--stdio', ...(opts.args ?? [])];
  const child = spawn(command!, args, {
    cwd,
    env: { ...sb.env, ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const srv = new TestServer(child, conn);
  child.stderr.on('data', (d: Buffer) => (srv.stderr += d.toString()));
  conn.onNotification((method, params) => srv.pushNotification({ method, params, at: Date.now() }));
  conn.onRequest('window/showDocument', (p: { uri: string }) => {
    srv.shownDocuments.push(p.uri);
    return { success: true };
  });
  conn.listen();
  if (!opts.noInit) {
    srv.initResult = await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(cwd).href,
      workspaceFolders: [{ uri: pathToFileURL(cwd).href, name: 'project' }],
      capabilities: { window: { showDocument: { support: opts.showDocument ?? false } } },
      initializationOptions: opts.initializationOptions ?? {},
    });
    void conn.sendNotification('initialized', {});
  }
  return srv;
}
