import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { sandboxPerTest } from '../support/per-test.js';
import { SERVER } from '../support/server.js';

const ctx = sandboxPerTest();

function frame(body: string): string {
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Sends raw frames and collects every answer frame (parsed) until `count` arrive. */
async function rawSession(frames: string[], count: number, timeoutMs = 8000): Promise<{ answers: any[]; alive: boolean; stdout: string }> {
  const child = spawn(process.execPath, [SERVER, '--stdio'], { cwd: ctx.sb.project, env: ctx.sb.env });
  let buf = Buffer.alloc(0);
  let stdout = '';
  const answers: any[] = [];
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const sep = buf.indexOf('\r\n\r\n');
      if (sep < 0) break;
      const len = Number(/Content-Length: (\d+)/i.exec(buf.subarray(0, sep).toString())?.[1]);
      if (buf.length < sep + 4 + len) break;
      answers.push(JSON.parse(buf.subarray(sep + 4, sep + 4 + len).toString()));
      buf = buf.subarray(sep + 4 + len);
    }
  });
  const deadline = Date.now() + timeoutMs;
  // The first frame is initialize: the rest go once it is answered, as a client would.
  child.stdin.write(frames[0]!);
  while (answers.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  for (const f of frames.slice(1)) child.stdin.write(f);
  while (answers.filter((a) => 'id' in a).length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const alive = child.exitCode === null;
  child.kill();
  return { answers: answers.filter((a) => 'id' in a), alive, stdout };
}

const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });

