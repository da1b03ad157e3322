import assert from 'node:assert/strict';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { QwenOAuth } from '../../src/auth/qwen-oauth/index.js';
import { type OidcServer, startOidcServer } from '../peers/oidc-server.js';
import { makeSandbox, type Sandbox } from '../support/sandbox.js';
import { assertNoSecret, cli, type Run } from './fixtures/cli.js';

let oidc: OidcServer;
let sb: Sandbox;
const runs: Run[] = [];
/** Every token the tests see: none may appear on any stderr. */
const secrets = new Set<string>();
beforeEach(async () => {
  sb = await makeSandbox();
  oidc = await startOidcServer();
});
afterEach(async () => {
  assertNoSecret(runs.splice(0).map((r) => r.err), secrets);
  await oidc.close();
  await sb.cleanup();
});

const oauthEnv = () => ({ QWEN_OAUTH_DEVICE_AUTHORIZATION_URL: oidc.deviceAuthorizationUrl, QWEN_OAUTH_TOKEN_URL: oidc.tokenUrl, QWEN_OAUTH_CLIENT_ID: oidc.clientId });
const credsPath = () => sb.path('home/.qwen/oauth_creds.json');
const refreshes = () => oidc.tokenRequests.filter((t) => t.grantType === 'refresh_token').length;

async function token(): Promise<Run> {
  const r = await cli(sb, ['token'], { env: oauthEnv() });
  runs.push(r);
  return r;
}

/** A real credential from the authorization server, by a device login in this process. */
async function realCredential(): Promise<any> {
  const dir = sb.path('seed');
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

describe('qwen-agent-server token', () => {
  it('prints the access token, only it, on one line; a live one is not refreshed', async () => {
    const creds = await realCredential();
    await sb.write(credsPath(), JSON.stringify(creds));
    const before = refreshes();
    const r = await token();
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `${creds.access_token}\n`);
    assert.equal(r.err, '');
    assert.equal(refreshes(), before);
  });

  it('six token processes at once on an expired token: one refresh under the shared lock, and all six print the new token', { timeout: 60_000 }, async () => {
    const creds = await realCredential();
    await sb.write(credsPath(), JSON.stringify({ ...creds, expiry_date: Date.now() - 1000 }));
    const before = refreshes();
    const all = await Promise.all(Array.from({ length: 6 }, () => token()));
    const after = JSON.parse(await readFile(credsPath(), 'utf8'));
    secrets.add(after.access_token);
    secrets.add(after.refresh_token);
    assert.notEqual(after.access_token, creds.access_token);
    assert.ok(after.expiry_date > Date.now());
    for (const r of all) {
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, `${after.access_token}\n`);
    }
    // A second refresh would have used a rotated refresh token, which revokes the grant.
    assert.equal(refreshes() - before, 1);
  });

  it('signed out: exit 1, one sentence on stderr, nothing on stdout', async () => {
    const r = await token();
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(r.err, /^qwen-agent-server: not signed in to Qwen OAuth; sign in from your editor[^\n]*\n$/);
  });

  it('expired beyond refresh: no refresh token, or one the server refuses (the credential is then removed, as the server does)', async () => {
    await sb.write(credsPath(), JSON.stringify({ access_token: 'at-expired-000000000000', token_type: 'Bearer', expiry_date: Date.now() - 1000 }));
    secrets.add('at-expired-000000000000');
    const none = await token();
    assert.equal(none.code, 1);
    assert.equal(none.out, '');
    assert.match(none.err, /^qwen-agent-server: the Qwen OAuth token has expired and cannot be refreshed; sign in[^\n]*\n$/);

    await sb.write(credsPath(), JSON.stringify({ access_token: 'at-dead-000000000000', refresh_token: 'rt-dead-000000000000', token_type: 'Bearer', expiry_date: Date.now() - 1000 }));
    secrets.add('at-dead-000000000000');
    secrets.add('rt-dead-000000000000');
    const dead = await token();
    assert.equal(dead.code, 1);
    assert.equal(dead.out, '');
    assert.match(dead.err, /the Qwen OAuth session ended[^\n]*sign in again[^\n]*\n$/);
    await assert.rejects(stat(credsPath()));
  });
});
