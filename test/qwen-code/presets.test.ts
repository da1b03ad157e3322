/**
 * Issue 12: the server's preset logins against Qwen Code 0.24.4's own
 * install of the same presets. One `qwen --acp` process runs
 * `qwen/providers/connect` (the code behind `/auth`) for every preset and
 * region in turn, and one server process runs `auth/login` with the same
 * inputs in its own sandbox; after each step both user settings files must
 * be equal, key aside (Qwen Code writes it into `env`, the server into
 * ~/.qwen/.env). The steps follow one another, so they also cover logging
 * in twice, switching region and a second preset over the first. Then
 * `qwen -p`, run on the server's files, must send to the preset's host with
 * the key the server stored. Every host is answered on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { buildEntries, listVersion, planInstall, PRESETS } from '../../src/auth/presets/index.js';
import { observe, unexpectedEgress } from './differential.js';
import { requireQwenCode, runQwen, startQwenAcp, startQwenPeers, type QwenPeers, writeQuietDefaults } from '../support/qwen-code.js';
import { makeSandbox, type Sandbox } from '../support/sandbox.js';
import { startServer, type TestServer } from '../support/server.js';

/**
 * The person's own settings, the same on both sides before the first step;
 * with the `$version` Qwen Code stamps on any file it loads, so that only
 * the installs differ.
 */
const START = {
  $version: 4,
  model: { name: 'my-own-model' },
  modelProviders: { openai: [{ id: 'my-own-model', name: 'Mine', envKey: 'MY_OWN_KEY', baseUrl: 'https://example.test/v1', generationConfig: { timeout: 30000 } }] },
  ui: { theme: 'dark' },
};

interface Step {
  providerId: string;
  baseUrl: string;
  modelIds?: string[];
  /** Custom Provider's protocol. */
  protocol?: string;
  apiKey: string;
}

/** Qwen Code's ACP answer to qwen/providers/list: every preset with its endpoints. */
interface Listed {
  id: string;
  baseUrl?: string | { url: string }[];
}

const keyFor = (providerId: string, i: number) => `${providerId === 'coding-plan' ? 'sk-sp-' : 'sk-'}preset${i}key${providerId.replace(/[^a-z]/gi, '')}0123456789`;

const userFile = (sb: Sandbox) => sb.path('home', '.qwen', 'settings.json');
const readJson = async (sb: Sandbox) => JSON.parse(await readFile(userFile(sb), 'utf8')) as Record<string, unknown>;

/** Qwen Code's file without the keys it writes into `env`, which the server writes to ~/.qwen/.env instead. */
function withoutKeys(file: Record<string, unknown>, keys: Set<string>): Record<string, unknown> {
  const f = { ...file };
  const env = Object.fromEntries(Object.entries((f['env'] ?? {}) as Record<string, string>).filter(([k]) => !keys.has(k)));
  if (Object.keys(env).length === 0) delete f['env'];
  else f['env'] = env;
  return f;
}

describe('the preset table is Qwen Code\'s', () => {
  it('every region\'s entries and providerMetadata version equal what Qwen Code\'s own code builds', async () => {
    // The bundle's chunk with the presets exports them by name (chunk-VOHPPFJI.js in 0.24.4).
    const chunk = join(dirname(requireQwenCode()), 'chunks', 'chunk-VOHPPFJI.js');
    const qwen = (await import(pathToFileURL(chunk).href)) as {
      ALL_PROVIDERS: { id: string }[];
      buildProviderTemplate(config: unknown, baseUrl: string): unknown[];
      computeModelListVersion(models: unknown[]): string;
    };
    assert.deepEqual(PRESETS.map((p) => p.id), qwen.ALL_PROVIDERS.map((p) => p.id));
    for (const p of PRESETS) {
      const theirs = qwen.ALL_PROVIDERS.find((x) => x.id === p.id)!;
      for (const r of p.regions) {
        const built = qwen.buildProviderTemplate(theirs, r.baseUrl);
        assert.deepEqual(buildEntries(p, { region: r }), built, `${p.id} at ${r.baseUrl}`);
        assert.equal(listVersion(buildEntries(p, { region: r })), qwen.computeModelListVersion(built));
        assert.equal(r.version, qwen.computeModelListVersion(built), `${p.id} at ${r.baseUrl}: the version in the table`);
      }
    }
  });
});

