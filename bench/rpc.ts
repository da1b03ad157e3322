/**
 * A minimal JSON-RPC client over stdio with LSP framing, for timing: it sees
 * each frame the moment its last byte arrives, before any JSON parsing, so
 * that what the server costs and what a client library costs can be told
 * apart. (The tests' client, test/support/server.ts, is vscode-jsonrpc.)
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Frame {
  /** performance.now() when the frame's first byte arrived. */
  firstByteAt: number;
  /** performance.now() when the frame's last byte arrived. */
  at: number;
  body: Buffer;
}

export class RawServer {
  private buf: Buffer = Buffer.alloc(0);
  /** When the first byte of the frame now in `buf` arrived. */
  private frameStart = 0;
  private nextId = 1;
  private readonly pending = new Map<number, (f: Frame) => void>();
  private readonly notificationWaiters: { method: string; resolve: (f: Frame & { params: any }) => void }[] = [];
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (d: Buffer) => this.onData(d));
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
  }

  static spawn(file: string, opts: { cwd: string; env: NodeJS.ProcessEnv; execArgv?: string[] }): RawServer {
    const child = spawn(process.execPath, [...(opts.execArgv ?? []), file, '--stdio'], { cwd: opts.cwd, env: opts.env, stdio: 'pipe' });
    child.stderr.resume();
    return new RawServer(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  private onData(d: Buffer): void {
    const at = performance.now();
    if (this.buf.length === 0) this.frameStart = at;
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    for (;;) {
      const headerEnd = this.buf.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const m = /Content-Length:\s*(\d+)/i.exec(this.buf.subarray(0, headerEnd).toString('latin1'));
      if (!m) throw new Error('frame without Content-Length');
      const len = Number(m[1]);
      const start = headerEnd + 4;
      if (this.buf.length < start + len) return;
      const body = this.buf.subarray(start, start + len);
      this.buf = this.buf.subarray(start + len);
      this.onFrame({ firstByteAt: this.frameStart, at, body });
      this.frameStart = at;
    }
  }

  private onFrame(f: Frame): void {
    // Answers carry "id" and no "method" (vscode-jsonrpc writes both first):
    // peek at the head rather than parse a big body here.
    const head = f.body.subarray(0, 200).toString('utf8');
    const method = /"method"\s*:\s*"([^"]+)"/.exec(head)?.[1];
    if (method === undefined) {
      const id = Number(/"id"\s*:\s*(\d+)/.exec(head)?.[1]);
      this.pending.get(id)?.(f);
      this.pending.delete(id);
      return;
    }
    const i = this.notificationWaiters.findIndex((w) => w.method === method);
    if (i < 0) return;
    const [w] = this.notificationWaiters.splice(i, 1);
    w!.resolve({ ...f, params: JSON.parse(f.body.toString('utf8')).params });
  }

  send(message: object): void {
    const body = JSON.stringify({ jsonrpc: '2.0', ...message });
    this.child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  /** Sends a request; resolves with the raw answer frame (not parsed). */
  request(method: string, params?: unknown): Promise<Frame> {
    const id = this.nextId++;
    const answer = new Promise<Frame>((resolve, reject) => {
      this.pending.set(id, resolve);
      void this.exited.then((code) => reject(new Error(`server exited (${code}) before answering ${method}`)));
    });
    this.send(params === undefined ? { id, method } : { id, method, params });
    return answer;
  }

  notify(method: string, params?: unknown): void {
    this.send(params === undefined ? { method } : { method, params });
  }

  /** The next notification of that method, from now on. */
  nextNotification(method: string): Promise<Frame & { params: any }> {
    return new Promise((resolve) => this.notificationWaiters.push({ method, resolve }));
  }

  async initialize(rootUri: string | null = null): Promise<Frame> {
    const f = await this.request('initialize', { processId: process.pid, rootUri, capabilities: {} });
    this.notify('initialized', {});
    return f;
  }

  /** Peak resident set size so far (VmHWM), in MB. Linux only. */
  peakRssMb(): number {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.stdin.end();
    this.child.kill();
    await this.exited;
  }
}
