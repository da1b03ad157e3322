import assert from 'node:assert/strict';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { QwenOAuth } from '../../src/auth/qwen-oauth/index.js';
import { type OidcServer, startOidcServer } from '../peers/oidc-server.js';
import { sandboxPerTest } from '../support/per-test.js';
import type { StartOptions, TestServer } from '../support/server.js';

let oidc: OidcServer;
/** Every token the tests see: none may appear in a frame, stderr or the log. */
const secrets = new Set<string>();
const ctx = sandboxPerTest(async (s) => {
  const frames = JSON.stringify(s.notifications);
  const log = await readFile(ctx.sb.path('server.log'), 'utf8').catch(() => '');
  for (const t of secrets) {
    assert.ok(!frames.includes(t), 'a token leaked into a notification');
    assert.ok(!s.stderr.includes(t), 'a token leaked into stderr');
    assert.ok(!log.includes(t), 'a token leaked into the log file');
  }
});
beforeEach(async () => {
  oidc = await startOidcServer();
});
afterEach(() => oidc.close());

function oauthEnv() {
  return { QWEN_OAUTH_DEVICE_AUTHORIZATION_URL: oidc.deviceAuthorizationUrl, QWEN_OAUTH_TOKEN_URL: oidc.tokenUrl, QWEN_OAUTH_CLIENT_ID: oidc.clientId };
}
function start(opts: StartOptions = {}) {
  return ctx.start({ ...opts, env: { ...oauthEnv(), ...opts.env }, args: ['--log-file', ctx.sb.path('server.log'), ...(opts.args ?? [])] });
}
const credsPath = () => ctx.sb.path('home/.qwen/oauth_creds.json');

async function login(srv: TestServer, params: Record<string, unknown> = {}) {
  const r = await srv.request('auth/login', { method: 'qwen-oauth', ...params });
  return { r, ended: () => srv.waitFor('auth/didChange', (p) => p.loginId === r.loginId, 15_000).then((n) => n.params) };
}

/** A real credential, obtained by a device login in this process. */
async function realCredential(): Promise<any> {
  const dir = ctx.sb.path('seed');
  await mkdir(dir, { recursive: true });
  let done!: () => void;
  const ended = new Promise<void>((r) => (done = r));
  const q = new QwenOAuth({
    credsPath: join(dir, 'creds.json'),
    lockPath: join(dir, 'creds.lock'),
    env: oauthEnv(),
    fetch: async () => fetch,
    onLoginEnded: () => done(),
    onChanged: () => {},
  });
  const s = await q.startLogin();
  await oidc.approve(s.userCode);
  await ended;
  const creds = JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8'));
  secrets.add(creds.access_token);
  secrets.add(creds.refresh_token);
  return creds;
}

