/**
 * A cloned repository against the user's credentials (PROTOCOL.md, "The
 * egress guard"; DESIGN.md, "Trust"). Credentials are planted outside the
 * workspace (process environment, a flag, the home `.env`, user settings
 * `env`, the Qwen OAuth credential file); the workspace names hosts on an
 * attacker's loopback server and shapes requests around `$VAR` references.
 * Unless the folder is trusted, not one request carrying a planted credential
 * (in any encoding) may reach the attacker; once it is trusted, the same
 * requests go out, which proves the suite is not passing by being broken.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { type AttackerServer, carries, startAttackerServer } from '../peers/attacker-server.js';
import { type ProviderServer, startProviderServer } from '../peers/provider-server.js';
import { sandboxPerTest } from '../support/per-test.js';
import type { TestServer } from '../support/server.js';
import { type AttackCase, dotenvLayout, type Layout, PLANTED, settingsLayout, WORKSPACE_OWN_KEY } from './hostile-repo-cases.js';

const ALL_PLANTED: string[] = Object.values(PLANTED);
const ctx = sandboxPerTest();
let attacker: AttackerServer;
/** A provider the user's own settings name. */
let userHost: ProviderServer;
/** The host only the Qwen OAuth credential's resource_url names. */
let oauthHost: ProviderServer;

beforeEach(async () => {
  [attacker, userHost, oauthHost] = await Promise.all([
    startAttackerServer(),
    startProviderServer(),
    startProviderServer({ models: { openai: ['coder-model'] } }),
  ]);
});
afterEach(() => Promise.all([attacker.close(), userHost.close(), oauthHost.close()]));

type FolderTrust = 'off (the default)' | 'enabled, no rule';

async function plant(layout: Layout, folderTrust: FolderTrust): Promise<void> {
  const sb = ctx.sb;
  await sb.write(
    'home/.qwen/settings.json',
    JSON.stringify({
      env: { USER_SETTINGS_KEY: PLANTED.userSettingsEnv },
      ...(folderTrust === 'enabled, no rule' ? { security: { folderTrust: { enabled: true } } } : {}),
      // A model of each protocol: no list request falls back to a provider's public host.
      modelProviders: {
        openai: [{ id: 'qwen3.5-plus', baseUrl: userHost.url, generationConfig: { maxRetries: 0 } }],
        anthropic: [{ id: 'claude-haiku-4-5', baseUrl: userHost.origin, generationConfig: { maxRetries: 0 } }],
        gemini: [{ id: 'gemini-2.5-flash', baseUrl: userHost.origin, generationConfig: { maxRetries: 0 } }],
      },
    }),
  );
  await sb.write('home/.qwen/.env', `HOME_DOTENV_KEY=${PLANTED.homeDotenv}\n`);
  await sb.write(
    'home/.qwen/oauth_creds.json',
    JSON.stringify({
      access_token: PLANTED.oauthAccess,
      refresh_token: PLANTED.oauthRefresh,
      token_type: 'Bearer',
      resource_url: oauthHost.origin,
      expiry_date: Date.now() + 3_600_000,
    }),
  );
  await sb.write('work/project/.qwen/settings.json', JSON.stringify(layout.settings, null, 2));
  if (layout.dotenv) await sb.write('work/project/.env', layout.dotenv);
}

function start(): Promise<TestServer> {
  return ctx.start({
    args: ['--openai-api-key', PLANTED.flagOpenai],
    env: {
      OPENAI_API_KEY: PLANTED.processOpenai,
      ANTHROPIC_API_KEY: PLANTED.processAnthropic,
      GEMINI_API_KEY: PLANTED.processGemini,
      // Every host that is not loopback is the trap: nothing leaves the machine.
      HTTP_PROXY: attacker.trapUrl,
      HTTPS_PROXY: attacker.trapUrl,
      NO_PROXY: '127.0.0.1,localhost',
    },
  });
}

interface Outcome {
  result?: any;
  error?: { code: number; message: string; data?: any };
}

async function outcome(srv: TestServer, method: string, params: unknown): Promise<Outcome> {
  try {
    return { result: await srv.request(method, params) };
  } catch (e) {
    const err = e as { code: number; message: string; data?: any };
    if (typeof err.code !== 'number') throw e;
    return { error: { code: err.code, message: err.message, data: err.data } };
  }
}

const test = (c: AttackCase) => ({ authType: c.authType, id: c.id });

function leaks(): string[] {
  return attacker.requests.flatMap((r) => {
    const found = ALL_PLANTED.filter((s) => carries(r, s));
    return found.length > 0 ? [`${r.at} ${r.method} ${r.target.slice(0, 80)} carried ${found.map((s) => s.slice(0, 16)).join(', ')}…`] : [];
  });
}

function showsNoPlanted(text: string): boolean {
  const t = text.toLowerCase();
  return !ALL_PLANTED.some((s) => t.includes(s.toLowerCase()));
}

function attackerOrigin(): string {
  return new URL(attacker.origin).host;
}

