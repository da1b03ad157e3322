/**
 * Chat turns over stdio (PROTOCOL.md "Chat (v2)"): the real server, the real
 * SDKs, and the loopback streaming peer.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { startStreamingPeer, type StreamingPeer } from '../peers/streaming-provider.js';
import { sandboxPerTest } from '../support/per-test.js';
import type { TestServer } from '../support/server.js';

const KEY = 'sk-chat-canary-key-0123456789abcdef';
let peer: StreamingPeer;
const ctx = sandboxPerTest((s) => {
  assert.ok(!s.stderr.includes(KEY), 'the key never reaches the log');
  assert.ok(!JSON.stringify(s.notifications).includes(KEY), 'nor a notification');
});
beforeEach(async () => {
  peer = await startStreamingPeer({ keys: [KEY] });
});
afterEach(() => peer.close());

const stateDir = () => ctx.sb.path('state');
const chatsDir = () => join(stateDir(), 'qwen-agent-server', 'chats');

async function setup(models: Record<string, unknown[]> = {}, selected = 'qwen3.5-plus'): Promise<void> {
  await ctx.sb.write(
    'home/.qwen/settings.json',
    JSON.stringify({
      model: { name: selected },
      security: { auth: { selectedType: 'openai' } },
      modelProviders: {
        openai: [
          { id: 'qwen3.5-plus', baseUrl: peer.url, envKey: 'CHAT_KEY', generationConfig: { maxRetries: 0 } },
          { id: 'qwen3-thinker', baseUrl: peer.url, envKey: 'CHAT_KEY', generationConfig: { maxRetries: 0, extra_body: { enable_thinking: true } } },
          { id: 'no-key-model', baseUrl: peer.url, envKey: 'UNSET_CHAT_KEY' },
        ],
        anthropic: [{ id: 'claude-sonnet-4-6', baseUrl: peer.origin, envKey: 'CHAT_KEY', generationConfig: { maxRetries: 0 } }],
        gemini: [{ id: 'gemini-2.5-flash', baseUrl: peer.origin, envKey: 'CHAT_KEY', generationConfig: { maxRetries: 0 } }],
        ...models,
      },
    }),
  );
  await ctx.sb.write('home/.qwen/.env', `CHAT_KEY=${KEY}\n`);
}

const start = () => ctx.start({ env: { XDG_STATE_HOME: stateDir() } });

function updates(srv: TestServer, turnId: string) {
  return srv.notifications.filter((n) => n.method === 'chat/didUpdate' && n.params.turnId === turnId).map((n) => n.params);
}

describe('chat turns', () => {
  it('deltas arrive in order and add up to the answer; usage is what the provider reported; the second turn carries the history', async () => {
    await setup();
    const srv = await start();
    const { chatId, model } = await srv.request('chat/start', {});
    assert.equal(model.id, 'qwen3.5-plus');
    peer.setScript({ text: ['The ', 'answer ', 'is ', '42.'], usage: { input: 17, output: 4 }, intervalMs: 5 });
    const first = await srv.request('chat/send', { chatId, text: 'What is the answer?' });
    assert.equal(first.stopReason, 'end');
    assert.equal(first.text, 'The answer is 42.');
    assert.deepEqual(first.usage, { inputTokens: 17, outputTokens: 4 });
    const ups = updates(srv, first.turnId);
    assert.deepEqual(ups.map((u) => u.delta), ['The ', 'answer ', 'is ', '42.']);
    assert.ok(ups.every((u) => u.chatId === chatId && u.kind === 'text'));

    peer.setScript({ text: ['Because.'], usage: { input: 30, output: 1 }, headers: { 'x-ratelimit-remaining-requests': '41', 'x-ratelimit-remaining-tokens': '9000' } });
    const second = await srv.request('chat/send', { chatId, text: 'Why?' });
    assert.equal(second.text, 'Because.');
    assert.deepEqual(second.rateLimit, { remainingRequests: 41, remainingTokens: 9000 });
    const sent = peer.requests[1]!.body.messages;
    assert.deepEqual(sent, [
      { role: 'user', content: 'What is the answer?' },
      { role: 'assistant', content: 'The answer is 42.' },
      { role: 'user', content: 'Why?' },
    ]);
    const h = await srv.request('chat/history', { chatId });
    assert.deepEqual(h.messages.map((m: any) => [m.role, m.text]), [
      ['user', 'What is the answer?'],
      ['assistant', 'The answer is 42.'],
      ['user', 'Why?'],
      ['assistant', 'Because.'],
    ]);
    assert.deepEqual(h.messages[1].usage, { inputTokens: 17, outputTokens: 4 });
    const list = await srv.request('chat/list');
    assert.equal(list.chats.length, 1);
    assert.equal(list.chats[0].turns, 2);
    assert.equal(list.chats[0].title, 'What is the answer?');
    // The provider accepted the key: auth/status says so.
    const st = await srv.request('auth/status');
    assert.equal(st.methods.find((x: any) => x.envKey === 'CHAT_KEY' && x.authType === 'openai')?.verified, true, JSON.stringify(st.methods));
  });

  it('a thinking model (enable_thinking) streams thinking deltas, kept apart from the text', async () => {
    await setup();
    const srv = await start();
    const { chatId } = await srv.request('chat/start', { model: { authType: 'openai', id: 'qwen3-thinker' } });
    peer.setScript({ thinking: ['Hmm, ', 'six times seven.'], text: ['42'], usage: { input: 3, output: 9, reasoning: 8 } });
    const r = await srv.request('chat/send', { chatId, text: '6*7?' });
    assert.equal(r.text, '42');
    assert.equal(r.thinking, 'Hmm, six times seven.');
    assert.equal(r.usage.reasoningTokens, 8);
    assert.deepEqual(updates(srv, r.turnId).map((u) => [u.kind, u.delta]), [
      ['thinking', 'Hmm, '],
      ['thinking', 'six times seven.'],
      ['text', '42'],
    ]);
    assert.equal(peer.requests[0]!.body.enable_thinking, true);
  });

  it('$/cancelRequest mid-stream closes the provider connection within 1 s and answers cancelled with the partial text', async () => {
    await setup();
    const srv = await start();
    const { chatId } = await srv.request('chat/start', {});
    peer.setScript({ text: ['first ', 'second ', 'never'], hangAfter: 2 });
    const cts = new CancellationTokenSource();
    const pending = srv.conn.sendRequest('chat/send', { chatId, text: 'go' }, cts.token) as Promise<any>;
    await srv.waitFor('chat/didUpdate', (p) => p.delta === 'second ');
    // Other requests are answered while the turn streams, state-changing ones too.
    const sel = await srv.request('model/select', { authType: 'openai', id: 'qwen3-thinker', scope: 'session' });
    assert.equal(sel.selected.id, 'qwen3-thinker');
    assert.ok((await srv.request('chat/list')).chats.length === 1);
    const cancelledAt = Date.now();
    cts.cancel();
    const r = await pending;
    assert.equal(r.stopReason, 'cancelled');
    assert.equal(r.text, 'first second ');
    const closedAt = await Promise.race([peer.closedPromise(0), new Promise<number>((_, rej) => setTimeout(() => rej(new Error('still open after 1 s')), 1000))]);
    assert.ok(closedAt - cancelledAt < 1000, `closed ${closedAt - cancelledAt} ms after the cancel`);
    assert.equal(peer.requests[0]!.completed, false);
    const h = await srv.request('chat/history', { chatId });
    assert.equal(h.messages[1].stopReason, 'cancelled');
    assert.equal(h.messages[1].text, 'first second ');
  });

  it('turns of one chat run one after the other; one cancelled while it waits answers -32800 and leaves no trace', async () => {
    await setup();
    const srv = await start();
    const { chatId } = await srv.request('chat/start', {});
    peer.setScript({ text: ['slow ', 'answer'], intervalMs: 150 });
    const first = srv.request('chat/send', { chatId, text: 'one' });
    const second = srv.request('chat/send', { chatId, text: 'two' });
    const cts = new CancellationTokenSource();
    const third = srv.conn.sendRequest('chat/send', { chatId, text: 'three' }, cts.token) as Promise<any>;
    await srv.waitFor('chat/didUpdate', (p) => p.delta === 'slow ');
    cts.cancel();
    // Answered at once, while the first turn still streams.
    await assert.rejects(third, (e: any) => e.code === -32800);
    assert.equal(peer.requests.length, 1);
    assert.equal(peer.requests[0]!.completed, false);
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.text, 'slow answer');
    assert.equal(b.text, 'slow answer');
    assert.equal(peer.requests.length, 2, 'the cancelled turn sent nothing');
    // The second turn started after the first ended, and carried it.
    assert.deepEqual(peer.requests[1]!.body.messages.map((m: any) => m.content), ['one', 'slow answer', 'two']);
    const h = await srv.request('chat/history', { chatId });
    assert.deepEqual(h.messages.map((m: any) => m.text), ['one', 'slow answer', 'two', 'slow answer']);
  });

  it('an error in the middle of the stream answers stopReason error with the text so far', async () => {
    await setup();
    const srv = await start();
    const { chatId } = await srv.request('chat/start', { model: { authType: 'anthropic', id: 'claude-sonnet-4-6' } });
    peer.setScript({ text: ['Half ', 'an ', 'answer'], errorAfter: 2 });
    const r = await srv.request('chat/send', { chatId, text: 'hello' });
    assert.equal(r.stopReason, 'error');
    assert.equal(r.text, 'Half an ');
    assert.equal(r.error.code, 'provider_unavailable');
    assert.match(r.error.message, /Overloaded/);
    // The next turn still works, and leaves the failed answer's text in the history it sends.
    peer.setScript({ text: ['ok'] });
    const again = await srv.request('chat/send', { chatId, text: 'again' });
    assert.equal(again.stopReason, 'end');
    assert.equal(peer.requests[1]!.body.messages.length, 3);
  });

  it('a rejected key answers error / unauthorized, and auth/status no longer calls it verified', async () => {
    await setup();
    await ctx.sb.write('home/.qwen/.env', 'CHAT_KEY=sk-not-the-right-key-000000000\n');
    const srv = await start();
    const { chatId } = await srv.request('chat/start', {});
    const r = await srv.request('chat/send', { chatId, text: 'hi' });
    assert.equal(r.stopReason, 'error');
    assert.equal(r.error.code, 'unauthorized');
    assert.match(r.error.message, /CHAT_KEY/);
    assert.ok(!JSON.stringify(r).includes('sk-not-the-right-key-000000000'));
    const st = await srv.request('auth/status');
    const m = st.methods.find((x: any) => x.envKey === 'CHAT_KEY' && x.authType === 'openai');
    assert.equal(m?.verified, false, JSON.stringify(st.methods));
  });

  it('a model switch applies from that turn on', async () => {
    await setup();
    const srv = await start();
    const { chatId } = await srv.request('chat/start', {});
    await srv.request('chat/send', { chatId, text: 'one' });
    const r = await srv.request('chat/send', { chatId, text: 'two', model: { authType: 'gemini', id: 'gemini-2.5-flash' } });
    assert.equal(r.stopReason, 'end', JSON.stringify(r));
    assert.deepEqual(peer.requests.map((q) => q.format), ['openai', 'gemini']);
    assert.deepEqual(peer.requests[1]!.body.contents.map((c: any) => c.role), ['user', 'model', 'user']);
    const list = await srv.request('chat/list');
    assert.equal(list.chats[0].model.id, 'gemini-2.5-flash');
  });

  it('context items reach the model with their file name and language', async () => {
    await setup();
    const srv = await start();
    const { chatId } = await srv.request('chat/start', {});
    const uri = pathToFileURL(join(ctx.sb.project, 'src', 'app.ts')).href;
    await srv.request('chat/send', {
      chatId,
      text: 'What does this do?',
      context: [{ uri, languageId: 'typescript', text: 'export const x = 1;', range: { start: { line: 9, character: 0 }, end: { line: 11, character: 3 } } }],
    });
    const content: string = peer.requests[0]!.body.messages[0].content;
    assert.match(content, /src\/app\.ts/);
    assert.match(content, /typescript/);
    assert.match(content, /lines 10-12/);
    assert.match(content, /export const x = 1;/);
    assert.match(content, /What does this do\?$/);
    const h = await srv.request('chat/history', { chatId });
    assert.equal(h.messages[0].text, 'What does this do?');
    assert.equal(h.messages[0].context[0].uri, uri);
  });

  it('the history is fitted to contextWindowSize: the oldest turns are left out, with a warning', async () => {
    await setup({
      openai: [{ id: 'small-window', baseUrl: peer.url, envKey: 'CHAT_KEY', generationConfig: { maxRetries: 0, contextWindowSize: 60 } }],
    });
    const srv = await start();
    const { chatId } = await srv.request('chat/start', { model: { authType: 'openai', id: 'small-window' } });
    peer.setScript({ text: ['x'.repeat(160)] });
    const first = await srv.request('chat/send', { chatId, text: 'a'.repeat(160) });
    assert.equal(first.warnings, undefined);
    const second = await srv.request('chat/send', { chatId, text: 'short question' });
    assert.ok(second.warnings?.some((w: string) => /oldest turn.*contextWindowSize 60/.test(w)), JSON.stringify(second.warnings));
    assert.deepEqual(peer.requests[1]!.body.messages, [{ role: 'user', content: 'short question' }]);
  });
});

describe('chat with coder-model (Qwen OAuth)', () => {
  it('streams through the chat-completions API at the credential\'s resource_url, with the access token as the key', async () => {
    await ctx.sb.write(
      'home/.qwen/oauth_creds.json',
      JSON.stringify({ access_token: KEY, refresh_token: 'refresh-0123456789', token_type: 'Bearer', resource_url: peer.origin, expiry_date: Date.now() + 3600_000 }),
    );
    await ctx.sb.write('home/.qwen/settings.json', JSON.stringify({ security: { auth: { selectedType: 'qwen-oauth', useExternal: true } }, model: { name: 'coder-model' } }));
    const srv = await start();
    const { chatId, model } = await srv.request('chat/start', { model: { authType: 'qwen-oauth', id: 'coder-model' } });
    assert.equal(model.authType, 'qwen-oauth');
    peer.setScript({ text: ['hi ', 'there'], usage: { input: 2, output: 2 } });
    const r = await srv.request('chat/send', { chatId, text: 'hello' });
    assert.equal(r.stopReason, 'end', JSON.stringify(r));
    assert.equal(r.text, 'hi there');
    assert.equal(peer.requests[0]!.path, '/v1/chat/completions');
    assert.equal(peer.requests[0]!.apiKey, KEY);
    assert.equal(peer.requests[0]!.body.model, 'coder-model');
    assert.equal(peer.requests[0]!.headers['x-dashscope-authtype'], 'qwen-oauth');
  });
});

describe('chats on disk', () => {
  it('a chat survives a server restart, and its files are 0600 and hold no key (canary scan)', async () => {
    await setup();
    const srv = await start();
    const { chatId } = await srv.request('chat/start', { title: 'Keep me', system: 'You are terse.' });
    await srv.request('chat/send', { chatId, text: 'remember 7' });
    await srv.close();
    const again = await start();
    const list = await again.request('chat/list');
    assert.deepEqual(list.chats.map((c: any) => [c.chatId, c.title, c.turns]), [[chatId, 'Keep me', 1]]);
    peer.setScript({ text: ['7'] });
    const r = await again.request('chat/send', { chatId, text: 'what was it?' });
    assert.equal(r.text, '7');
    const sent = peer.requests[1]!.body.messages;
    assert.deepEqual(sent.map((m: any) => m.role), ['system', 'user', 'assistant', 'user']);
    assert.equal(sent[0].content, 'You are terse.');
    const files = await readdir(chatsDir());
    assert.deepEqual(files, [`${chatId}.json`]);
    for (const f of files) {
      const p = join(chatsDir(), f);
      assert.equal((await stat(p)).mode & 0o777, 0o600);
      const text = await readFile(p, 'utf8');
      assert.ok(!text.includes(KEY) && !text.includes(KEY.slice(3, 20)), 'no key in a chat file');
    }
    assert.equal((await again.request('chat/delete', { chatId })).deleted, true);
    assert.deepEqual(await readdir(chatsDir()), []);
    const e = await again.requestError('chat/history', { chatId });
    assert.equal(e.data.code, 'ChatNotFound');
    assert.equal(e.code, -33011);
  });

  it('an id that is not a chat id is invalid params, never a path', async () => {
    await setup();
    const srv = await start();
    const e = await srv.requestError('chat/history', { chatId: '../../home/.qwen/.env' });
    assert.equal(e.code, -32602);
  });
});

describe('chat: credentials and the egress guard', () => {
  it('a model without a usable credential fails chat/send with CredentialMissing, and nothing is sent', async () => {
    await setup();
    const srv = await start();
    const { chatId } = await srv.request('chat/start', { model: { authType: 'openai', id: 'no-key-model' } });
    const e = await srv.requestError('chat/send', { chatId, text: 'hi' });
    assert.equal(e.data.code, 'CredentialMissing');
    assert.equal(peer.requests.length, 0);
  });

  it('an untrusted workspace pointing your key at its own host gets WorkspaceUntrusted, and zero requests', async () => {
    await ctx.sb.write('home/.qwen/.env', `CHAT_KEY=${KEY}\n`);
    await ctx.sb.write(
      'work/project/.qwen/settings.json',
      JSON.stringify({ modelProviders: { openai: [{ id: 'evil', baseUrl: peer.url, envKey: 'CHAT_KEY', generationConfig: { maxRetries: 0 } }] } }),
    );
    const srv = await start();
    const { chatId } = await srv.request('chat/start', { model: { authType: 'openai', id: 'evil' } });
    const e = await srv.requestError('chat/send', { chatId, text: 'hi' });
    assert.equal(e.data.code, 'WorkspaceUntrusted');
    assert.equal(peer.requests.length, 0);
    await srv.request('workspace/trust', { level: 'TRUST_FOLDER' });
    const ok = await srv.request('chat/send', { chatId, text: 'hi' });
    assert.equal(ok.stopReason, 'end');
    assert.equal(peer.requests.length, 1);
  });
});

