import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { sandboxPerTest } from '../support/per-test.js';
import type { TestServer } from '../support/server.js';

/** PROTOCOL.md `Redacted`: first 3 and last 4 characters around an ellipsis. */
const KEY = 'sk-CANARYredact0123456789abcdefWXYZ';
const KEY_SHOWN = 'sk-…WXYZ';
/** The password of a URL's user-info, known to the server only as part of that URL. */
const PASSWORD = 'hunter2secret';
const PASSWORD_SHOWN = 'hun…cret';
const PROXY_PASSWORD = 'pr0xy-Passw0rd-42';

// Every host is a closed port on loopback: nothing leaves the machine even if sent.
const NO_RETRY = { generationConfig: { maxRetries: 0 } };
const MODELS = {
  openai: [
    { id: 'query-ref', baseUrl: 'http://127.0.0.1:9/v1?key=${OPENAI_API_KEY}', ...NO_RETRY },
    { id: 'query-literal', baseUrl: `http://127.0.0.1:9/v1?key=${KEY}`, ...NO_RETRY },
    { id: 'userinfo', baseUrl: `http://user:${PASSWORD}@127.0.0.1:9/v1`, ...NO_RETRY },
    { id: 'at-in-password', baseUrl: `http://user:${PASSWORD}@x@127.0.0.1:9/v1`, ...NO_RETRY },
    {
      id: 'named',
      name: 'Mine (${OPENAI_API_KEY})',
      description: 'uses ${OPENAI_API_KEY} at http://someone@127.0.0.1:9/v1?x=1 — café ✓ (not sk-but-unknown)',
      ...NO_RETRY,
    },
    { id: 'other-key', envKey: 'OTHER_OPENAI_KEY', baseUrl: 'http://127.0.0.1:9/v1', ...NO_RETRY },
  ],
};

const ctx = sandboxPerTest();

function modelsOf(list: any): Map<string, any> {
  return new Map(list.groups.flatMap((g: any) => g.models).map((m: any) => [m.id, m]));
}