/** Folder trust enabled and no rule for the folder: the workspace's settings and `.env` do not apply at all. */
async function enabledWithoutRule(layout: Layout): Promise<void> {
  await plant(layout, 'enabled, no rule');
  const srv = await start();
  for (const c of layout.cases) await outcome(srv, 'model/test', test(c));
  await srv.request('model/list', { refresh: true });
  const coder = await outcome(srv, 'model/test', { authType: 'qwen-oauth', id: 'coder-model' });
  assert.equal(coder.result?.ok, true, JSON.stringify(coder));
  assert.deepEqual(leaks(), [], 'folder trust enabled, no rule: nothing carrying a planted credential reached the attacker');
  await srv.close();
}

/** Trust off (the default): the workspace's settings apply, and the guard is all that stands between them and your keys. */
async function trustOff(layout: Layout): Promise<TestServer> {
  await plant(layout, 'off (the default)');
  const srv = await start();
  const wrong: string[] = [];
  for (const c of layout.cases) {
    const o = await outcome(srv, 'model/test', test(c));
    if (o.error?.data?.code !== 'WorkspaceUntrusted') {
      wrong.push(`${c.name}: ${o.error ? `${o.error.data?.code ?? o.error.code}` : `answered ${JSON.stringify(o.result).slice(0, 80)}`}`);
      continue;
    }
    if (!showsNoPlanted(o.error.message + JSON.stringify(o.error.data))) wrong.push(`${c.name}: the refusal shows the credential`);
    if (!/trust/i.test(o.error.data.hint ?? '')) wrong.push(`${c.name}: the refusal does not say to trust the folder`);
    if (!o.error.message.includes(c.name.includes('in the host') ? 'attacker.invalid' : attackerOrigin())) {
      wrong.push(`${c.name}: the refusal does not name the host (${o.error.message})`);
    }
  }
  assert.deepEqual(wrong, [], 'model/test: each is refused with WorkspaceUntrusted');

  const list = await srv.request('model/list', { refresh: true });
  assert.ok(showsNoPlanted(JSON.stringify(list.warnings ?? [])), 'the warnings show no credential');
  assert.ok((list.warnings ?? []).some((w: string) => /could not list .*refused/.test(w)), 'a refused provider is a warning');
  assert.deepEqual(leaks(), [], 'trust off: no request carrying a planted credential reached the attacker');

  // What is not the user's, or goes where the user chose, is unaffected.
  for (const a of layout.allowed) {
    const o = await outcome(srv, 'model/test', { authType: a.authType, id: a.id });
    assert.equal(o.result?.ok, true, `${a.name}: ${JSON.stringify(o)}`);
  }
  assert.ok(attacker.requests.some((r) => carries(r, WORKSPACE_OWN_KEY)), "the workspace's own key went to its host");
  const coder = await outcome(srv, 'model/test', { authType: 'qwen-oauth', id: 'coder-model' });
  assert.equal(coder.result?.ok, true, `coder-model at the credential's resource_url: ${JSON.stringify(coder)}`);
  assert.ok(oauthHost.requests.some((r) => r.apiKey === PLANTED.oauthAccess), 'the OAuth token went to its own host');
  assert.ok(userHost.requests.some((r) => r.apiKey === PLANTED.flagOpenai), 'your key went to the host your settings name');
  assert.deepEqual(leaks(), []);
  return srv;
}

/** The same requests, once the folder is trusted: they go out, so the refusals above are the guard's doing. */
async function trusted(srv: TestServer, layout: Layout): Promise<void> {
  const trust = await srv.request('workspace/trust', { level: 'TRUST_FOLDER' });
  assert.equal(trust.trusted, true);
  const missed: string[] = [];
  for (const c of layout.cases) {
    const mark = attacker.requests.length;
    const o = await outcome(srv, 'model/test', test(c));
    if (o.error?.data?.code === 'WorkspaceUntrusted') missed.push(`${c.name}: still refused`);
    else if (c.sendable && !attacker.requests.slice(mark).some((r) => carries(r, c.secret))) {
      missed.push(`${c.name}: did not reach the attacker (${JSON.stringify(o).slice(0, 160)})`);
    }
  }
  assert.deepEqual(missed, [], 'trusted: model/test sends each request');
  const mark = attacker.requests.length;
  await srv.request('model/list', { refresh: true });
  const listed = new Set(ALL_PLANTED.filter((s) => attacker.requests.slice(mark).some((r) => carries(r, s))));
  const expected = new Set(layout.cases.filter((c) => c.inList && c.sendable).map((c) => c.secret));
  assert.deepEqual([...expected].filter((s) => !listed.has(s)), [], 'trusted: model/list {refresh} sends them too');
}

for (const make of [settingsLayout, dotenvLayout]) {
  const { name, cases } = make('http://attacker.example', 'http://user.example/v1');
  it(`hostile repository (${name}, ${cases.length} requests × model/test and model/list {refresh}): none of your credentials reaches its host unless the folder is trusted; trusted, the same requests go out`, async () => {
    const layout = make(attacker.origin, userHost.url);
    await enabledWithoutRule(layout);
    const srv = await trustOff(layout);
    await trusted(srv, layout);
  });
}
