/**
 * The real Qwen Code 0.24.4 as a test oracle: a non-interactive `qwen -p` run
 * and a `qwen --acp` driver, both inside a sandbox, both offline. Qwen Code is
 * given the test proxy (test/peers/mitm-proxy.ts) for every host, NO_PROXY for
 * loopback and a preloaded guard (test/qwen-code/net-guard.cjs) that refuses
 * any other connection, so whatever it sends ends at the recording provider.
 *
 * Install it with scripts/install-qwen-code.sh (test/qwen-code/package.json).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod/mini';
import { makeTestCa, type MitmProxy, startMitmProxy, type TestCa } from '../peers/mitm-proxy.js';
import { type Recorded, type RecordingProvider, startRecordingProvider } from '../peers/recording-provider.js';
import type { Sandbox } from './sandbox.js';

export const QWEN_CODE_VERSION = '0.24.4';
const FOLDER = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'qwen-code');
const PACKAGE = join(FOLDER, 'node_modules', '@qwen-code', 'qwen-code');
export const QWEN_CLI = join(PACKAGE, 'cli-entry.js');
const NET_GUARD = join(FOLDER, 'net-guard.cjs');
const INSTALL_HINT = 'run scripts/install-qwen-code.sh';

/** The CLI's path; throws (a test must fail, not skip) when Qwen Code is missing or another version. */
export function requireQwenCode(): string {
  const pkg = join(PACKAGE, 'package.json');
  if (!existsSync(pkg) || !existsSync(QWEN_CLI)) {
    throw new Error(`@qwen-code/qwen-code ${QWEN_CODE_VERSION} is not installed in test/qwen-code: ${INSTALL_HINT}`);
  }
  const version = z.object({ version: z.string() }).parse(JSON.parse(readFileSync(pkg, 'utf8'))).version;
  if (version !== QWEN_CODE_VERSION) {
    throw new Error(`test/qwen-code has @qwen-code/qwen-code ${version}, the tests need ${QWEN_CODE_VERSION}: ${INSTALL_HINT}`);
  }
  return QWEN_CLI;
}

/**
 * System defaults that keep Qwen Code quiet: no statistics, no update check,
 * no telemetry (TESTING-NOTES), and no background memory extraction (a second
 * model request after every turn, which costs time and proves nothing here).
 */
export const QUIET_SYSTEM_DEFAULTS = {
  $version: 4,
  privacy: { usageStatisticsEnabled: false },
  general: { enableAutoUpdate: false },
  telemetry: { enabled: false },
  memory: { enableManagedAutoMemory: false, enableManagedAutoDream: false },
} as const;

// ---- the network Qwen Code sees ------------------------------------------------

