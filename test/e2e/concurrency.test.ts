import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse } from 'jsonc-parser';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { startProviderServer } from '../peers/provider-server.js';
import { sandboxPerTest } from '../support/per-test.js';

const ctx = sandboxPerTest();

const SETTINGS = `{
  "modelProviders": { "openai": [{ "id": "model-a" }, { "id": "model-b" }] }
}
`;
const N = 50;
const idOf = (i: number) => (i % 2 === 0 ? 'model-a' : 'model-b');

describe('pipelined requests: each answer describes what its own request did (PROTOCOL.md, Transport)', () => {
  it(`${N} pipelined session selects alternating two models: each answer names its own model, the last one holds`, async () => {
    await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const srv = await ctx.start();
    // Sent without waiting for any answer: the server has them all at once.
    const answers = await Promise.all(
      Array.from({ length: N }, (_, i) => srv.request('model/select', { authType: 'openai', id: idOf(i), scope: 'session' })),
    );
    const wrong = answers.map((a, i) => (a.selected.id === idOf(i) ? undefined : i)).filter((i) => i !== undefined);
    assert.deepEqual(wrong, [], 'answers that name another request’s model');
    const list = await srv.request('model/list');
    assert.equal(list.selected.id, idOf(N - 1));
  });

  it(`${N} pipelined user-scope selects, each followed by a model/list: every answer is its own, the file ends with the last`, { timeout: 60_000 }, async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const srv = await ctx.start();
    const pending = Array.from({ length: N }, (_, i) => [
      srv.request('model/select', { authType: 'openai', id: idOf(i), scope: 'user' }),
      srv.request('model/list'),
    ]).flat();
    const answers = await Promise.all(pending);
    const selects = answers.filter((_, k) => k % 2 === 0);
    const lists = answers.filter((_, k) => k % 2 === 1);
    const wrong = selects.map((a, i) => (a.selected.id === idOf(i) ? undefined : i)).filter((i) => i !== undefined);
    assert.deepEqual(wrong, [], 'select answers that name another request’s model');
    assert.ok(selects.every((a) => a.persistedTo === path));
    const stale = lists.map((l, i) => (l.selected?.id === idOf(i) ? undefined : i)).filter((i) => i !== undefined);
    assert.deepEqual(stale, [], 'model/lists that do not show the select sent just before them');
    assert.equal(parse(await readFile(path, 'utf8')).model.name, idOf(N - 1));
    assert.equal((await srv.request('model/list')).selected.id, idOf(N - 1));
  });

  it('a session choice sent right after a user-scope select stands: changes apply in the order they arrive', async () => {
    await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const srv = await ctx.start();
    const [saved, session] = await Promise.all([
      srv.request('model/select', { authType: 'openai', id: 'model-b', scope: 'user' }),
      srv.request('model/select', { authType: 'openai', id: 'model-a', scope: 'session' }),
    ]);
    assert.equal(saved.selected.id, 'model-b');
    assert.equal(session.selected.id, 'model-a');
    assert.equal((await srv.request('model/list')).selected.id, 'model-a', 'the later session choice wins over the saved one');
  });

  it('selects and model/lists pipelined: every model/list shows exactly the selects sent before it', async () => {
    await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const srv = await ctx.start();
    // select, list, list, select, list, … in a fixed irregular pattern.
    const plan: ('select' | 'list')[] = [];
    for (let i = 0; i < 60; i++) plan.push(i % 3 === 1 || i % 7 === 0 ? 'list' : 'select');
    let selects = 0;
    const expected: (string | undefined)[] = [];
    const pending = plan.map((kind) => {
      if (kind === 'select') {
        const id = idOf(selects++);
        expected.push(id);
        return srv.request('model/select', { authType: 'openai', id, scope: 'session' });
      }
      // Without any select before it, the selection is whatever settings give (none here).
      expected.push(selects === 0 ? undefined : idOf(selects - 1));
      return srv.request('model/list');
    });
    const answers = await Promise.all(pending);
    const seen = answers.map((a) => a.selected?.id);
    const marked = answers.map((a, i) =>
      plan[i] === 'list' ? a.groups.flatMap((g: any) => g.models).find((m: any) => m.selected)?.id : expected[i],
    );
    assert.deepEqual(seen, expected, 'each answer’s selection, in the order sent');
    assert.deepEqual(marked, expected, 'each model/list marks the model its selection names');
  });

  it('a model/test and a model/list {refresh} that hang on the network hold up no select, and what follows still answers in order', async () => {
    const peer = await startProviderServer({ behaviour: { '*': { hang: true } } });
    try {
      await ctx.sb.write(
        'home/.qwen/settings.json',
        JSON.stringify({
          modelProviders: {
            openai: [
              { id: 'model-a', baseUrl: peer.url, envKey: 'PEER_KEY', generationConfig: { maxRetries: 0 } },
              { id: 'model-b', baseUrl: peer.url, envKey: 'PEER_KEY', generationConfig: { maxRetries: 0 } },
            ],
          },
        }),
      );
      await ctx.sb.write('home/.qwen/.env', 'PEER_KEY=sk-peer-0123456789abcdef\n');
      const srv = await ctx.start();
      const slow = [srv.request('model/test', { authType: 'openai', id: 'model-a' }), srv.request('model/list', { refresh: true })];
      let slowSettled = false;
      void Promise.allSettled(slow).then(() => (slowSettled = true));
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => [
          srv.request('model/select', { authType: 'openai', id: idOf(i), scope: 'session' }),
          srv.request('model/list'),
        ]).flat(),
      );
      assert.equal(slowSettled, false, 'the hanging requests are still waiting on the network');
      assert.deepEqual(
        answers.map((a) => a.selected?.id),
        Array.from({ length: 10 }, (_, i) => [idOf(i), idOf(i)]).flat(),
      );
    } finally {
      await peer.close();
    }
  });

  it('a key login waiting on a slow provider holds up no read, and the change after it still waits for it', async () => {
    const peer = await startProviderServer({ behaviour: { '*': { delayMs: 2000 } } });
    try {
      await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
      const srv = await ctx.start({ env: { OPENAI_BASE_URL: peer.url } });
      await srv.request('model/list');
      const started = Date.now();
      const login = srv.request('auth/login', { method: 'api-key', authType: 'openai', apiKey: 'sk-slow-check-0123456789abcdef' });
      const reading = Promise.all([srv.request('model/list'), srv.request('auth/status'), srv.request('config/resolve')]);
      const select = srv.request('model/select', { authType: 'openai', id: 'model-b', scope: 'session' });
      let loginAt = 0;
      let selectAt = 0;
      void login.then(() => (loginAt = Date.now()));
      void select.then(() => (selectAt = Date.now()));
      const reads = await reading;
      const readsAt = Date.now() - started;
      assert.ok(readsAt < 1000, `reads answered after ${readsAt} ms, behind the key check`);
      assert.ok(reads[0].groups.length > 0);
      assert.equal(loginAt, 0, 'the login is still checking the key');
      const done = await login;
      assert.equal(done.verified, true);
      assert.equal(peer.requests.length, 1, 'one check');
      await select;
      assert.ok(Date.now() - started >= 1900, 'the login did wait for its check');
      assert.ok(selectAt >= loginAt, 'the select that came after the login was applied after it');
    } finally {
      await peer.close();
    }
  });

  it('a select cancelled while it waits behind a slower change is never applied', async () => {
    // The Qwen OAuth device endpoint answers 503 after a while: the login is a change that takes that long.
    const peer = await startProviderServer({ behaviour: { '*': { delayMs: 800, status: 503 } } });
    try {
      await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
      const srv = await ctx.start({ env: { QWEN_OAUTH_DEVICE_AUTHORIZATION_URL: `${peer.origin}/device/code` } });
      const login = srv.requestError('auth/login', { method: 'qwen-oauth' });
      const cts = new CancellationTokenSource();
      const select = srv.conn
        .sendRequest('model/select', { authType: 'openai', id: 'model-b', scope: 'session' }, cts.token)
        .then(
          () => 'answered',
          (e: { code?: number }) => e.code,
        );
      cts.cancel();
      const list = srv.request('model/list');
      assert.equal((await login).data.code, 'LoginFailed');
      assert.equal(await select, -32800, 'the select answers as cancelled');
      assert.notEqual((await list).selected?.id, 'model-b', 'and its choice was never made');
      assert.notEqual((await srv.request('model/list')).selected?.id, 'model-b');
    } finally {
      await peer.close();
    }
  });
});
