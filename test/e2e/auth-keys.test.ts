import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { sandboxPerTest } from '../support/per-test.js';
import type { StartOptions } from '../support/server.js';

/** Planted in every test: it must never come back in a frame, stderr or the log file. */
const CANARY = 'sk-sp-CANARY0123456789abcdefXYZ';
const OPENAI_CANARY = 'sk-CANARYopenai0123456789abcdef';

const ctx = sandboxPerTest(async (s) => {
  const frames = JSON.stringify(s.notifications) + JSON.stringify(s.initResult);
  const log = await readFile(logFile(), 'utf8').catch(() => '');
  for (const secret of [CANARY, OPENAI_CANARY]) {
    assert.ok(!frames.includes(secret), 'a key leaked into a notification');
    assert.ok(!s.stderr.includes(secret), 'a key leaked into stderr');
    assert.ok(!log.includes(secret), 'a key leaked into the log file');
  }
});
const logFile = () => ctx.sb.path('server.log');

function start(opts: StartOptions = {}) {
  return ctx.start({ ...opts, args: ['--log-file', logFile(), ...(opts.args ?? [])] });
}

const SETTINGS = `{
  // my own providers: must survive a Coding Plan login
  "modelProviders": {
    "openai": [{ "id": "my-own-model", "envKey": "MY_OWN_KEY", "baseUrl": "https://example.invalid/v1" }],
    "gemini": [{ "id": "gem" }]
  },
  "ui": { "theme": "dark" }
}
`;