/** The recording provider, reachable directly on loopback and, for every other host, through the proxy. */
export interface QwenPeers {
  provider: RecordingProvider;
  proxy: MitmProxy;
  /** The variables that route Qwen Code (and our server) to the peers. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

let sharedCa: Promise<TestCa> | undefined;
/** One CA per test process; its folder goes when the process exits. */
function testCa(): Promise<TestCa> {
  if (!sharedCa) {
    sharedCa = makeTestCa();
    // Exit handlers run synchronously: the folder goes with rmSync.
    void sharedCa.then((ca) => process.once('exit', () => rmSync(dirname(ca.caPath), { recursive: true, force: true })));
  }
  return sharedCa;
}

export async function startQwenPeers(): Promise<QwenPeers> {
  const [ca, provider] = await Promise.all([testCa(), startRecordingProvider()]);
  const proxy = await startMitmProxy({ ca, handle: provider.handle });
  return {
    provider,
    proxy,
    env: () => proxy.env(),
    close: async () => {
      await Promise.all([proxy.close(), provider.close()]);
    },
  };
}

/**
 * Writes the sandbox's system-defaults file: the quiet defaults under `extra`'s
 * keys (top-level keys of `extra` win). Write it before anything reads the
 * sandbox, so that the server and Qwen Code see the same file.
 */
export async function writeQuietDefaults(sb: Sandbox, extra: Record<string, unknown> = {}): Promise<void> {
  const path = sb.env['QWEN_CODE_SYSTEM_DEFAULTS_PATH'];
  if (!path) throw new Error('the sandbox has no QWEN_CODE_SYSTEM_DEFAULTS_PATH');
  await sb.write(path, `${JSON.stringify({ ...QUIET_SYSTEM_DEFAULTS, ...extra }, null, 2)}\n`);
}

/** The environment Qwen Code runs with: the sandbox's, the peers', the guard, and the test's own. */
async function qwenEnv(sb: Sandbox, peers: QwenPeers, extra: NodeJS.ProcessEnv | undefined, guardLog: string): Promise<NodeJS.ProcessEnv> {
  const defaults = sb.env['QWEN_CODE_SYSTEM_DEFAULTS_PATH'];
  if (defaults && !existsSync(defaults)) await writeQuietDefaults(sb);
  return {
    ...sb.env,
    ...peers.env(),
    // Colour and terminal probing off: the output is read by a program.
    NO_COLOR: '1',
    TERM: 'dumb',
    CI: '1',
    ...extra,
    // Last, so that no test's environment can take the guard away.
    NODE_OPTIONS: [extra?.['NODE_OPTIONS'], `--require ${JSON.stringify(NET_GUARD)}`].filter(Boolean).join(' '),
    QAS_NET_GUARD_LOG: guardLog,
  };
}

async function readGuardLog(path: string): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

let runCounter = 0;
async function guardLogPath(sb: Sandbox): Promise<string> {
  const dir = sb.path('qwen-net-guard');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${process.pid}-${++runCounter}.log`);
  await writeFile(path, '');
  return path;
}

/** Kills the whole process group (cli-entry.js runs the CLI as its child). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

// ---- qwen -p ----------------------------------------------------------------------

const ResultMessage = z.object({
  type: z.literal('result'),
  is_error: z.boolean(),
  result: z.optional(z.string()),
  error: z.optional(z.object({ message: z.string() })),
});
const OutputMessages = z.array(z.looseObject({ type: z.string() }));

export interface QwenRunOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The peers to use (and keep); a run without them starts and closes its own. */
  peers?: QwenPeers;
  prompt?: string;
  timeoutMs?: number;
}

export interface QwenRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The `-o json` output: every message Qwen Code printed. */
  messages: { type: string }[];
  /** Its closing `result` message: the answer, or why it did not run. */
  result?: z.infer<typeof ResultMessage>;
  stdout: string;
  stderr: string;
  /** What reached the recording provider during this run. */
  requests: Recorded[];
  /** The hosts the proxy answered during this run. */
  hosts: string[];
  /** Connections and look-ups the guard refused: anything here tried to leave 127.0.0.1. */
  blocked: string[];
  ms: number;
}

export const QWEN_PROMPT = 'Reply with the word ok.';

/** `qwen -p "Reply with the word ok." -o json --max-session-turns 1` in the sandbox, stdin closed. */
export async function runQwen(sb: Sandbox, opts: QwenRunOptions = {}): Promise<QwenRun> {
  const cli = requireQwenCode();
  const own = opts.peers === undefined;
  const peers = opts.peers ?? (await startQwenPeers());
  const firstRequest = peers.provider.requests.length;
  const firstHost = peers.proxy.hosts.length;
  const guardLog = await guardLogPath(sb);
  const env = await qwenEnv(sb, peers, opts.env, guardLog);
  const args = [cli, '-p', opts.prompt ?? QWEN_PROMPT, '-o', 'json', '--max-session-turns', '1', ...(opts.args ?? [])];
  const started = Date.now();
  try {
    const child = spawn(process.execPath, args, { cwd: opts.cwd ?? sb.project, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done, fail) => {
      child.once('error', fail);
      child.once('close', (c, s) => done([c, s]));
    });
    clearTimeout(timer);
    // The CLI's own children (if any) go with it.
    killGroup(child, 'SIGKILL');
    const messages = parseOutput(stdout);
    const result = messages.map((m) => ResultMessage.safeParse(m)).find((r) => r.success)?.data;
    return {
      code,
      signal,
      timedOut,
      messages,
      ...(result ? { result } : {}),
      stdout,
      stderr,
      requests: peers.provider.requests.slice(firstRequest),
      hosts: peers.proxy.hosts.slice(firstHost),
      blocked: await readGuardLog(guardLog),
      ms: Date.now() - started,
    };
  } finally {
    if (own) await peers.close();
  }
}

/** The JSON array `-o json` prints as its last line (earlier lines, if any, are not ours to judge). */
function parseOutput(stdout: string): { type: string }[] {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('[')) continue;
    try {
      const parsed = OutputMessages.safeParse(JSON.parse(line));
      if (parsed.success) return parsed.data;
    } catch {
      // Not the JSON line.
    }
  }
  return [];
}

// ---- qwen --acp -------------------------------------------------------------------

const RpcMessage = z.looseObject({
  jsonrpc: z.literal('2.0'),
  id: z.optional(z.union([z.number(), z.string(), z.null()])),
  method: z.optional(z.string()),
  params: z.optional(z.unknown()),
  result: z.optional(z.unknown()),
  error: z.optional(z.object({ code: z.number(), message: z.string(), data: z.optional(z.unknown()) })),
});

export class AcpError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    readonly data: unknown,
  ) {
    super(`${method}: ${message} (${code})`);
  }
}

export const AcpConnectResult = z.looseObject({
  success: z.boolean(),
  providerId: z.string(),
  authType: z.string(),
  modelId: z.optional(z.string()),
  baseUrl: z.optional(z.string()),
});
export const AcpNewSessionResult = z.looseObject({
  sessionId: z.string(),
  models: z.optional(
    z.looseObject({
      currentModelId: z.optional(z.string()),
      availableModels: z.array(z.looseObject({ modelId: z.string(), name: z.string() })),
    }),
  ),
});

export interface QwenAcp {
  /** ACP `initialize` (protocol version 1). */
  initialize(): Promise<unknown>;
  /** `qwen/providers/connect`: the install behind `/auth` for one provider preset. */
  connectProvider(params: { providerId: string; apiKey: string; baseUrl?: string; modelIds?: string[]; scope?: 'user' | 'workspace' }): Promise<z.infer<typeof AcpConnectResult>>;
  newSession(cwd?: string): Promise<z.infer<typeof AcpNewSessionResult>>;
  /** `session/set_model`; `modelId` as the session lists it (`id(authType)`). */
  setModel(sessionId: string, modelId: string): Promise<unknown>;
  request(method: string, params: unknown): Promise<unknown>;
  stderr(): string;
  /** The hosts the proxy answered and what the guard refused, so far. */
  hosts(): string[];
  blocked(): Promise<string[]>;
  close(): Promise<void>;
}

/** Starts `qwen --acp` in the sandbox: newline-delimited JSON-RPC 2.0 on stdio. */
export async function startQwenAcp(sb: Sandbox, opts: Omit<QwenRunOptions, 'prompt' | 'timeoutMs'> & { requestTimeoutMs?: number } = {}): Promise<QwenAcp> {
  const cli = requireQwenCode();
  const own = opts.peers === undefined;
  const peers = opts.peers ?? (await startQwenPeers());
  const guardLog = await guardLogPath(sb);
  const env = await qwenEnv(sb, peers, opts.env, guardLog);
  const cwd = opts.cwd ?? sb.project;
  const child = spawn(process.execPath, [cli, '--acp', ...(opts.args ?? [])], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const pending = new Map<number, { method: string; resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let exited = false;
  child.once('exit', () => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error(`qwen --acp exited during ${p.method}; stderr: ${stderr.slice(-800)}`));
    pending.clear();
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    let parsed: z.infer<typeof RpcMessage>;
    try {
      parsed = RpcMessage.parse(JSON.parse(line));
    } catch {
      return; // Not a protocol line.
    }
    if (parsed.method !== undefined && parsed.id !== undefined && parsed.id !== null) {
      // A request from the agent (permissions, file access): this client supports none of them.
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: parsed.id, error: { code: -32601, message: 'not supported by the test client' } })}\n`);
      return;
    }
    if (typeof parsed.id !== 'number') return;
    const p = pending.get(parsed.id);
    if (!p) return;
    pending.delete(parsed.id);
    if (parsed.error) p.reject(new AcpError(p.method, parsed.error.code, parsed.error.message, parsed.error.data));
    else p.resolve(parsed.result);
  });

  const timeoutMs = opts.requestTimeoutMs ?? 30_000;
  function request(method: string, params: unknown): Promise<unknown> {
    if (exited) return Promise.reject(new Error(`qwen --acp has exited; stderr: ${stderr.slice(-800)}`));
    const id = nextId++;
    return new Promise<unknown>((res, rej) => {
      const t = setTimeout(() => {
        pending.delete(id);
        rej(new Error(`${method}: no answer within ${timeoutMs} ms; stderr: ${stderr.slice(-800)}`));
      }, timeoutMs);
      pending.set(id, {
        method,
        resolve: (v) => (clearTimeout(t), res(v)),
        reject: (e) => (clearTimeout(t), rej(e)),
      });
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  const firstHost = peers.proxy.hosts.length;
  return {
    initialize: () => request('initialize', { protocolVersion: 1, clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false } }),
    connectProvider: async (params) => AcpConnectResult.parse(await request('qwen/providers/connect', params)),
    newSession: async (dir) => AcpNewSessionResult.parse(await request('session/new', { cwd: dir ?? cwd, mcpServers: [] })),
    setModel: (sessionId, modelId) => request('session/set_model', { sessionId, modelId }),
    request,
    stderr: () => stderr,
    hosts: () => peers.proxy.hosts.slice(firstHost),
    blocked: () => readGuardLog(guardLog),
    async close() {
      if (!exited) {
        child.stdin.end();
        await new Promise<void>((r) => {
          const t = setTimeout(() => {
            killGroup(child, 'SIGKILL');
            r();
          }, 3000);
          child.once('exit', () => {
            clearTimeout(t);
            r();
          });
        });
      }
      killGroup(child, 'SIGKILL');
      if (own) await peers.close();
    },
  };
}