describe('Qwen OAuth device login against a real authorization server', () => {
  it('signs in: code and links at once, browser asked to open, one auth/didChange, Qwen-shaped 0600 file, PKCE verified', async () => {
    // Qwen Code 0.24 uses a cached credential only with useExternal (qwen-oauth-notice.test.ts: without it).
    await ctx.sb.write('home/.qwen/settings.json', '{ "security": { "auth": { "useExternal": true } } }');
    const srv = await start({ showDocument: true });
    const { r, ended } = await login(srv);
    assert.equal(r.state, 'pending');
    assert.match(r.userCode, /^[A-Z]{4}-[A-Z]{4}$/);
    assert.equal(r.verificationUri, `${oidc.issuer}/device`);
    assert.ok(r.verificationUriComplete.includes(encodeURIComponent(r.userCode)) || r.verificationUriComplete.includes(r.userCode));
    assert.ok(Date.parse(r.expiresAt) > Date.now());
    await srv.waitFor('auth/didChange', () => true, 1).catch(() => undefined);
    assert.deepEqual(srv.shownDocuments, [r.verificationUriComplete]);
    await oidc.approve(r.userCode);
    const end = await ended();
    assert.equal(end.state, 'signedIn');
    assert.equal(end.method, 'qwen-oauth');
    const creds = JSON.parse(await readFile(credsPath(), 'utf8'));
    secrets.add(creds.access_token);
    secrets.add(creds.refresh_token);
    assert.deepEqual(Object.keys(creds).sort(), ['access_token', 'expiry_date', 'id_token', 'refresh_token', 'token_type'].sort());
    assert.equal(typeof creds.expiry_date, 'number');
    assert.ok(Math.abs(creds.expiry_date - (Date.now() + 3600_000)) < 60_000, 'epoch milliseconds');
    assert.equal((await stat(credsPath())).mode & 0o777, 0o600);
    assert.ok(oidc.tokenRequests.length >= 1 && oidc.tokenRequests.every((t) => t.verifierOk), 'the PKCE verifier went with every poll');
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(srv.notifications.filter((n) => n.method === 'auth/didChange' && n.params.loginId === r.loginId).length, 1);
    // Nothing was selected: like Qwen Code, the sign-in makes coder-model the model.
    await srv.waitFor('model/didChange', (p) => p.selected?.id === 'coder-model', 3000);
    const list = await srv.request('model/list');
    assert.equal(list.groups[0].models[0].available, true);
    assert.equal(list.selected.authType, 'qwen-oauth');
    const st = await srv.request('auth/status');
    assert.equal(st.active, 'qwen-oauth');
    assert.equal(st.methods[0].state, 'signedIn');
    assert.ok(!JSON.stringify(st).includes(creds.access_token));
  });

  it('a sign-in never takes away a usable model the person chose', async () => {
    await ctx.sb.write('home/.qwen/settings.json', JSON.stringify({ model: { name: 'gpt-x' }, security: { auth: { selectedType: 'openai' } }, modelProviders: { openai: [{ id: 'gpt-x' }] } }));
    const srv = await start({ env: { OPENAI_API_KEY: 'sk-usable-key-000000000000' } });
    const { r, ended } = await login(srv);
    await oidc.approve(r.userCode);
    assert.equal((await ended()).state, 'signedIn');
    await new Promise((res) => setTimeout(res, 300));
    assert.equal((await srv.request('model/list')).selected.id, 'gpt-x');
    assert.match(await readFile(ctx.sb.path('home/.qwen/settings.json'), 'utf8'), /"selectedType":"openai"/);
  });

  it('openBrowser: false, or a client without showDocument: nothing is opened', async () => {
    const srv = await start({ showDocument: true });
    await login(srv, { openBrowser: false });
    const plain = await start({ showDocument: false });
    await login(plain);
    await new Promise((res) => setTimeout(res, 200));
    assert.deepEqual([...srv.shownDocuments, ...plain.shownDocuments], []);
  });

  it('the person denies: error/denied', async () => {
    const srv = await start();
    const { r, ended } = await login(srv);
    await oidc.approve(r.userCode, { deny: true });
    const end = await ended();
    assert.equal(end.state, 'error');
    assert.equal(end.reason, 'denied');
  });

  it('the code expires: error/expired', async () => {
    await oidc.close();
    oidc = await startOidcServer({ deviceCodeTtl: 1 });
    const srv = await start();
    const { ended } = await login(srv);
    const end = await ended();
    assert.equal(end.reason, 'expired');
  });

  it('cancel ends the login with cancelled; a second login cancels the first', async () => {
    const srv = await start();
    const first = await login(srv);
    const second = await login(srv);
    assert.equal((await first.ended()).reason, 'cancelled');
    assert.deepEqual(await srv.request('auth/cancel', { loginId: second.r.loginId }), { cancelled: true });
    assert.equal((await second.ended()).reason, 'cancelled');
    assert.deepEqual(await srv.request('auth/cancel', { loginId: second.r.loginId }), { cancelled: false });
  });

  it('slow_down adds 5 s to the polling interval', { timeout: 30_000 }, async () => {
    const srv = await start();
    oidc.slowDown(1);
    const { r, ended } = await login(srv);
    await new Promise((res) => setTimeout(res, 600));
    await oidc.approve(r.userCode);
    assert.equal((await ended()).state, 'signedIn');
    const polls = oidc.tokenRequests.filter((t) => t.grantType.endsWith('device_code'));
    assert.ok(polls.length >= 2);
    const gap = polls[1]!.at - polls[0]!.at;
    assert.ok(gap >= 5000, `the poll after slow_down waited ${gap} ms`);
  });

  it('the server goes away mid-login: error/network with a sentence that helps', async () => {
    const srv = await start();
    const { ended } = await login(srv);
    await oidc.close();
    const end = await ended();
    assert.equal(end.reason, 'network');
    assert.match(end.message, /could not reach 127\.0\.0\.1:\d+ \(connection refused\).*proxy/);
    oidc = await startOidcServer();
  });

  it('an unreachable device endpoint fails the request with LoginFailed, not a crash', async () => {
    const srv = await start({ env: { QWEN_OAUTH_DEVICE_AUTHORIZATION_URL: 'http://127.0.0.1:9/device/auth' } });
    const e = await srv.requestError('auth/login', { method: 'qwen-oauth' });
    assert.equal(e.data.code, 'LoginFailed');
    assert.match(e.message, /could not reach/);
    const bad = await start({ env: { QWEN_OAUTH_TOKEN_URL: 'http://example.com/token' } });
    const e2 = await bad.requestError('auth/login', { method: 'qwen-oauth' });
    assert.match(e2.message, /must use https/);
  });

  it('a token endpoint that answers HTML: error/server, server alive', async () => {
    const srv = await start();
    oidc.answerGarbage(true);
    const { ended } = await login(srv);
    const end = await ended();
    assert.equal(end.reason, 'server');
    assert.ok((await srv.request('model/list')).groups.length > 0);
  });
});

