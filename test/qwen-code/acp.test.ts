/**
 * Files Qwen Code 0.24.4 writes itself, read back through the server: its
 * provider install (`qwen/providers/connect`, the code behind `/auth`) and
 * its model choice (`session/set_model`, the persistence of `/model`), both
 * driven over `qwen --acp` in a sandbox. Then a `qwen -p` run with those files
 * shows where the chosen model's requests really go, and the server must say
 * the same. Last, the server's own Coding Plan login is compared with Qwen
 * Code's install (issue 12; test/qwen-code/presets.test.ts does every preset).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as z from 'zod/mini';
import { askServer, compare, observe, unexpectedEgress } from './differential.js';
import { requireQwenCode, runQwen, startQwenAcp, startQwenPeers, type QwenPeers, writeQuietDefaults } from '../support/qwen-code.js';
import { makeSandbox, type Sandbox } from '../support/sandbox.js';
import { startServer } from '../support/server.js';

const CHINA = 'https://coding.dashscope.aliyuncs.com/v1';
const KEY = 'sk-sp-acp0smoke0test0a1b';
const ENV_KEY = 'BAILIAN_CODING_PLAN_API_KEY';

const Entry = z.looseObject({ id: z.string(), name: z.optional(z.string()), baseUrl: z.optional(z.string()), envKey: z.optional(z.string()) });
const Written = z.looseObject({
  env: z.optional(z.record(z.string(), z.string())),
  model: z.optional(z.looseObject({ name: z.optional(z.string()), baseUrl: z.optional(z.string()) })),
  modelProviders: z.looseObject({ openai: z.array(Entry) }),
  security: z.optional(z.looseObject({ auth: z.optional(z.looseObject({ selectedType: z.optional(z.string()) })) })),
});
const ModelList = z.looseObject({
  selected: z.nullable(z.looseObject({ authType: z.string(), id: z.string(), baseUrl: z.optional(z.string()) })),
  groups: z.array(z.looseObject({ authType: z.string(), models: z.array(z.looseObject({ id: z.string(), name: z.string(), baseUrl: z.optional(z.string()), available: z.boolean() })) })),
});

const userFile = (sb: Sandbox) => sb.path('home', '.qwen', 'settings.json');
const readJson = async (sb: Sandbox) => JSON.parse(await sb.read(userFile(sb))) as unknown;

/** Qwen Code's file without the one thing we write elsewhere on purpose: the key in `env`. */
function withoutKey(file: unknown): unknown {
  const f = { ...(file as Record<string, unknown>) };
  const env = { ...(f['env'] as Record<string, unknown> | undefined) };
  delete env[ENV_KEY];
  if (Object.keys(env).length === 0) delete f['env'];
  else f['env'] = env;
  return f;
}

describe('Qwen Code\'s own writes, read back through the server (qwen --acp)', () => {
  let sb: Sandbox;
  let peers: QwenPeers;
  /** The user settings right after Qwen Code's Coding Plan install, and after its model choice. */
  let installed: unknown;
  let chosenId: string;

  before(async () => {
    requireQwenCode();
    [sb, peers] = await Promise.all([makeSandbox(), startQwenPeers()]);
    await writeQuietDefaults(sb);
    const acp = await startQwenAcp(sb, { peers });
    try {
      await acp.initialize();
      const connected = await acp.connectProvider({ providerId: 'coding-plan', apiKey: KEY, baseUrl: CHINA });
      assert.equal(connected.success, true);
      installed = await readJson(sb);
      const session = await acp.newSession();
      // Not the model the install selected: a choice /model would persist.
      const choice = session.models?.availableModels[2];
      assert.ok(choice, `session/new listed ${session.models?.availableModels.length ?? 0} models`);
      chosenId = choice.modelId.replace(/\([^)]*\)$/, '');
      await acp.setModel(session.sessionId, choice.modelId);
      assert.deepEqual([...acp.hosts(), ...(await acp.blocked())], [], 'qwen --acp tried to leave 127.0.0.1');
    } finally {
      await acp.close();
    }
  });
  after(async () => {
    await peers?.close();
    await sb?.cleanup();
  });

  it('Qwen Code wrote a China Coding Plan install and the chosen model', async () => {
    const file = Written.parse(await readJson(sb));
    assert.equal(file.env?.[ENV_KEY], KEY);
    assert.equal(file.model?.name, chosenId);
    assert.equal(file.security?.auth?.selectedType, 'openai');
    assert.ok(file.modelProviders.openai.length >= 10);
    assert.ok(file.modelProviders.openai.every((e) => e.baseUrl === CHINA && e.envKey === ENV_KEY));
  });

  it('model/list shows the models Qwen Code installed, with their names and base URL, and its choice selected', async () => {
    const file = Written.parse(await readJson(sb));
    const srv = await startServer(sb, { env: peers.env() });
    try {
      const list = ModelList.parse(await srv.request('model/list'));
      assert.deepEqual(list.selected && { authType: list.selected.authType, id: list.selected.id, baseUrl: list.selected.baseUrl }, { authType: 'openai', id: chosenId, baseUrl: CHINA });
      const ours = list.groups.find((g) => g.authType === 'openai')?.models ?? [];
      assert.deepEqual(
        ours.map((m) => ({ id: m.id, name: m.name, baseUrl: m.baseUrl, available: m.available })),
        file.modelProviders.openai.map((e) => ({ id: e.id, name: e.name ?? e.id, baseUrl: e.baseUrl, available: true })),
      );
    } finally {
      await srv.close();
    }
  });

  it('qwen -p sends the chosen model to the Coding Plan host with the key, as the server says', async () => {
    const server = await askServer(sb, {}, peers);
    const run = await runQwen(sb, { peers });
    assert.deepEqual(unexpectedEgress(run), []);
    const qwen = observe(run);
    assert.deepEqual({ runs: qwen.runs, model: qwen.model, baseUrl: qwen.baseUrl }, { runs: true, model: chosenId, baseUrl: CHINA }, run.stderr.slice(-800));
    assert.deepEqual(run.hosts, ['coding.dashscope.aliyuncs.com']);
    assert.deepEqual(compare(qwen, server), []);
  });

  it('the server\'s coding-plan login writes what Qwen Code\'s install writes, key aside', async () => {
    const own = await makeSandbox();
    try {
      await writeQuietDefaults(own);
      const srv = await startServer(own, { env: peers.env() });
      try {
        await srv.request('auth/login', { method: 'coding-plan', apiKey: KEY, region: 'china' });
      } finally {
        await srv.close();
      }
      assert.deepEqual(await readJson(own), withoutKey(installed));
    } finally {
      await own.cleanup();
    }
  });
});
