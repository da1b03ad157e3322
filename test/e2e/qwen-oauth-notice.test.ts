/**
 * Qwen OAuth with Qwen Code 0.24: its free tier ended on 2026-04-15, and Qwen
 * Code uses a cached credential only with security.auth.useExternal. The
 * server says so in auth/status (`notice`, and `message` while the setting is
 * off), and model/list calls coder-model unusable until the setting is on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sandboxPerTest } from '../support/per-test.js';

const ctx = sandboxPerTest();
const USER = 'home/.qwen/settings.json';
const CREDS = 'home/.qwen/oauth_creds.json';
const cached = () =>
  JSON.stringify({
    access_token: 'qat-notice-0123456789abcdef',
    refresh_token: 'qrt-notice-0123456789abcdef',
    token_type: 'Bearer',
    resource_url: 'portal.example.test',
    expiry_date: Date.now() + 3_600_000,
  });
const oauthState = async (srv: any) => (await srv.request('auth/status')).methods.find((m: any) => m.authType === 'qwen-oauth');
const coder = async (srv: any) => (await srv.request('model/list')).groups.flatMap((g: any) => g.models).find((m: any) => m.id === 'coder-model');

describe('Qwen OAuth and security.auth.useExternal', () => {
  it('auth/status carries the notice, signed in or not', async () => {
    const srv = await ctx.start();
    const out = await oauthState(srv);
    assert.equal(out.state, 'signedOut');
    assert.match(out.notice, /free tier ended on 2026-04-15/);
    assert.match(out.notice, /security\.auth\.useExternal: true/);
    assert.match(out.notice, /"security": \{"auth": \{"useExternal": true\}\}/, 'says how to set it');
  });

  it('a cached credential without useExternal: signed in, but coder-model is unusable with Qwen Code, and says why', async () => {
    await ctx.sb.write(USER, JSON.stringify({ security: { auth: { selectedType: 'qwen-oauth' } } }));
    await ctx.sb.write(CREDS, cached());
    const srv = await ctx.start();
    const q = await oauthState(srv);
    assert.equal(q.state, 'signedIn');
    assert.ok(q.notice);
    assert.match(q.message, /security\.auth\.useExternal is not set: Qwen Code 0\.24 refuses Qwen OAuth/);
    const m = await coder(srv);
    assert.equal(m.available, false);
    assert.match(m.unavailableReason, /useExternal/);
    assert.match(m.unavailableReason, /~\/\.qwen\/settings\.json/);

    // Turning it on by hand: the change is seen, and coder-model becomes usable.
    await new Promise((r) => setTimeout(r, 300)); // the watcher is ready shortly after `initialized`
    const mark = srv.notifications.length;
    await ctx.sb.write(USER, JSON.stringify({ security: { auth: { selectedType: 'qwen-oauth', useExternal: true } } }));
    await srv.waitFor('config/didChange', () => true, 3000, mark);
    const on = await coder(srv);
    assert.equal(on.available, true, JSON.stringify(on));
    const q2 = await oauthState(srv);
    assert.equal(q2.state, 'signedIn');
    assert.equal(q2.message, undefined);
    assert.ok(q2.notice, 'the notice stays: the free tier is still gone');
  });
});
