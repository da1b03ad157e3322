/**
 * The recipes of docs/tools.md that run offline, taken from the page itself
 * (each block after a `<!-- tested: NAME -->` line): curl through `exec`
 * against a loopback provider, the sh and fish one-liners, the Emacs helpers
 * behind the gptel recipe and the Neovim one behind codecompanion's and
 * avante's. `qwen-agent-server` is found on PATH, as a person's would be.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type ProviderServer, startProviderServer } from '../peers/provider-server.js';
import { makeSandbox, type Sandbox } from '../support/sandbox.js';
import { SERVER } from '../support/server.js';
import { assertNoSecret, REPORTER, sha256 } from './fixtures/cli.js';

const DOC = readFileSync(fileURLToPath(new URL('../../docs/tools.md', import.meta.url)), 'utf8');
const TOKEN = 'qwen-recipe-access-token-canary-0123456789';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NVIM = [process.env.QWEN_TEST_NVIM, join(ROOT, '.cache', 'editors', 'bin', 'nvim')].find((p) => p && existsSync(p));

/** The code block that follows `<!-- tested: name -->` in docs/tools.md. */
function recipe(name: string): string {
  const m = new RegExp(`<!-- tested: ${name} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(DOC);
  assert.ok(m, `docs/tools.md has no tested block "${name}"`);
  return m[1]!;
}

let sb: Sandbox;
let peer: ProviderServer;
const stderrs: string[] = [];
beforeEach(async () => {
  sb = await makeSandbox();
  peer = await startProviderServer({ keys: [TOKEN] });
  // A signed-in Qwen OAuth credential whose resource_url is the loopback provider.
  await sb.write('home/.qwen/settings.json', JSON.stringify({ security: { auth: { selectedType: 'qwen-oauth' } } }));
  await sb.write(
    'home/.qwen/oauth_creds.json',
    JSON.stringify({ access_token: TOKEN, token_type: 'Bearer', resource_url: new URL(peer.url).origin, expiry_date: Date.now() + 3600_000 }),
  );
  // `qwen-agent-server` on PATH runs the bundle under test.
  await sb.write('bin/qwen-agent-server', `#!/bin/sh\nexec "${process.execPath}" "${SERVER}" "$@"\n`);
  await import('node:fs/promises').then((fs) => fs.chmod(sb.path('bin/qwen-agent-server'), 0o755));
});
afterEach(async () => {
  assertNoSecret(stderrs.splice(0), [TOKEN]);
  await peer.close();
  await sb.cleanup();
});

function run(file: string, args: string[], input?: string): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(file, args, {
    cwd: sb.project,
    env: { ...sb.env, PATH: `${sb.path('bin')}:${process.env.PATH}` },
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group: a stuck recipe is killed with whatever it started (which may hold the pipes open).
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  // A command that never reads its input may exit before the write lands.
  child.stdin.on('error', () => undefined);
  child.stdin.end(input ?? '');
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      stderrs.push(err);
      resolve({ code, out, err });
    });
  });
}

const reporter = `"${process.execPath}" "${REPORTER}" --report "${'$REPORT'}"`;
const reported = () => JSON.parse(readFileSync(sb.path('report.json'), 'utf8')).env;

describe('docs/tools.md recipes', () => {
  it('curl: the model list from coder-model\'s endpoint, the token read from stdin', async () => {
    const r = await run('sh', ['-c', recipe('curl')]);
    assert.equal(r.code, 0, r.err);
    assert.ok(JSON.parse(r.out).data.length > 0, r.out);
    assert.equal(peer.requests.length, 1);
    assert.equal(peer.requests[0]!.apiKey, TOKEN);
    assert.equal(peer.requests[0]!.path, '/v1/models');
  });

  it('sh: eval "$(qwen-agent-server env)" sets the variables', async () => {
    const r = await run('sh', ['-c', `${recipe('sh')}\n${reporter.replace('$REPORT', sb.path('report.json'))}`]);
    assert.equal(r.code, 0, r.err);
    const env = reported();
    assert.equal(env.OPENAI_API_KEY, sha256(TOKEN));
    assert.equal(env.OPENAI_BASE_URL, sha256(peer.url));
    assert.equal(env.OPENAI_MODEL, sha256('coder-model'));
  });

  it('fish: env --format fish | source sets the variables', async (t) => {
    if ((await run('sh', ['-c', 'command -v fish'])).code !== 0) {
      // CI installs it (scripts/install-test-tools.sh): there a missing fish is a failure, not a skip.
      if (process.env.CI) assert.fail('fish is not installed: run scripts/install-test-tools.sh');
      return t.skip('fish is not installed (scripts/install-test-tools.sh); cli-env.test.ts checks its quoting by its rules');
    }
    const r = await run('fish', ['-c', `${recipe('fish')}\n${reporter.replace('$REPORT', sb.path('report.json'))}`]);
    assert.equal(r.code, 0, r.err);
    assert.equal(reported().OPENAI_API_KEY, sha256(TOKEN));
    assert.equal(reported().OPENAI_BASE_URL, sha256(peer.url));
  });

  it('Emacs: the gptel helpers give the token, the endpoint and the model; a refusal is an error with its sentence', async () => {
    await sb.write('helpers.el', recipe('elisp'));
    const program = `(progn
      (load ${JSON.stringify(sb.path('helpers.el'))} nil t)
      (require 'json)
      (let ((args (my-qwen-gptel-args #'my-qwen-token)))
        (princ (json-encode (list (cons "protocol" (plist-get args :protocol))
                                  (cons "host" (plist-get args :host))
                                  (cons "endpoint" (plist-get args :endpoint))
                                  (cons "key" (funcall (plist-get args :key)))
                                  (cons "models" (mapcar #'symbol-name (plist-get args :models))))))))`;
    const r = await run('emacs', ['--batch', '-Q', '--eval', program]);
    assert.equal(r.code, 0, r.err);
    const origin = new URL(peer.url);
    assert.deepEqual(JSON.parse(r.out), { protocol: 'http', host: origin.host, endpoint: '/v1/chat/completions', key: TOKEN, models: ['coder-model'] });

    await import('node:fs/promises').then((fs) => fs.rm(sb.path('home/.qwen/oauth_creds.json')));
    const out = await run('emacs', ['--batch', '-Q', '--eval', `(progn (load ${JSON.stringify(sb.path('helpers.el'))} nil t)
      (condition-case e (my-qwen-token) (error (princ (error-message-string e)))))`]);
    assert.equal(out.code, 0, out.err);
    assert.match(out.out, /^qwen-agent-server: not signed in to Qwen OAuth; sign in from your editor/);
  });

  it('Neovim: qwen_env() gives the variables codecompanion and avante are configured with', async (t) => {
    if (!NVIM) return t.skip('Neovim 0.10+ is not installed (scripts/install-test-editors.sh)');
    await sb.write('recipe.lua', `${recipe('lua')}\nio.stdout:write(vim.json.encode(qwen_env()))\n`);
    const r = await run(NVIM, ['--clean', '-l', sb.path('recipe.lua')]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), { OPENAI_API_KEY: TOKEN, OPENAI_BASE_URL: peer.url, OPENAI_API_BASE: peer.url, OPENAI_MODEL: 'coder-model' });
  });
});
