/**
 * Issue 12, server part: the login menu the server describes, preset
 * logins that write what Qwen Code's install writes, keys checked with the
 * provider before anything is stored, results that say what changed, and
 * logout. Preset hosts are answered through a loopback MITM proxy with its
 * own CA: nothing leaves 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { makeTestCa, type MitmProxy, startMitmProxy, type TestCa } from '../peers/mitm-proxy.js';
import { type RequestOrigin, type RecordingProvider, startRecordingProvider } from '../peers/recording-provider.js';
import { sandboxPerTest } from '../support/per-test.js';

const GOOD = 'sk-sp-good0key0for0the0plan0a1b2';
const BAD = 'sk-sp-bad0key0the0provider0refuses';
const CHINA = 'https://coding.dashscope.aliyuncs.com/v1';
const INTL = 'https://coding-intl.dashscope.aliyuncs.com/v1';
const PROVIDER_WORDS = 'Incorrect API key provided';

/** The recording provider behind the proxy, refusing the keys in `refuse` with 401 as DashScope does. */
interface Peers {
  recorder: RecordingProvider;
  proxy: MitmProxy;
  refuse: Set<string>;
  /** Every request that reached a provider host, accepted or refused. */
  seen: { host: string; path: string; key?: string }[];
  env(): Record<string, string>;
}

let ca: TestCa;
let peers: Peers;

before(async () => {
  ca = await makeTestCa();
  const recorder = await startRecordingProvider();
  const refuse = new Set<string>([BAD]);
  const seen: Peers['seen'] = [];
  const handle = (req: IncomingMessage, res: ServerResponse, origin: RequestOrigin) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
    // Wherever the protocol carries it: OpenAI's bearer, Anthropic's x-api-key, Gemini's x-goog-api-key or ?key=.
    const key = /^Bearer (.+)$/.exec(header('authorization') ?? '')?.[1] ?? header('x-api-key') ?? header('x-goog-api-key') ?? url.searchParams.get('key') ?? undefined;
    seen.push({ host: origin.host, path: url.pathname, ...(key ? { key } : {}) });
    if (key && refuse.has(key)) {
      const body = JSON.stringify({ error: { message: `${PROVIDER_WORDS}: ${key.slice(0, 8)}…`, type: 'invalid_request_error', code: 'invalid_api_key' } });
      res.writeHead(401, { 'content-type': 'application/json' }).end(body);
      return;
    }
    recorder.handle(req, res, origin);
  };
  const proxy = await startMitmProxy({ ca, handle });
  peers = { recorder, proxy, refuse, seen, env: () => proxy.env() };
});
after(async () => {
  await Promise.all([peers?.proxy.close(), peers?.recorder.close()]);
  await ca?.dispose();
});

const ctx = sandboxPerTest((s) => {
  // The key never comes back in a frame or on stderr.
  for (const k of [GOOD, BAD]) {
    assert.ok(!JSON.stringify(s.notifications).includes(k), 'a key leaked into a notification');
    assert.ok(!s.stderr.includes(k), 'a key leaked into stderr');
  }
});
const start = (env: Record<string, string> = {}) => ctx.start({ env: { ...peers.env(), ...env } });
const userSettings = () => ctx.sb.path('home', '.qwen', 'settings.json');
const homeEnv = () => ctx.sb.path('home', '.qwen', '.env');
const readJsonc = async (p: string) => JSON.parse((await readFile(p, 'utf8')).replace(/^\s*\/\/.*$/gm, '')) as any;

/** Every file under the sandbox with its bytes and mode: "no file changed" compares two of these. */
async function snapshot(dir: string, out = new Map<string, string>()): Promise<Map<string, string>> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await snapshot(p, out);
    else if (e.isFile() && !p.endsWith('.log')) out.set(p, `${(await stat(p)).mode.toString(8)} ${await readFile(p, 'utf8')}`);
  }
  return out;
}

