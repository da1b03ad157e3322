/**
 * LSP's other transports, from vscode-languageserver's createConnection:
 * `--node-ipc`, `--socket=PORT` and `--pipe=NAME` each serve the protocol
 * (model/list's encoded answer included) and end the process as LSP says.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import {
  createMessageConnection,
  IPCMessageReader,
  IPCMessageWriter,
  type MessageConnection,
  SocketMessageReader,
  SocketMessageWriter,
} from 'vscode-jsonrpc/node';
import { sandboxPerTest } from '../support/per-test.js';
import { SERVER } from '../support/server.js';

const ctx = sandboxPerTest();

const exitCode = (child: ChildProcess, timeoutMs = 8000) =>
  Promise.race([
    child.exitCode !== null ? Promise.resolve(child.exitCode) : once(child, 'exit').then(([code]) => code as number | null),
    new Promise((r) => setTimeout(() => r('still running'), timeoutMs)),
  ]);

interface Spawned {
  child: ChildProcess;
  /** What it wrote to stdout: nothing, when the protocol is elsewhere. */
  stdout(): string;
  /** `work`, failing with the server's stderr if the server ends first. */
  whileAlive<T>(work: Promise<T>): Promise<T>;
}

function spawnServer(args: string[], ipc = false): Spawned {
  const child = spawn(process.execPath, [SERVER, ...args], {
    cwd: ctx.sb.project,
    env: ctx.sb.env,
    stdio: ipc ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const ended = once(child, 'exit').then(([code]) => {
    throw new Error(`the server ended (code ${code}) first; stderr: ${err.slice(-300)}`);
  });
  ended.catch(() => undefined);
  return { child, stdout: () => out, whileAlive: (work) => Promise.race([work, ended]) };
}

/**
 * The client's side of `--socket` / `--pipe`: it listens at `at`, starts the
 * server with `flag(address)`, checks that it serves, then `hangUp`s.
 */
async function overSocket(at: number | string, flag: (address: string) => string, hangUp: (conn: MessageConnection, socket: Socket, s: Spawned) => Promise<void>) {
  const server = createServer();
  try {
    server.listen(typeof at === 'number' ? { port: at, host: '127.0.0.1' } : { path: at });
    await once(server, 'listening');
    const address = server.address();
    const s = spawnServer([flag(typeof address === 'string' ? address : String(address!.port))]);
    const [socket] = (await s.whileAlive(once(server, 'connection'))) as [Socket];
    const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    conn.listen();
    try {
      await s.whileAlive(serves(conn));
      await hangUp(conn, socket, s);
      assert.equal(s.stdout(), '', 'nothing on stdout when the protocol is elsewhere');
    } finally {
      conn.dispose();
      s.child.kill('SIGKILL');
    }
  } finally {
    server.close();
  }
}

/** initialize, initialized and a model/list: the protocol served end to end. */
async function serves(conn: MessageConnection): Promise<void> {
  const init: any = await conn.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(ctx.sb.project).href, capabilities: {} });
  assert.equal(typeof init.capabilities.experimental.qwenAgent.protocolVersion, 'number');
  await conn.sendNotification('initialized', {});
  const list: any = await conn.sendRequest('model/list');
  assert.ok(Array.isArray(list.groups) && list.groups.length > 0, `model/list answered: ${JSON.stringify(list).slice(0, 200)}`);
  assert.ok(list.groups.some((g: any) => g.authType === 'qwen-oauth'));
}

describe('transports', () => {
  it('--node-ipc: served over the IPC channel; exit after shutdown is code 0', async () => {
    const { child, stdout, whileAlive } = spawnServer(['--node-ipc'], true);
    const conn = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    conn.listen();
    try {
      await whileAlive(serves(conn));
      assert.equal(await whileAlive(conn.sendRequest('shutdown')), null);
      await conn.sendNotification('exit');
      assert.equal(await exitCode(child), 0);
      assert.equal(stdout(), '', 'nothing on stdout when the protocol is elsewhere');
    } finally {
      conn.dispose();
      child.kill('SIGKILL');
    }
  });

  it('--socket=PORT: connects to the client on 127.0.0.1; the client hanging up without shutdown is code 1', async () => {
    await overSocket(0, (port) => `--socket=${port}`, async (_conn, socket, s) => {
      socket.destroy();
      assert.equal(await exitCode(s.child), 1);
    });
  });

  it('--pipe=NAME: connects to a unix socket; the client hanging up after shutdown is code 0', async () => {
    await overSocket(join(ctx.sb.root, 'qwen-agent.sock'), (path) => `--pipe=${path}`, async (conn, socket, s) => {
      assert.equal(await s.whileAlive(conn.sendRequest('shutdown')), null);
      socket.end();
      assert.equal(await exitCode(s.child), 0);
    });
  });
});
