/**
 * The oracle's own parts, without Qwen Code: the recording provider answers
 * each wire format so that the real SDKs read "ok" and records what came; the
 * MITM proxy answers any host itself, with a certificate its CA signed; the
 * guard preloaded into Qwen Code refuses a connection that would leave
 * 127.0.0.1 (checked with a look-up function of our own, so that even a broken
 * guard sends nothing anywhere).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { ProxyAgent, request } from 'undici';
import { makeTestCa, type MitmProxy, startMitmProxy, type TestCa } from '../peers/mitm-proxy.js';
import { type RecordingProvider, startRecordingProvider } from '../peers/recording-provider.js';
import { makeSandbox, type Sandbox } from '../support/sandbox.js';

const KEY = 'sk-oracle-peer-key-0001';
const text = async (it: AsyncIterable<unknown>, pick: (ev: unknown) => string | undefined) => {
  let out = '';
  for await (const ev of it) out += pick(ev) ?? '';
  return out;
};

describe('the recording provider answers each wire format with "ok", read by the real SDKs', () => {
  let p: RecordingProvider;
  before(async () => {
    p = await startRecordingProvider();
  });
  after(() => p.close());

  it('OpenAI chat completions, plain and streamed', async () => {
    const client = new OpenAI({ apiKey: KEY, baseURL: p.url, maxRetries: 0 });
    const plain = await client.chat.completions.create({ model: 'm-chat', messages: [{ role: 'user', content: 'hi there' }] });
    assert.equal(plain.choices[0]?.message.content, 'ok');
    const stream = await client.chat.completions.create({ model: 'm-chat', messages: [{ role: 'user', content: 'hi' }], stream: true });
    assert.equal(await text(stream, (c) => (c as OpenAI.ChatCompletionChunk).choices[0]?.delta.content ?? undefined), 'ok');
    const [a, b] = p.requests.slice(-2);
    assert.deepEqual(
      { op: a?.operation, model: a?.model, stream: a?.stream, baseUrl: a?.baseUrl, credential: a?.credential, userText: a?.userText },
      { op: 'openai.chat', model: 'm-chat', stream: false, baseUrl: p.url, credential: { place: 'authorization', value: KEY }, userText: 'hi there' },
    );
    assert.equal(b?.stream, true);
    assert.equal(a?.headers['authorization'], undefined, 'the credential is recorded once, not among the headers');
  });

  it('the OpenAI Responses API, plain and streamed', async () => {
    const client = new OpenAI({ apiKey: KEY, baseURL: p.url, maxRetries: 0 });
    const plain = await client.responses.create({ model: 'm-resp', input: 'question' });
    assert.equal(plain.output_text, 'ok');
    const stream = await client.responses.create({ model: 'm-resp', input: [{ role: 'user', content: 'question' }], stream: true });
    assert.equal(await text(stream, (e) => ((e as { type: string }).type === 'response.output_text.delta' ? (e as { delta: string }).delta : undefined)), 'ok');
    assert.deepEqual(p.requests.slice(-2).map((r) => [r.operation, r.model, r.userText]), [['openai.responses', 'm-resp', 'question'], ['openai.responses', 'm-resp', 'question']]);
  });

  it('Anthropic messages, plain and streamed', async () => {
    const client = new Anthropic({ apiKey: KEY, baseURL: p.origin, maxRetries: 0 });
    const plain = await client.messages.create({ model: 'claude-x', max_tokens: 8, messages: [{ role: 'user', content: 'hello' }] });
    assert.deepEqual(plain.content.map((c) => (c.type === 'text' ? c.text : '')), ['ok']);
    const streamed = await client.messages.stream({ model: 'claude-x', max_tokens: 8, messages: [{ role: 'user', content: 'hello' }] }).finalMessage();
    assert.deepEqual(streamed.content.map((c) => (c.type === 'text' ? c.text : '')), ['ok']);
    const last = p.requests.at(-1);
    assert.deepEqual([last?.operation, last?.model, last?.baseUrl, last?.credential?.value], ['anthropic.messages', 'claude-x', p.origin, KEY]);
  });

  it('Gemini generateContent, plain and streamed', async () => {
    const client = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: p.origin } });
    const plain = await client.models.generateContent({ model: 'gemini-x', contents: 'hello' });
    assert.equal(plain.text, 'ok');
    const stream = await client.models.generateContentStream({ model: 'gemini-x', contents: 'hello' });
    assert.equal(await text(stream, (c) => (c as { text?: string }).text), 'ok');
    const [a, b] = p.requests.slice(-2);
    assert.deepEqual([a?.operation, a?.model, a?.baseUrl, a?.credential], ['gemini.generate', 'gemini-x', p.origin, { place: 'x-goog-api-key', value: KEY }]);
    assert.deepEqual([b?.operation, b?.userText], ['gemini.stream', 'hello']);
  });

  it('model lists in each format', async () => {
    const openai = await new OpenAI({ apiKey: KEY, baseURL: p.url, maxRetries: 0 }).models.list();
    assert.deepEqual(openai.data.map((m) => m.id), ['ok-model']);
    const anthropic = await new Anthropic({ apiKey: KEY, baseURL: p.origin, maxRetries: 0 }).models.list();
    assert.deepEqual(anthropic.data.map((m) => m.id), ['ok-model']);
    assert.deepEqual(p.requests.slice(-2).map((r) => r.operation), ['openai.models', 'anthropic.models']);
  });
});

describe('the MITM proxy answers every host itself and forwards nothing', () => {
  let ca: TestCa;
  let p: RecordingProvider;
  let proxy: MitmProxy;
  before(async () => {
    [ca, p] = await Promise.all([makeTestCa(), startRecordingProvider()]);
    proxy = await startMitmProxy({ ca, handle: p.handle });
  });
  after(async () => {
    await Promise.all([proxy.close(), p.close()]);
    await ca.dispose();
  });

  it('an https request for any host ends at the recording provider, over TLS its CA signed', async () => {
    const dispatcher = new ProxyAgent({ uri: proxy.url, requestTls: { ca: await readFile(ca.caPath, 'utf8') } });
    try {
      const r = await request('https://api.somewhere.provider.test/compatible-mode/v1/chat/completions', {
        dispatcher,
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
      });
      assert.equal(r.statusCode, 200);
      const body = (await r.body.json()) as { choices: { message: { content: string } }[] };
      assert.equal(body.choices[0]?.message.content, 'ok');
    } finally {
      await dispatcher.close();
    }
    assert.deepEqual(proxy.hosts, ['api.somewhere.provider.test']);
    const rec = p.requests.at(-1);
    assert.deepEqual([rec?.scheme, rec?.host, rec?.baseUrl], ['https', 'api.somewhere.provider.test', 'https://api.somewhere.provider.test/compatible-mode/v1']);
  });

  it('a certificate from another CA is refused by the client: the CA is what makes it work', async () => {
    const dispatcher = new ProxyAgent({ uri: proxy.url });
    try {
      await assert.rejects(request('https://untrusted.provider.test/v1/models', { dispatcher }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    } finally {
      await dispatcher.close();
    }
  });

  it('a plain-http proxy request is answered too, and its host recorded', async () => {
    const r = await request(`${proxy.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } }).catch(() => undefined);
    assert.equal(r?.statusCode, 400, 'a request that names no target is not for a proxy');
    await r?.body.dump();
    const abs = await new Promise<number>((done, fail) => {
      // An absolute URI on the request line, as a plain-http proxy client sends it.
      const u = new URL(proxy.url);
      const req = httpRequest({ host: u.hostname, port: u.port, path: 'http://plain.provider.test/v1/models', headers: { host: 'plain.provider.test', authorization: `Bearer ${KEY}` } }, (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      });
      req.on('error', fail);
      req.end();
    });
    assert.equal(abs, 200);
    assert.equal(proxy.hosts.at(-1), 'plain.provider.test');
    assert.deepEqual([p.requests.at(-1)?.scheme, p.requests.at(-1)?.operation], ['http', 'openai.models']);
  });
});

describe('the network guard preloaded into Qwen Code', () => {
  const GUARD = join(resolve(fileURLToPath(new URL('.', import.meta.url))), 'net-guard.cjs');
  let sb: Sandbox;
  before(async () => {
    sb = await makeSandbox();
  });
  after(() => sb.cleanup());

  it('refuses and logs a connection to anything but loopback, and lets loopback through', async () => {
    const p = await startRecordingProvider();
    const log = sb.path('guard.log');
    // The look-up is ours: were the guard broken, the connection would fail here, never on the network.
    const script = `
      const net = require('node:net');
      const noNetwork = (host, opts, cb) => cb(new Error('the guard let ' + host + ' through'));
      const s = net.connect({ host: 'guard-probe.provider.test', port: 443, lookup: noNetwork });
      s.on('error', (e) => {
        console.log('outside:', e.message);
        const l = net.connect({ host: '127.0.0.1', port: ${new URL(p.origin).port} }, () => { console.log('loopback: connected'); l.end(); });
      });`;
    const child = spawn(process.execPath, ['--require', GUARD, '-e', script], { env: { ...sb.env, QAS_NET_GUARD_LOG: log }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => child.once('close', r));
    await p.close();
    assert.match(out, /outside: qas net guard: connection to guard-probe\.provider\.test:443 refused/);
    assert.match(out, /loopback: connected/);
    assert.equal(await readFile(log, 'utf8'), 'connect guard-probe.provider.test:443\n');
  });
});