describe('lifecycle and bad input', () => {
  it('answers -32002 before initialize, -32601 for unknown methods, -32602 with issues for wrong params', async () => {
    const srv = await ctx.start({ noInit: true });
    assert.equal((await srv.requestError('model/list')).code, -32002);
    assert.equal((await srv.requestError('no/such')).code, -32002);
    assert.equal((await srv.requestError('shutdown')).code, -32002, 'shutdown too: there is nothing to shut down yet');
    await srv.request('initialize', { processId: null, rootUri: null, capabilities: {} });
    srv.notify('initialized', {});
    assert.equal((await srv.requestError('no/such')).code, -32601);
    const bad = await srv.requestError('model/select', { id: 42, scope: 'everywhere' });
    assert.equal(bad.code, -32602);
    assert.ok(Array.isArray(bad.data.issues) && bad.data.issues.length >= 2);
    assert.ok(bad.data.issues.some((i: any) => i.path.includes('scope')));
    // Messages a person can act on, not a bare "Invalid input".
    assert.match(bad.message, /id: Invalid input: expected string, received number/);
    assert.match(bad.message, /scope: Invalid option: expected one of "user"\|"workspace"\|"session"/);
    assert.ok((await srv.request('model/list')).groups.length >= 1, 'still serving');
  });

  it('garbage on stdin: every request answered with an error, server alive after', async () => {
    const deep = `${'['.repeat(1000)}${']'.repeat(1000)}`;
    const huge = 'x'.repeat(5 * 1024 * 1024);
    const frames = [
      frame(init),
      frame('this is not json'),
      frame('{"jsonrpc":"2.0","id":2,'),
      frame(JSON.stringify([{ jsonrpc: '2.0', id: 3, method: 'model/list' }])),
      frame(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 42 })),
      frame(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'model/select', params: { id: huge } })),
      frame(`{"jsonrpc":"2.0","id":6,"method":"model/select","params":{"id":${deep}}}`),
      frame(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'model/list', params: 'not an object' })),
      frame(JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'auth/login', params: { method: 'api-key', apiKey: deep } })),
      frame(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'config/resolve' })),
    ];
    // 10 frames with ids or none: 1 init, 3 parse/batch errors (id null), 4..8 errors, 9 a real answer.
    const { answers, alive, stdout } = await rawSession(frames, 10);
    assert.ok(alive, 'the server survived');
    const byId = new Map(answers.filter((a) => a.id !== null).map((a) => [a.id, a]));
    assert.ok(byId.get(1)?.result, 'initialize answered');
    assert.ok(answers.filter((a) => a.id === null && a.error).length >= 3, 'parse errors answered with id null');
    assert.equal(answers.find((a) => a.id === null)?.error.code, -32700);
    assert.equal(byId.get(4)?.error.code, -32600);
    assert.equal(byId.get(5)?.error.code, -33002, 'a 5 MB id is just an unknown model');
    assert.ok(!JSON.stringify(byId.get(5)).includes('x'.repeat(1000)), 'the huge value is not echoed');
    assert.equal(byId.get(6)?.error.code, -32602);
    assert.equal(byId.get(7)?.error.code, -32602);
    assert.equal(byId.get(8)?.error.code, -32602);
    assert.ok(byId.get(9)?.result?.layers, `still serving after all of it: ${JSON.stringify(byId.get(9)).slice(0, 300)}`);
    assert.ok(!stdout.includes('NOTICE'), 'only protocol frames on stdout');
  });

  it('ends as LSP says: exit after shutdown is code 0, exit alone is 1, a closed stdin or a gone editor ends it too', async () => {
    const exitCode = (child: ChildProcess) =>
      new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));
    const clean = await ctx.start();
    assert.equal(await clean.request('shutdown'), null);
    assert.equal((await clean.requestError('model/list')).code, -32600, 'no work after shutdown');
    clean.notify('exit');
    assert.equal(await exitCode(clean.child), 0);

    const abrupt = await ctx.start();
    abrupt.notify('exit');
    assert.equal(await exitCode(abrupt.child), 1);

    const again = await ctx.start();
    assert.equal((await again.requestError('initialize', { processId: null, capabilities: {} })).code, -32600);

    // Without the test client on the pipes: it would write to a closed stdin.
    const bare = (args: string[] = []) => {
      const child = spawn(process.execPath, [SERVER, '--stdio', ...args], { cwd: ctx.sb.project, env: ctx.sb.env });
      child.stdin.write(frame(init));
      return child;
    };
    const closed = bare();
    closed.stdin.end();
    assert.equal(await exitCode(closed), 1);

    // An editor that dies without closing our stdin: its process id, from --clientProcessId
    // or from initialize's processId, is watched.
    const withEditor = async (serve: (pid: number) => ChildProcess) => {
      const editor = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300)']);
      const orphan = serve(editor.pid!);
      try {
        assert.equal(await Promise.race([exitCode(orphan), new Promise((r) => setTimeout(() => r('still running'), 8000))]), 1);
      } finally {
        orphan.kill('SIGKILL');
      }
    };
    await Promise.all([
      withEditor((pid) => bare(['--clientProcessId', String(pid)])),
      withEditor((pid) => {
        const child = spawn(process.execPath, [SERVER, '--stdio'], { cwd: ctx.sb.project, env: ctx.sb.env });
        const params = { processId: pid, rootUri: null, capabilities: {} };
        child.stdin.write(frame(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params })));
        return child;
      }),
    ]);
  });

  it('a start-up that fails is tried again by the next request: fixing the cause needs no restart', async () => {
    // A trusted-folders file that overflows the parser's stack (issue 10, point 3).
    const trusted = ctx.sb.path('home/.qwen/trustedFolders.json');
    await ctx.sb.write(trusted, '['.repeat(100_000));
    await ctx.sb.write('home/.qwen/settings.json', JSON.stringify({ model: { name: 'picked-model' }, security: { auth: { selectedType: 'openai' } } }));
    const srv = await ctx.start();
    // Whether this one fails depends on how hostile files are read; once the file is fixed, the next one must not.
    await srv.request('auth/status').catch(() => undefined);
    await ctx.sb.write(trusted, '{}');
    const list = await srv.request('model/list');
    assert.equal(list.selected?.id, 'picked-model', `the settings are read now: ${JSON.stringify(list).slice(0, 300)}`);
  });
});