describe('the shared credential', () => {
  it('an expired access token is refreshed at start-up, keeping Qwen\'s shape', async () => {
    const creds = await realCredential();
    await ctx.sb.write(credsPath(), JSON.stringify({ ...creds, expiry_date: Date.now() - 1000, resource_url: 'portal.example' }));
    const srv = await start();
    const n = await srv.waitFor('auth/didChange', (p) => p.method === 'qwen-oauth' && p.state === 'signedIn', 5000);
    assert.ok(Date.parse(n.params.expiresAt) > Date.now());
    const after = JSON.parse(await readFile(credsPath(), 'utf8'));
    secrets.add(after.access_token);
    secrets.add(after.refresh_token);
    assert.notEqual(after.access_token, creds.access_token);
    assert.equal(after.resource_url, 'portal.example', 'resource_url kept');
    assert.equal(oidc.tokenRequests.filter((t) => t.grantType === 'refresh_token').length, 1);
  });

  it('a dead refresh token removes the file and reports signed out', async () => {
    await ctx.sb.write(credsPath(), JSON.stringify({ access_token: 'at-dead-000000000000', refresh_token: 'rt-dead-000000000000', token_type: 'Bearer', expiry_date: Date.now() - 1000 }));
    secrets.add('at-dead-000000000000');
    secrets.add('rt-dead-000000000000');
    const srv = await start();
    const n = await srv.waitFor('auth/didChange', (p) => p.method === 'qwen-oauth' && p.state === 'signedOut', 5000);
    assert.match(n.params.message, /sign in again/);
    await assert.rejects(stat(credsPath()));
  });

  it('a malformed credential file: signed out with a reason, file left alone', async () => {
    const text = '{ "access_token": 42 }';
    await ctx.sb.write(credsPath(), text);
    const srv = await start();
    const st = await srv.request('auth/status');
    assert.equal(st.methods[0].state, 'error');
    assert.match(st.methods[0].message, /not a Qwen OAuth credential/);
    assert.equal(await readFile(credsPath(), 'utf8'), text);
  });

  it('another process signing in or out reaches a running server as auth/didChange', async () => {
    const srv = await start();
    await srv.request('auth/status');
    await new Promise((r) => setTimeout(r, 300));
    const creds = await realCredential();
    await ctx.sb.write(credsPath(), JSON.stringify(creds));
    await srv.waitFor('auth/didChange', (p) => p.method === 'qwen-oauth' && p.state === 'signedIn', 3000);
    const mark = srv.notifications.length;
    await srv.request('auth/logout', { method: 'qwen-oauth' });
    await assert.rejects(stat(credsPath()));
    await srv.waitFor('auth/didChange', (p) => p.method === 'qwen-oauth' && p.state === 'signedOut', 3000, mark);
  });

  it('refresh storm: 6 servers started together on an expired token refresh exactly once, all signed in', { timeout: 60_000 }, async () => {
    const creds = await realCredential();
    await ctx.sb.write(credsPath(), JSON.stringify({ ...creds, expiry_date: Date.now() - 1000 }));
    // Without a selected auth type no model is usable (Qwen Code: "No auth type is selected"), and
    // Qwen Code 0.24 uses a cached credential only with useExternal.
    await ctx.sb.write('home/.qwen/settings.json', '{ "security": { "auth": { "selectedType": "qwen-oauth", "useExternal": true } } }');
    const before = oidc.tokenRequests.length;
    const servers = await Promise.all(Array.from({ length: 6 }, () => start()));
    const signedIn = async (s: TestServer) => {
      for (let i = 0; i < 100; i++) {
        if ((await s.request('auth/status')).methods[0].state === 'signedIn') return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    };
    assert.deepEqual(await Promise.all(servers.map(signedIn)), [true, true, true, true, true, true]);
    await new Promise((r) => setTimeout(r, 500));
    const refreshes = oidc.tokenRequests.slice(before).filter((t) => t.grantType === 'refresh_token');
    assert.equal(refreshes.length, 1, 'one refresh for all six (a second would revoke the grant)');
    for (const s of servers) {
      const list = await s.request('model/list');
      assert.equal(list.groups[0].models[0].available, true, 'coder-model is usable in every server');
    }
    const after = JSON.parse(await readFile(credsPath(), 'utf8'));
    secrets.add(after.access_token);
    secrets.add(after.refresh_token);
  });
});