describe('a re-install merges as Qwen Code\'s buildInstallPlan merges', () => {
  it('for every preset: owned entries replaced with the person\'s fields kept, other entries kept, the same version', async () => {
    const chunk = join(dirname(requireQwenCode()), 'chunks', 'chunk-VOHPPFJI.js');
    type Plan = { modelProviders: { models: unknown[]; ownsModel?: (m: unknown) => boolean }[]; providerState?: Record<string, { version?: string }>; modelSelection?: { modelId: string } };
    const qwen = (await import(pathToFileURL(chunk).href)) as {
      ALL_PROVIDERS: { id: string }[];
      buildInstallPlan(config: unknown, inputs: unknown, existing: unknown[], selection?: unknown): Plan;
    };
    for (const p of PRESETS) {
      if (p.group === 'custom') continue;
      const theirs = qwen.ALL_PROVIDERS.find((x) => x.id === p.id)!;
      const region = p.regions.at(-1)!;
      const first = buildEntries(p, { region })[0]!;
      const existing: Record<string, unknown>[] = [
        { id: 'mine', envKey: 'MINE_KEY', baseUrl: 'https://mine.test/v1' },
        // An owned entry the person edited: their fields stay, the preset's win where both set one.
        {
          ...first,
          name: 'My own name',
          note: 'kept',
          generationConfig: {
            ...(first['generationConfig'] as object | undefined),
            timeout: 99000,
            contextWindowSize: 1234,
            extra_body: { mine: 1, enable_thinking: false },
            samplingParams: { temperature: 0.2 },
            customHeaders: { 'X-Mine': '1' },
          },
        },
        // An owned entry the new install does not list: it goes.
        { ...first, id: 'retired-model', name: `[${region.namePrefix}] retired-model` },
      ];
      const modelIds = p.models.slice(0, 3).map((m) => m.id);
      const plan = qwen.buildInstallPlan(theirs, { baseUrl: region.baseUrl, apiKey: 'k', modelIds }, existing, { authType: 'openai', id: 'mine' });
      const patch = plan.modelProviders[0]!;
      const expected = [...patch.models, ...existing.filter((e) => !patch.ownsModel?.(e))];
      const ours = planInstall(p, { region, modelIds }, existing);
      assert.deepEqual(JSON.parse(JSON.stringify(ours.list)), JSON.parse(JSON.stringify(expected)), p.id);
      assert.equal(ours.metadata?.version, plan.providerState?.[`providerMetadata.${p.id}`]?.version, `${p.id}: version of a subset`);
      assert.equal(ours.first.id, plan.modelSelection?.modelId, `${p.id}: the model selected`);
    }
  });
});