// Logins here skip the key check (verify: false): test/e2e/presets.test.ts checks keys against loopback providers.
describe('API-key and Coding Plan logins', () => {
  it('Coding Plan: key only in ~/.qwen/.env (0600), plan models first, own entries kept, no duplicates on repeat', async () => {
    const settingsPath = await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const srv = await start();
    const r = await srv.request('auth/login', { method: 'coding-plan', apiKey: CANARY, region: 'global', verify: false });
    assert.equal(r.state, 'signedIn');
    assert.equal(r.envKey, 'BAILIAN_CODING_PLAN_API_KEY');
    assert.equal(r.storedIn, ctx.sb.path('home/.qwen/.env'));
    assert.equal(r.credential.redacted, 'sk-…fXYZ');
    assert.ok(!JSON.stringify(r).includes(CANARY));
    const env = await readFile(r.storedIn, 'utf8');
    assert.match(env, new RegExp(`^BAILIAN_CODING_PLAN_API_KEY=${CANARY}$`, 'm'));
    assert.equal((await stat(r.storedIn)).mode & 0o777, 0o600);
    const text = await readFile(settingsPath, 'utf8');
    assert.ok(!text.includes(CANARY), 'never in settings.json');
    assert.ok(text.includes('// my own providers'));
    // Repeat: same result, nothing duplicated.
    await srv.request('auth/login', { method: 'coding-plan', apiKey: CANARY, region: 'global', verify: false });
    const again = await readFile(settingsPath, 'utf8');
    const s = JSON.parse(again.replace(/^\s*\/\/.*$/gm, ''));
    const ids = s.modelProviders.openai.map((m: any) => m.id);
    assert.equal(ids[0], 'qwen3.5-plus');
    assert.equal(ids.filter((i: string) => i === 'qwen3.5-plus').length, 1);
    assert.equal(ids.at(-1), 'my-own-model');
    assert.ok(s.modelProviders.openai.every((m: any) => m.id === 'my-own-model' || m.baseUrl === 'https://coding-intl.dashscope.aliyuncs.com/v1'));
    assert.deepEqual(s.modelProviders.gemini, [{ id: 'gem' }]);
    assert.equal(s.ui.theme, 'dark');
    assert.equal(s.security.auth.selectedType, 'openai');
    assert.equal(s.codingPlan, undefined, 'the legacy key is gone: providerMetadata holds what Qwen Code reads');
    assert.deepEqual(s.providerMetadata['coding-plan'], { version: '65dea54c9fe3eaff2d28e04b4c123c6ccbe1d9ef0a523689f6745ed8a398ddd7', baseUrl: 'https://coding-intl.dashscope.aliyuncs.com/v1' });
    assert.equal(s.modelProviders.openai[0].name, '[ModelStudio Coding Plan for Global/Intl] qwen3.5-plus');
    assert.deepEqual(s.model, { name: 'qwen3.5-plus', baseUrl: '' });
    assert.equal((await readFile(r.storedIn, 'utf8')).match(/BAILIAN_CODING_PLAN_API_KEY=/g)?.length, 1);
    const list = await srv.request('model/list');
    assert.equal(list.selected.id, 'qwen3.5-plus');
    assert.ok(list.groups.find((g: any) => g.authType === 'openai').models.find((m: any) => m.id === 'qwen3.5-plus').available);
    const status = await srv.request('auth/status');
    const plan = status.methods.find((m: any) => m.login === 'coding-plan');
    assert.equal(plan.state, 'signedIn');
    assert.equal(plan.region, 'global');
    assert.equal(status.active, 'openai');
  });

  it('API key: stored in the existing home .env with every other line kept; the answer is redacted', async () => {
    const envPath = await ctx.sb.write('home/.env', '# my env\nFOO=bar\nexport OTHER="x y"\n');
    const srv = await start();
    const r = await srv.request('auth/login', { method: 'api-key', authType: 'openai', apiKey: OPENAI_CANARY, verify: false });
    assert.equal(r.storedIn, envPath, '~/.env is what discovery loads today, so the key goes there');
    assert.equal(r.envKey, 'OPENAI_API_KEY');
    assert.equal(await readFile(envPath, 'utf8'), `# my env\nFOO=bar\nexport OTHER="x y"\nOPENAI_API_KEY=${OPENAI_CANARY}\n`);
    const st = await srv.request('auth/status');
    const m = st.methods.find((x: any) => x.id === 'api-key:openai:OPENAI_API_KEY');
    assert.equal(m.state, 'signedIn');
    assert.equal(m.credential.redacted, 'sk-…cdef');
    assert.deepEqual(m.credential.source, { layer: 'dotenv', scope: 'home', path: envPath });
  });

  it('warns when the stored key is shadowed by the environment or a project .env', async () => {
    await ctx.sb.write('work/project/.env', 'UNRELATED=1\nGEMINI_API_KEY=AIzaSyProjectKey00000000000000000\n');
    const srv = await start({ env: { ANTHROPIC_API_KEY: 'sk-ant-from-the-shell-000000' } });
    const r1 = await srv.request('auth/login', { method: 'api-key', authType: 'gemini', apiKey: 'AIzaSyTestKey000000000000000000000', verify: false });
    assert.ok(r1.warnings?.some((w: string) => w.includes(ctx.sb.path('work/project/.env'))));
    const r2 = await srv.request('auth/login', { method: 'api-key', authType: 'anthropic', apiKey: OPENAI_CANARY, verify: false });
    assert.ok(r2.warnings?.some((w: string) => w.includes("server's environment")));
    const st = await srv.request('auth/status');
    const a = st.methods.find((x: any) => x.id === 'api-key:anthropic:ANTHROPIC_API_KEY');
    assert.equal(a.credential.source.layer, 'process');
  });

  it('rejects bad keys with -32602 and writes nothing', async () => {
    const srv = await start();
    for (const params of [
      { method: 'api-key', authType: 'openai', apiKey: '' },
      { method: 'api-key', authType: 'openai', apiKey: 'sk-has space' },
      { method: 'api-key', authType: 'openai', apiKey: 'sk-has\nnewline' },
      { method: 'api-key', authType: 'openai', apiKey: 'sk-\u0007bell' },
      { method: 'coding-plan', apiKey: 'sk-not-a-plan-key-0000' },
      { method: 'api-key', authType: 'qwen-oauth', apiKey: 'sk-abcdefghijk' },
      { method: 'api-key', authType: 'mystery', apiKey: 'sk-abcdefghijk' },
      { method: 'telepathy' },
    ]) {
      const e = await srv.requestError('auth/login', params);
      assert.equal(e.code, -32602, JSON.stringify(params));
    }
    await assert.rejects(readFile(ctx.sb.path('home/.qwen/.env')), 'nothing written');
    await assert.rejects(readFile(ctx.sb.path('home/.qwen/settings.json')));
  });

  it('logout removes only what the server stored; other keys are CredentialNotOwned', async () => {
    const envPath = await ctx.sb.write('home/.qwen/.env', `# keep me\nOPENAI_API_KEY=${OPENAI_CANARY}\nKEEP=1\n`);
    const srv = await start({ env: { GEMINI_API_KEY: 'AIzaFromShell0000000000000000000' } });
    const mark = srv.notifications.length;
    const r = await srv.request('auth/logout', { method: 'api-key', authType: 'openai' });
    assert.equal(r.state, 'signedOut');
    assert.equal(await readFile(envPath, 'utf8'), '# keep me\nKEEP=1\n');
    await srv.waitFor('auth/didChange', (p) => p.envKey === 'OPENAI_API_KEY' && p.state === 'signedOut', 2000, mark);
    const e = await srv.requestError('auth/logout', { method: 'api-key', authType: 'gemini' });
    assert.equal(e.code, -33005);
    assert.equal(e.data.code, 'CredentialNotOwned');
    assert.match(e.message, /environment/);
  });

  it('a hand edit of the home .env reaches the client as auth/didChange', async () => {
    const srv = await start();
    await srv.request('config/resolve');
    await new Promise((r) => setTimeout(r, 300));
    await ctx.sb.write('home/.qwen/.env', `OPENAI_API_KEY=${OPENAI_CANARY}\n`);
    const n = await srv.waitFor('auth/didChange', (p) => p.envKey === 'OPENAI_API_KEY', 2000);
    assert.equal(n.params.state, 'signedIn');
  });
});
