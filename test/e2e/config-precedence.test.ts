import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sandboxPerTest } from '../support/per-test.js';
import type { StartOptions } from '../support/server.js';

const ctx = sandboxPerTest();

const userSettings = () => ctx.sb.path('home/.qwen/settings.json');
const wsSettings = () => ctx.sb.path('work/project/.qwen/settings.json');
const sysSettings = () => ctx.sb.path('etc/settings.json');
const sysDefaults = () => ctx.sb.path('etc/system-defaults.json');

async function resolve(opts: StartOptions = {}) {
  const srv = await ctx.start(opts);
  return srv.request('config/resolve');
}

describe('settings merge (QWEN-FACTS "Settings merge")', () => {
  it('user settings win over system defaults', async () => {
    await ctx.sb.write(sysDefaults(), '{ "model": { "name": "from-defaults" } }');
    await ctx.sb.write(userSettings(), '{ "model": { "name": "from-user" } }');
    const c = await resolve();
    assert.equal(c.settings['model.name'].value, 'from-user');
    assert.deepEqual(c.settings['model.name'].source, { layer: 'settings', scope: 'user', path: userSettings() });
  });

  it('workspace settings win over user settings', async () => {
    await ctx.sb.write(userSettings(), '{ "model": { "name": "from-user" } }');
    await ctx.sb.write(wsSettings(), '{ "model": { "name": "from-workspace" } }');
    const c = await resolve();
    assert.equal(c.settings['model.name'].value, 'from-workspace');
    assert.equal(c.settings['model.name'].source.scope, 'workspace');
  });

  it('system settings win over everything', async () => {
    await ctx.sb.write(sysDefaults(), '{ "model": { "name": "d" } }');
    await ctx.sb.write(userSettings(), '{ "model": { "name": "u" } }');
    await ctx.sb.write(wsSettings(), '{ "model": { "name": "w" } }');
    await ctx.sb.write(sysSettings(), '{ "model": { "name": "from-system" } }');
    const c = await resolve();
    assert.equal(c.settings['model.name'].value, 'from-system');
    assert.equal(c.settings['model.name'].source.scope, 'system');
  });

  it('objects merge key by key, each key keeping its own source', async () => {
    await ctx.sb.write(userSettings(), '{ "security": { "auth": { "selectedType": "openai" } }, "ui": { "theme": "dark", "x": 1 } }');
    await ctx.sb.write(wsSettings(), '{ "ui": { "theme": "light" } }');
    const c = await resolve();
    assert.equal(c.settings['security.auth.selectedType'].source.scope, 'user');
    assert.equal(c.settings['ui.theme'].value, 'light');
    assert.equal(c.settings['ui.theme'].source.scope, 'workspace');
    assert.equal(c.settings['ui.x'].value, 1);
    assert.equal(c.settings['ui.x'].source.scope, 'user');
  });

  it('arrays replace rather than merge', async () => {
    await ctx.sb.write(userSettings(), '{ "context": { "fileName": ["A.md", "B.md"] } }');
    await ctx.sb.write(wsSettings(), '{ "context": { "fileName": ["C.md"] } }');
    const c = await resolve();
    assert.deepEqual(c.settings['context.fileName'].value, ['C.md']);
    assert.equal(c.settings['context.fileName'].source.scope, 'workspace');
  });

  it('env merges shallowly: each name from the highest scope that sets it', async () => {
    await ctx.sb.write(userSettings(), '{ "env": { "ALPHA": "u1", "BETA": "u2" } }');
    await ctx.sb.write(wsSettings(), '{ "env": { "BETA": "w2" } }');
    const c = await resolve();
    assert.equal(c.settings['env.ALPHA'].value, 'u1');
    assert.equal(c.settings['env.ALPHA'].source.scope, 'user');
    assert.equal(c.settings['env.BETA'].value, 'w2');
    assert.equal(c.settings['env.BETA'].source.scope, 'workspace');
  });

  it('advanced.excludedEnvVars is the union of every scope', async () => {
    await ctx.sb.write(userSettings(), '{ "advanced": { "excludedEnvVars": ["A", "B"] } }');
    await ctx.sb.write(wsSettings(), '{ "advanced": { "excludedEnvVars": ["B", "C"] } }');
    const c = await resolve();
    assert.deepEqual(c.settings['advanced.excludedEnvVars'].value, ['A', 'B', 'C']);
  });

  it('context.includeDirectories concatenates', async () => {
    await ctx.sb.write(userSettings(), '{ "context": { "includeDirectories": ["/a"] } }');
    await ctx.sb.write(wsSettings(), '{ "context": { "includeDirectories": ["/b"] } }');
    const c = await resolve();
    assert.deepEqual(c.settings['context.includeDirectories'].value, ['/a', '/b']);
  });

  it('modelProviders: each protocol array replaces, protocols only a lower scope defines survive', async () => {
    await ctx.sb.write(
      userSettings(),
      JSON.stringify({ modelProviders: { openai: [{ id: 'user-gpt' }], anthropic: [{ id: 'user-claude', baseUrl: 'http://127.0.0.1:9' }] } }),
    );
    await ctx.sb.write(wsSettings(), JSON.stringify({ modelProviders: { openai: [{ id: 'ws-gpt' }] } }));
    const srv = await ctx.start();
        const list = await srv.request('model/list');
    const openai = list.groups.find((g: any) => g.authType === 'openai');
    const anthropic = list.groups.find((g: any) => g.authType === 'anthropic');
    assert.deepEqual(openai.models.map((m: any) => m.id), ['ws-gpt']);
    assert.equal(openai.models[0].source.scope, 'workspace');
    assert.equal(openai.models[0].source.path, wsSettings());
    assert.deepEqual(anthropic.models.map((m: any) => m.id), ['user-claude']);
    assert.equal(anthropic.models[0].source.scope, 'user');
  });

  it('__proto__, constructor and prototype keys are never merged', async () => {
    await ctx.sb.write(userSettings(), '{ "__proto__": { "polluted": true }, "ui": { "constructor": { "x": 1 }, "ok": true } }');
    const c = await resolve();
    assert.equal(c.settings['polluted'], undefined);
    assert.equal(c.settings['ui.constructor.x'], undefined);
    assert.equal(c.settings['ui.ok'].value, true);
  });

  it('$VAR and ${VAR} expand from the process environment, then the home .env files, never a project .env', async () => {
    await ctx.sb.write(userSettings(), '{ "model": { "name": "${MY_MODEL}" }, "ui": { "a": "$FROM_HOME", "b": "$UNKNOWN_NAME", "c": "${FROM_PROJECT}" } }');
    await ctx.sb.write('home/.qwen/.env', 'FROM_HOME=home-value\nMY_MODEL=not-this-one\n');
    await ctx.sb.write('work/project/.env', 'FROM_PROJECT=nope\n');
    const c = await resolve({ env: { MY_MODEL: 'expanded-model' } });
    assert.equal(c.settings['model.name'].value, 'expanded-model');
    assert.equal(c.settings['ui.a'].value, 'home-value');
    assert.equal(c.settings['ui.b'].value, '$UNKNOWN_NAME');
    assert.equal(c.settings['ui.c'].value, '${FROM_PROJECT}');
  });
});