describe('auth/methods: the login menu', () => {
  it('lists Qwen OAuth with its notice, every Qwen Code preset in its order, then api-key', async () => {
    const srv = await start();
    assert.ok(srv.initResult.capabilities.experimental.qwenAgent.methods.includes('auth/methods'));
    const { methods } = await srv.request('auth/methods');
    assert.deepEqual(
      methods.map((m: any) => m.id),
      ['qwen-oauth', 'coding-plan', 'token-plan', 'alibabaStandard', 'deepseek', 'grok', 'minimax', 'zai', 'moonshot', 'idealab', 'modelscope', 'openrouter', 'requesty', 'custom-openai-compatible', 'api-key'],
    );
    assert.match(methods[0].notice, /2026-04-15/);
    assert.match(methods[0].notice, /useExternal/);
    const plan = methods.find((m: any) => m.id === 'coding-plan');
    assert.equal(plan.envKey, 'BAILIAN_CODING_PLAN_API_KEY');
    assert.equal(plan.documentationUrl, 'https://help.aliyun.com/zh/model-studio/coding-plan');
    assert.deepEqual(plan.fields.find((f: any) => f.name === 'apiKey'), { name: 'apiKey', label: 'API key', secret: true, placeholder: 'sk-sp-...', rule: 'starts with sk-sp-' });
    assert.deepEqual(plan.fields.find((f: any) => f.name === 'region').choices, [
      { value: 'china', label: 'China (Beijing)', detail: 'coding.dashscope.aliyuncs.com' },
      { value: 'global', label: 'Singapore (International)', detail: 'coding-intl.dashscope.aliyuncs.com' },
    ]);
    const std = methods.find((m: any) => m.id === 'alibabaStandard');
    assert.deepEqual(std.fields.find((f: any) => f.name === 'region').choices.map((c: any) => c.value), ['cn-beijing', 'sg-singapore', 'us-virginia', 'cn-hongkong']);
    // A preset with one endpoint has no region to choose, and no key rule.
    const ds = methods.find((m: any) => m.id === 'deepseek');
    assert.deepEqual(ds.fields.map((f: any) => f.name), ['apiKey', 'models']);
    assert.equal(ds.fields[0].rule, undefined);
    const key = methods.at(-1);
    assert.deepEqual(key.fields.find((f: any) => f.name === 'authType').choices.map((c: any) => c.value), ['openai', 'openai-responses', 'anthropic', 'gemini', 'vertex-ai']);
    assert.equal(key.fields.find((f: any) => f.name === 'apiKey').secret, true);
  });
});