async function start(opts: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<TestServer> {
  await ctx.sb.write('home/.qwen/settings.json', JSON.stringify({ modelProviders: MODELS }, null, 2));
  return ctx.start({ ...opts, env: { OPENAI_API_KEY: KEY, ...opts.env } });
}

describe('no secret is shown whole in any answer (PROTOCOL.md, Redacted)', () => {
  it('a process key that --openai-api-key shadows is still redacted where settings expand it', async () => {
    const srv = await start({ args: ['--openai-api-key', 'sk-flag-key-0000000000000'] });
    const m = modelsOf(await srv.request('model/list'));
    assert.equal(m.get('named').name, `Mine (${KEY_SHOWN})`);
    assert.ok(!JSON.stringify(await srv.request('config/resolve')).includes(KEY));
  });

  it('model/list: a key in a baseUrl query (by ${VAR} or literally), a URL password, a key expanded into name and description', async () => {
    const srv = await start();
    const list = await srv.request('model/list');
    const m = modelsOf(list);
    assert.equal(m.get('query-ref').baseUrl, `http://127.0.0.1:9/v1?key=${KEY_SHOWN}`);
    assert.equal(m.get('query-literal').baseUrl, `http://127.0.0.1:9/v1?key=${KEY_SHOWN}`);
    assert.equal(m.get('userinfo').baseUrl, `http://user:${PASSWORD_SHOWN}@127.0.0.1:9/v1`);
    assert.equal(m.get('at-in-password').baseUrl, 'http://user:hun…et@x@127.0.0.1:9/v1', 'the password runs to the last @');
    assert.equal(m.get('named').name, `Mine (${KEY_SHOWN})`);
    // Redaction changes the secret and nothing else around it.
    assert.equal(m.get('named').description, `uses ${KEY_SHOWN} at http://someone@127.0.0.1:9/v1?x=1 — café ✓ (not sk-but-unknown)`);
    const text = JSON.stringify(list);
    assert.ok(!text.includes(KEY) && !text.includes(PASSWORD));
    assert.deepEqual(await srv.request('model/list'), list, 'the cached answer is the redacted one');
    // Editors send back the baseUrl model/list showed them: that still names the model.
    for (const id of ['query-ref', 'userinfo']) {
      const r = await srv.request('model/select', { authType: 'openai', id, baseUrl: m.get(id).baseUrl, scope: 'session' });
      assert.equal(r.selected.id, id);
      assert.equal(r.selected.baseUrl, m.get(id).baseUrl);
    }
    // Only that exact form: trying other shapes of the hidden part tells nothing.
    const guess = await srv.requestError('model/select', { authType: 'openai', id: 'query-ref', baseUrl: 'http://127.0.0.1:9/v1?key=sk-C…WXYZ' });
    assert.equal(guess.data.code, 'ModelNotFound');
  });

  it('config/resolve: the same values, and a URL password in an environment variable', async () => {
    const srv = await start({ env: { OPENAI_BASE_URL: `http://proxyuser:${PROXY_PASSWORD}@127.0.0.1:9/v1` } });
    const r = await srv.request('config/resolve');
    const text = JSON.stringify(r);
    assert.ok(!text.includes(KEY), 'the key is not shown whole');
    assert.ok(!text.includes(PASSWORD), 'the user-info password is not shown whole');
    assert.ok(!text.includes(PROXY_PASSWORD), 'the password in OPENAI_BASE_URL is not shown whole');
    assert.equal(r.env.OPENAI_BASE_URL.value, 'http://proxyuser:pr0…d-42@127.0.0.1:9/v1');
    const configured = r.settings['modelProviders.openai'].value;
    assert.equal(configured.find((x: any) => x.id === 'query-literal').baseUrl, `http://127.0.0.1:9/v1?key=${KEY_SHOWN}`);
    assert.equal(configured.find((x: any) => x.id === 'named').name, `Mine (${KEY_SHOWN})`);
  });

  it('a canary key never appears whole in any frame, stderr or the log file of a whole session', async () => {
    const logFile = ctx.sb.path('server.log');
    const LOGIN_KEY = 'sk-CANARYlogin0123456789abcdefQRST';
    const srv = await ctx.start({
      noInit: true,
      args: ['--log-file', logFile],
      env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: `http://proxyuser:${PROXY_PASSWORD}@127.0.0.1:9/v1` },
    });
    await ctx.sb.write('home/.qwen/settings.json', JSON.stringify({ modelProviders: MODELS }, null, 2));
    // Every byte the server writes to stdout, from the very first frame.
    const raw: Buffer[] = [];
    srv.child.stdout.on('data', (b: Buffer) => raw.push(b));
    await srv.request('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(ctx.sb.project).href,
      capabilities: {},
    });
    srv.notify('initialized', {});

    await srv.request('model/list');
    await srv.request('config/resolve');
    await srv.request('auth/status');
    const sel = await srv.request('model/select', { authType: 'openai', id: 'query-ref', scope: 'session' });
    assert.equal(sel.selected.baseUrl, `http://127.0.0.1:9/v1?key=${KEY_SHOWN}`);
    await srv.waitFor('model/didChange', (p) => p.selected?.id === 'query-ref');
    await srv.request('model/select', { authType: 'openai', id: 'userinfo' });
    const notFound = await srv.requestError('model/select', { id: KEY });
    assert.equal(notFound.data.code, 'ModelNotFound');
    assert.match(notFound.message, new RegExp(KEY_SHOWN), 'the error names what was asked, redacted');
    await srv.requestError('model/select', { id: `http://user:${PASSWORD}@127.0.0.1:9/v1` });
    // Closed ports: both fail, with messages that name the URL (redacted).
    const probe = await srv.request('model/test', { authType: 'openai', id: 'query-ref' });
    assert.equal(probe.ok, false);
    const refreshed = await srv.request('model/list', { refresh: true });
    assert.ok(refreshed.warnings.length > 0);
    await srv.request('auth/login', { method: 'api-key', authType: 'openai', apiKey: LOGIN_KEY, envKey: 'OTHER_OPENAI_KEY', verify: false });
    await srv.waitFor('auth/didChange', (p) => p.envKey === 'OTHER_OPENAI_KEY');
    await srv.request('model/list');
    await srv.request('config/resolve');
    await srv.request('auth/status');
    await srv.request('auth/logout', { method: 'api-key', envKey: 'OTHER_OPENAI_KEY' });
    await srv.close();

    const frames = Buffer.concat(raw).toString('utf8');
    assert.ok(frames.includes('"id":"query-ref"'), 'the frames were captured');
    const log = await readFile(logFile, 'utf8').catch(() => '');
    for (const [what, text] of [
      ['stdout frames', frames],
      ['stderr', srv.stderr],
      ['the log file', log],
    ] as const) {
      for (const secret of [KEY, LOGIN_KEY, PASSWORD, PROXY_PASSWORD]) {
        assert.ok(!text.includes(secret), `${secret.slice(0, 8)}… appears whole in ${what}`);
      }
    }
  });
});