describe("preset logins write what Qwen Code's install writes (qwen --acp qwen/providers/connect)", () => {
  let peers: QwenPeers;
  let qwenSb: Sandbox;
  let ourSb: Sandbox;
  let srv: TestServer;
  let steps: Step[] = [];
  /** Qwen Code's user settings after each step. */
  const theirs: Record<string, unknown>[] = [];
  /** The env names Qwen Code wrote keys under. */
  const keyNames = new Set<string>();
  let menu: { id: string; fields: { name: string; choices?: { value: string; detail?: string }[] }[] }[] = [];

  before(async () => {
    requireQwenCode();
    [peers, qwenSb, ourSb] = await Promise.all([startQwenPeers(), makeSandbox(), makeSandbox()]);
    await Promise.all([writeQuietDefaults(qwenSb), writeQuietDefaults(ourSb)]);
    const start = `${JSON.stringify(START, null, 2)}\n`;
    await Promise.all([qwenSb.write(userFile(qwenSb), start), ourSb.write(userFile(ourSb), start)]);
    const acp = await startQwenAcp(qwenSb, { peers });
    try {
      await acp.initialize();
      const listed = ((await acp.request('qwen/providers/list', {})) as { providers: Listed[] }).providers;
      let i = 0;
      for (const p of listed) {
        if (p.id === 'custom-openai-compatible') continue;
        const urls = typeof p.baseUrl === 'string' ? [p.baseUrl] : (p.baseUrl ?? []).map((b) => b.url);
        for (const baseUrl of urls) steps.push({ providerId: p.id, baseUrl, apiKey: keyFor(p.id, i++) });
      }
      // Logging in twice, a subset of a preset's models, and a Custom Provider (whose endpoint is on loopback).
      steps.push({ providerId: 'coding-plan', baseUrl: 'https://coding.dashscope.aliyuncs.com/v1', apiKey: keyFor('coding-plan', i++) });
      steps.push({ providerId: 'token-plan', baseUrl: 'https://token-plan.cn-beijing.maas.aliyuncs.com/compatible-mode/v1', modelIds: ['qwen3.6-plus', 'glm-5'], apiKey: keyFor('token-plan', i++) });
      steps.push({ providerId: 'custom-openai-compatible', baseUrl: peers.provider.url, modelIds: ['my-local-model', 'other-local'], apiKey: keyFor('custom', i++) });
      steps.push({ providerId: 'custom-openai-compatible', baseUrl: peers.provider.url, protocol: 'anthropic', modelIds: ['claude-local'], apiKey: keyFor('custom', i++) });
      for (const s of steps) {
        const r = await acp.connectProvider({
          providerId: s.providerId,
          apiKey: s.apiKey,
          baseUrl: s.baseUrl,
          ...(s.modelIds ? { modelIds: s.modelIds } : {}),
          ...(s.protocol ? { protocol: s.protocol } : {}),
        } as Parameters<typeof acp.connectProvider>[0]);
        assert.equal(r.success, true, `${s.providerId} at ${s.baseUrl}`);
        const file = await readJson(qwenSb);
        for (const [k, v] of Object.entries((file['env'] ?? {}) as Record<string, string>)) if (v === s.apiKey) keyNames.add(k);
        theirs.push(file);
      }
      assert.deepEqual([...acp.hosts(), ...(await acp.blocked())], [], 'qwen --acp tried to leave 127.0.0.1');
    } finally {
      await acp.close();
    }
    srv = await startServer(ourSb, { env: peers.env() });
    menu = (await srv.request('auth/methods')).methods;
  });
  after(async () => {
    await srv?.close();
    await peers?.close();
    await Promise.all([qwenSb?.cleanup(), ourSb?.cleanup()]);
  });

  it('covers every preset and region Qwen Code lists', () => {
    const ids = new Set(steps.map((s) => s.providerId));
    assert.equal(ids.size, 13);
    assert.ok(steps.length >= 20 + 4, `${steps.length} steps`);
  });

  it('after every step, the settings file equals Qwen Code\'s, key aside, and the key is in ~/.qwen/.env', async () => {
    for (const [i, s] of steps.entries()) {
      const option = menu.find((m) => m.id === s.providerId);
      assert.ok(option, `auth/methods lists ${s.providerId}`);
      // The region as a client picks it: from the menu, by the endpoint (its host, with the path where hosts repeat).
      const endpoint = s.baseUrl.replace(/^https:\/\//, '');
      const choices = (option.fields.find((f) => f.name === 'region')?.choices ?? []).filter((c) => c.detail && endpoint.startsWith(c.detail));
      const region = choices.sort((a, b) => b.detail!.length - a.detail!.length)[0]?.value;
      const params: Record<string, unknown> = { method: s.providerId, apiKey: s.apiKey };
      if (region) params['region'] = region;
      else params['baseUrl'] = s.baseUrl;
      if (s.modelIds) params['models'] = s.modelIds;
      if (s.protocol) params['authType'] = s.protocol;
      const r = await srv.request('auth/login', params);
      assert.equal(r.verified, true, `${s.providerId}: the key check went to the (loopback) provider`);
      const ours = await readJson(ourSb);
      assert.deepEqual(ours, withoutKeys(theirs[i]!, keyNames), `step ${i}: ${s.providerId} at ${s.baseUrl}${s.modelIds ? ` (${s.modelIds.join(', ')})` : ''}`);
      assert.ok(!JSON.stringify(ours).includes(s.apiKey), 'no key in settings.json');
      const env = await readFile(ourSb.path('home', '.qwen', '.env'), 'utf8');
      assert.ok(env.split('\n').includes(`${r.envKey}=${s.apiKey}`), `${r.envKey} stored`);
      assert.ok(keyNames.has(r.envKey), `Qwen Code used the same variable name, ${r.envKey}`);
    }
  });

  it('qwen -p on the server\'s files sends to the preset host with the key the server stored', async () => {
    const logins = [
      { method: 'coding-plan', region: 'global', apiKey: 'sk-sp-qwenp0run0global0000', host: 'coding-intl.dashscope.aliyuncs.com', model: 'qwen3.5-plus' },
      { method: 'openrouter', apiKey: 'sk-or-qwenp0run0000000000', host: 'openrouter.ai', model: 'z-ai/glm-4.5-air:free' },
    ];
    for (const l of logins) {
      const { host, model, ...params } = l;
      const r = await srv.request('auth/login', params);
      assert.deepEqual(r.selected && { id: r.selected.id }, { id: model });
      const run = await runQwen(ourSb, { peers });
      assert.deepEqual(unexpectedEgress(run).filter((e) => !e.includes(host)), []);
      const qwen = observe(run);
      assert.equal(qwen.runs, true, run.stderr.slice(-800));
      assert.equal(qwen.model, model);
      assert.equal(new URL(qwen.baseUrl!).host, host);
      const main = run.requests.find((q) => q.model === model);
      assert.equal(main?.credential?.value, l.apiKey, 'the key the server stored in ~/.qwen/.env');
      if (l.method === 'openrouter') assert.equal(main?.headers['x-openrouter-title'], 'Qwen Code');
    }
  });
});