describe('keys are checked with the provider before anything is stored', () => {
  it('a key the provider refuses fails with LoginFailed in its words, after exactly one request, and no file changes', async () => {
    await ctx.sb.write('home/.qwen/settings.json', '{\n  // mine\n  "ui": { "theme": "dark" }\n}\n');
    const srv = await start();
    const beforeFiles = await snapshot(ctx.sb.root);
    const mark = peers.seen.length;
    const e = await srv.requestError('auth/login', { method: 'coding-plan', apiKey: BAD });
    assert.equal(e.code, -33006);
    assert.equal(e.data.code, 'LoginFailed');
    assert.match(e.message, new RegExp(PROVIDER_WORDS));
    assert.match(e.message, /401/);
    assert.ok(!e.message.includes(BAD) && !JSON.stringify(e.data).includes(BAD), 'the key is not in the error');
    const sent = peers.seen.slice(mark);
    assert.deepEqual(sent.map((r) => `${r.host}${r.path}`), ['coding.dashscope.aliyuncs.com/v1/models'], 'one check request, to the preset host');
    await sleep(300); // nor a moment after the answer
    assert.deepEqual(await snapshot(ctx.sb.root), beforeFiles, 'nothing changed on disk');
    const st = await srv.request('auth/status');
    assert.equal(st.methods.some((m: any) => m.login === 'coding-plan'), false, 'not signed in');
  });

  it('an accepted key is stored verified; auth/status says so', async () => {
    const srv = await start();
    const mark = peers.seen.length;
    const r = await srv.request('auth/login', { method: 'coding-plan', apiKey: GOOD, region: 'global' });
    assert.equal(r.verified, true);
    assert.equal(r.warnings, undefined);
    assert.deepEqual(peers.seen.slice(mark).map((x) => `${x.host}${x.path}`), ['coding-intl.dashscope.aliyuncs.com/v1/models']);
    const st = await srv.request('auth/status');
    const plan = st.methods.find((m: any) => m.id === 'coding-plan');
    assert.deepEqual({ state: plan.state, verified: plan.verified, region: plan.region, label: plan.label }, { state: 'signedIn', verified: true, region: 'global', label: 'Coding Plan' });
  });

  it('an unreachable provider: the key is stored unverified with a warning; verify:false sends nothing', async () => {
    const srv = await start({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    const r = await srv.request('auth/login', { method: 'api-key', authType: 'openai', apiKey: 'sk-unreachable0000000000000' });
    assert.equal(r.verified, false);
    assert.ok(r.warnings?.some((w: string) => /not checked/.test(w) && /127\.0\.0\.1:9/.test(w)), JSON.stringify(r.warnings));
    assert.match(await readFile(homeEnv(), 'utf8'), /^OPENAI_API_KEY=sk-unreachable0000000000000$/m);
    const mark = peers.seen.length;
    const q = await srv.request('auth/login', { method: 'deepseek', apiKey: 'sk-deepseek00000000000000', verify: false });
    assert.equal(q.verified, false);
    assert.equal(peers.seen.length, mark, 'verify:false sends no request');
  });

  it('a key refused later by model/test turns auth/status verified to false, announced by auth/didChange', async () => {
    const key = 'sk-later0refused000000000000';
    const srv = await start();
    await srv.request('auth/login', { method: 'deepseek', apiKey: key });
    assert.equal((await srv.request('auth/status')).methods.find((m: any) => m.id === 'deepseek').verified, true);
    peers.refuse.add(key);
    try {
      const mark = srv.notifications.length;
      const t = await srv.request('model/test', { authType: 'openai', id: 'deepseek-v4-pro', baseUrl: 'https://api.deepseek.com' });
      assert.equal(t.ok, false);
      assert.equal(t.error.code, 'unauthorized');
      const n = await srv.waitFor('auth/didChange', (p) => p.envKey === 'DEEPSEEK_API_KEY', 2000, mark);
      assert.deepEqual({ method: n.params.method, verified: n.params.verified }, { method: 'deepseek', verified: false });
      assert.equal((await srv.request('auth/status')).methods.find((m: any) => m.id === 'deepseek').verified, false);
    } finally {
      peers.refuse.delete(key);
    }
  });

  it('api-key logins are checked by each protocol\'s own SDK (Anthropic, Gemini)', async () => {
    const srv = await start();
    for (const [authType, host] of [
      ['anthropic', 'api.anthropic.com'],
      ['gemini', 'generativelanguage.googleapis.com'],
    ] as const) {
      const bad = `sk-${authType}-refused-000000000000`;
      peers.refuse.add(bad);
      const mark = peers.seen.length;
      const e = await srv.requestError('auth/login', { method: 'api-key', authType, apiKey: bad });
      assert.equal(e.data.code, 'LoginFailed', `${authType}: ${e.message}`);
      assert.deepEqual(peers.seen.slice(mark).map((r) => r.host), [host], `${authType}: one check request`);
      assert.ok(!e.message.includes(bad));
      const ok = await srv.request('auth/login', { method: 'api-key', authType, apiKey: `sk-${authType}-accepted-00000000000` });
      assert.equal(ok.verified, true, authType);
    }
  });

  it('a key that breaks the preset rule is -32602 before any request', async () => {
    const srv = await start();
    const mark = peers.seen.length;
    const e = await srv.requestError('auth/login', { method: 'coding-plan', apiKey: 'sk-not-a-plan-key-000000' });
    assert.equal(e.code, -32602);
    assert.match(e.message, /sk-sp-/);
    const r = await srv.requestError('auth/login', { method: 'coding-plan', apiKey: GOOD, region: 'mars' });
    assert.equal(r.code, -32602);
    assert.match(r.message, /china .*global/);
    assert.equal(peers.seen.length, mark);
    await assert.rejects(stat(homeEnv()));
  });
});

const MINE = `{
  // my settings: comments stay
  "model": { "name": "my-own-model" },
  "modelProviders": {
    "openai": [
      { "id": "my-own-model", "envKey": "MY_OWN_KEY", "baseUrl": "https://example.invalid/v1" }
    ]
  },
  "ui": { "theme": "dark" }
}
`;

describe('preset logins: what Qwen Code writes, merged as it merges', () => {
  it('a Coding Plan login writes the 10 models with Qwen Code\'s names and fields, providerMetadata, and says what changed', async () => {
    await ctx.sb.write('home/.qwen/settings.json', MINE);
    const srv = await start();
    const r = await srv.request('auth/login', { method: 'coding-plan', apiKey: GOOD });
    assert.equal(r.storedIn, homeEnv());
    assert.equal((await stat(homeEnv())).mode & 0o777, 0o600);
    assert.match(await readFile(homeEnv(), 'utf8'), new RegExp(`^BAILIAN_CODING_PLAN_API_KEY=${GOOD}$`, 'm'));
    const text = await readFile(userSettings(), 'utf8');
    assert.ok(!text.includes(GOOD), 'the key never goes into settings.json');
    assert.ok(text.includes('// my settings: comments stay'));
    const s = await readJsonc(userSettings());
    const ids = s.modelProviders.openai.map((m: any) => m.id);
    assert.deepEqual(ids, ['qwen3.5-plus', 'qwen3.6-plus', 'qwen3.7-plus', 'glm-5', 'kimi-k2.5', 'MiniMax-M2.5', 'qwen3-coder-plus', 'qwen3-coder-next', 'qwen3-max-2026-01-23', 'glm-4.7', 'my-own-model']);
    const mm = s.modelProviders.openai.find((m: any) => m.id === 'MiniMax-M2.5');
    assert.deepEqual(mm, {
      id: 'MiniMax-M2.5',
      name: '[ModelStudio Coding Plan] MiniMax-M2.5',
      baseUrl: CHINA,
      envKey: 'BAILIAN_CODING_PLAN_API_KEY',
      generationConfig: { extra_body: { enable_thinking: true }, contextWindowSize: 196608 },
    });
    assert.deepEqual(s.modelProviders.openai[0].generationConfig.modalities, { image: true, video: true });
    assert.deepEqual(s.providerMetadata['coding-plan'], { version: '526212538b2f2fc57ddcd2d8ec0da76e263abca83b9dacfd8aa0cf97db61cc6c', baseUrl: CHINA });
    assert.equal(s.codingPlan, undefined, 'no legacy codingPlan key');
    assert.deepEqual(s.model, { name: 'qwen3.5-plus', baseUrl: '' });
    assert.equal(s.security.auth.selectedType, 'openai');
    assert.deepEqual(r.selected && { authType: r.selected.authType, id: r.selected.id }, { authType: 'openai', id: 'qwen3.5-plus' });
    assert.deepEqual(r.changed, [
      { path: userSettings(), keys: ['modelProviders.openai', 'security.auth.selectedType', 'model.name', 'model.baseUrl', 'providerMetadata.coding-plan.version', 'providerMetadata.coding-plan.baseUrl'] },
      { path: homeEnv(), keys: ['BAILIAN_CODING_PLAN_API_KEY'] },
    ]);
    const list = await srv.request('model/list');
    const cp = list.groups.find((g: any) => g.authType === 'openai').models.find((m: any) => m.id === 'qwen3.7-plus');
    assert.equal(cp.name, '[ModelStudio Coding Plan] qwen3.7-plus');
    assert.equal(cp.available, true);
  });

  it('a login keeps the chosen model when the preset has it, and then says nothing selected', async () => {
    await ctx.sb.write('home/.qwen/settings.json', '{ "model": { "name": "glm-5" }, "security": { "auth": { "selectedType": "openai" } } }\n');
    const srv = await start();
    const r = await srv.request('auth/login', { method: 'coding-plan', apiKey: GOOD, verify: false });
    assert.equal(r.selected, undefined);
    const s = await readJsonc(userSettings());
    assert.deepEqual(s.model, { name: 'glm-5' });
    assert.ok(!r.changed[0].keys.includes('model.name'));
  });

  it('logging in twice, switching region, and a second preset keep every entry, field and comment the person wrote', async () => {
    await ctx.sb.write('home/.qwen/settings.json', MINE);
    const srv = await start();
    await srv.request('auth/login', { method: 'coding-plan', apiKey: GOOD, verify: false });
    // The person adds a field to an owned entry and a model of their own, by hand.
    const s1 = await readJsonc(userSettings());
    s1.modelProviders.openai[0].generationConfig.timeout = 99000;
    s1.modelProviders.openai[0].generationConfig.extra_body.mine = 1;
    s1.modelProviders.openai.push({ id: 'hand-added', envKey: 'HAND_KEY', baseUrl: 'https://hand.invalid/v1' });
    await ctx.sb.write(userSettings(), `// top comment\n${JSON.stringify(s1, null, 2)}\n`);
    await srv.request('auth/login', { method: 'coding-plan', apiKey: GOOD, verify: false });
    const s2 = await readJsonc(userSettings());
    const first = s2.modelProviders.openai[0];
    assert.equal(first.generationConfig.timeout, 99000, 'a field the person added to an owned entry stays');
    assert.deepEqual(first.generationConfig.extra_body, { enable_thinking: true, mine: 1 });
    assert.equal(s2.modelProviders.openai.filter((m: any) => m.id === 'qwen3.5-plus').length, 1, 'nothing duplicated');
    assert.ok((await readFile(userSettings(), 'utf8')).startsWith('// top comment\n'));
    // Switching region replaces the plan's entries; the person's stay.
    await srv.request('auth/login', { method: 'coding-plan', apiKey: GOOD, region: 'global', verify: false });
    const s3 = await readJsonc(userSettings());
    const plan = s3.modelProviders.openai.filter((m: any) => m.envKey === 'BAILIAN_CODING_PLAN_API_KEY');
    assert.equal(plan.length, 10);
    assert.ok(plan.every((m: any) => m.baseUrl === INTL && m.name.startsWith('[ModelStudio Coding Plan for Global/Intl] ')));
    assert.deepEqual(s3.providerMetadata['coding-plan'].baseUrl, INTL);
    // A second preset goes first; the Coding Plan and the person's entries stay after it.
    await srv.request('auth/login', { method: 'openrouter', apiKey: 'sk-or-v1-0000000000000000', verify: false });
    const s4 = await readJsonc(userSettings());
    const ids = s4.modelProviders.openai.map((m: any) => m.id);
    assert.deepEqual(ids.slice(0, 2), ['z-ai/glm-4.5-air:free', 'openai/gpt-oss-120b:free']);
    assert.equal(ids.length, 2 + 10 + 2);
    assert.ok(ids.includes('my-own-model') && ids.includes('hand-added'));
    assert.deepEqual(s4.modelProviders.openai[0].generationConfig.customHeaders, { 'HTTP-Referer': 'https://github.com/QwenLM/qwen-code.git', 'X-OpenRouter-Title': 'Qwen Code' });
    assert.equal(s4.ui.theme, 'dark');
    assert.ok((await readFile(userSettings(), 'utf8')).startsWith('// top comment\n'));
    assert.match(await readFile(homeEnv(), 'utf8'), /^OPENROUTER_API_KEY=sk-or-v1-0000000000000000$/m);
  });

  it('warns when a project .env or the environment sets the preset key, naming what wins', async () => {
    await ctx.sb.write('work/project/.env', 'BAILIAN_CODING_PLAN_API_KEY=sk-sp-from0the0project00000\n');
    const srv = await start({ MOONSHOT_API_KEY: 'sk-moonshot-from-the-shell-0000' });
    const r = await srv.request('auth/login', { method: 'coding-plan', apiKey: GOOD, verify: false });
    assert.ok(r.warnings?.some((w: string) => w.includes(ctx.sb.path('work/project/.env'))), JSON.stringify(r.warnings));
    const m = await srv.request('auth/login', { method: 'moonshot', apiKey: 'sk-moonshot-stored-00000000', verify: false });
    assert.ok(m.warnings?.some((w: string) => w.includes("server's environment")), JSON.stringify(m.warnings));
  });

  it('model/list {refresh: true} lists a discovering preset\'s live models under its name prefix, each model saying its preset', async () => {
    const srv = await start();
    await srv.request('auth/login', { method: 'coding-plan', apiKey: GOOD, region: 'global', verify: false });
    const mark = peers.seen.length;
    const list = await srv.request('model/list', { refresh: true });
    assert.ok(peers.seen.slice(mark).some((r) => r.host === 'coding-intl.dashscope.aliyuncs.com' && r.path === '/v1/models' && r.key === GOOD));
    const openai = list.groups.find((g: any) => g.authType === 'openai').models;
    const live = openai.find((m: any) => m.id === 'ok-model');
    assert.deepEqual(
      { name: live.name, preset: live.preset, baseUrl: live.baseUrl, layer: live.source.layer },
      { name: '[ModelStudio Coding Plan for Global/Intl] ok-model', preset: 'coding-plan', baseUrl: INTL, layer: 'remote' },
    );
    assert.equal(openai.find((m: any) => m.id === 'glm-5').preset, 'coding-plan');
  });

  it('logout of a preset removes the key line the server stored; its models stay, and the answer says so', async () => {
    await ctx.sb.write('home/.qwen/.env', '# keep me\nKEEP=1\n');
    const srv = await start();
    await srv.request('auth/login', { method: 'zai', apiKey: 'zai-key-0000000000000000', region: 'coding-plan', verify: false });
    const mark = srv.notifications.length;
    const out = await srv.request('auth/logout', { method: 'zai' });
    assert.equal(out.state, 'signedOut');
    assert.match(out.message, /ZAI_API_KEY/);
    assert.match(out.message, /models stay/);
    assert.equal(await readFile(homeEnv(), 'utf8'), '# keep me\nKEEP=1\n');
    const s = await readJsonc(userSettings());
    assert.equal(s.modelProviders.openai.filter((m: any) => m.envKey === 'ZAI_API_KEY' && m.baseUrl === 'https://api.z.ai/api/coding/paas/v4').length, 4);
    const n = await srv.waitFor('auth/didChange', (p) => p.envKey === 'ZAI_API_KEY', 2000, mark);
    assert.deepEqual({ method: n.params.method, state: n.params.state }, { method: 'zai', state: 'signedOut' });
  });
});