describe('environment precedence (QWEN-FACTS "Environment")', () => {
  it('a CLI flag wins over the process environment', async () => {
    const c = await resolve({ args: ['--openai-base-url', 'http://127.0.0.1:1/v1'], env: { OPENAI_BASE_URL: 'http://127.0.0.1:2/v1' } });
    assert.equal(c.env.OPENAI_BASE_URL.value, 'http://127.0.0.1:1/v1');
    assert.deepEqual(c.env.OPENAI_BASE_URL.source, { layer: 'cli' });
  });

  it('a CLI flag wins over the same initializationOptions key, which wins over the process', async () => {
    const c1 = await resolve({
      args: ['--openai-base-url', 'http://127.0.0.1:1/v1'],
      initializationOptions: { openaiBaseUrl: 'http://127.0.0.1:3/v1' },
    });
    assert.deepEqual(c1.env.OPENAI_BASE_URL.source, { layer: 'cli' });
    const c2 = await resolve({ initializationOptions: { openaiBaseUrl: 'http://127.0.0.1:3/v1' }, env: { OPENAI_BASE_URL: 'http://127.0.0.1:2/v1' } });
    assert.equal(c2.env.OPENAI_BASE_URL.value, 'http://127.0.0.1:3/v1');
    assert.deepEqual(c2.env.OPENAI_BASE_URL.source, { layer: 'initializationOptions' });
  });

  it('the process environment wins over .env', async () => {
    await ctx.sb.write('work/project/.env', 'OPENAI_MODEL=from-dotenv\n');
    const c = await resolve({ env: { OPENAI_MODEL: 'from-process' } });
    assert.equal(c.env.OPENAI_MODEL.value, 'from-process');
    assert.deepEqual(c.env.OPENAI_MODEL.source, { layer: 'process' });
    assert.deepEqual(c.dotenvFiles[0].shadowed, ['OPENAI_MODEL']);
    assert.ok(c.warnings?.some((w: string) => w.includes('OPENAI_MODEL')), 'a shadowed .env name is called out');
  });

  it('an empty process variable counts as unset: .env fills it', async () => {
    await ctx.sb.write('work/project/.env', 'OPENAI_MODEL=from-dotenv\n');
    const c = await resolve({ env: { OPENAI_MODEL: '' } });
    assert.equal(c.env.OPENAI_MODEL.value, 'from-dotenv');
    assert.equal(c.env.OPENAI_MODEL.source.layer, 'dotenv');
  });

  it('.env wins over settings.json env', async () => {
    await ctx.sb.write('work/project/.env', 'OPENAI_MODEL=from-dotenv\n');
    await ctx.sb.write(userSettings(), '{ "env": { "OPENAI_MODEL": "from-settings", "OPENAI_BASE_URL": "http://127.0.0.1:5/v1" } }');
    const c = await resolve();
    assert.equal(c.env.OPENAI_MODEL.value, 'from-dotenv');
    assert.deepEqual(c.env.OPENAI_MODEL.source, { layer: 'dotenv', scope: 'project', path: ctx.sb.path('work/project/.env') });
    assert.equal(c.env.OPENAI_BASE_URL.value, 'http://127.0.0.1:5/v1');
    assert.equal(c.env.OPENAI_BASE_URL.source.layer, 'settings');
    assert.equal(c.env.OPENAI_BASE_URL.source.scope, 'user');
  });

  it('secrets are redacted in config/resolve, wherever they come from', async () => {
    const key = 'sk-test-canary-0123456789abcdef';
    await ctx.sb.write('home/.qwen/.env', `OPENAI_API_KEY=${key}\n`);
    const srv = await ctx.start();
        const c = await srv.request('config/resolve');
    assert.equal(c.env.OPENAI_API_KEY.redacted, 'sk-…cdef');
    assert.equal(c.env.OPENAI_API_KEY.value, undefined);
    assert.ok(!JSON.stringify(c).includes(key));
  });
});
