import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { makeSandbox, type Sandbox } from '../support/sandbox.js';
import { SERVER } from '../support/server.js';
import { assertNoSecret, cli, REPORTER, type Run, sha256 } from './fixtures/cli.js';

const hasScript = () => spawnSync('sh', ['-c', 'command -v script']).status === 0;

const KEYS = {
  OPENAI_API_KEY: 'sk-exec-openai-canary-0123456789',
  RESP_KEY: 'sk-exec-responses-canary-98765432',
  ANTHROPIC_API_KEY: 'sk-ant-exec-canary-0123456789ab',
  GEMINI_API_KEY: 'AIza-exec-gemini-canary-01234567',
  GOOGLE_API_KEY: 'AIza-exec-vertex-canary-76543210',
};
const TOKEN = 'qwen-exec-access-token-canary-0123456789';
const REFRESH = 'qwen-exec-refresh-token-canary-0123456789';
const SECRETS = [...Object.values(KEYS), TOKEN, REFRESH];

let sb: Sandbox;
const runs: Run[] = [];
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(async () => {
  // The canary scan: no key or token in anything any command printed on stderr.
  assertNoSecret(runs.splice(0).map((r) => r.err), SECRETS);
  await sb.cleanup();
});

async function exec(args: string[], child: string[], opts: Parameters<typeof cli>[2] = {}) {
  const r = await cli(sb, ['exec', ...args, '--', process.execPath, REPORTER, '--report', sb.path('report.json'), ...child], opts);
  runs.push(r);
  return r;
}
const report = () => JSON.parse(readFileSync(sb.path('report.json'), 'utf8'));

async function everyProvider() {
  await sb.write('home/.qwen/.env', Object.entries(KEYS).map(([k, v]) => `${k}=${v}\n`).join(''));
  await sb.write(
    'home/.qwen/settings.json',
    JSON.stringify({
      security: { auth: { selectedType: 'openai' } },
      model: { name: 'gpt-x' },
      modelProviders: {
        openai: [{ id: 'gpt-x', baseUrl: 'http://127.0.0.1:9/v1/' }],
        'openai-responses': [{ id: 'resp-x', baseUrl: 'http://127.0.0.1:9/v1', envKey: 'RESP_KEY' }],
        anthropic: [{ id: 'claude-x', baseUrl: 'http://127.0.0.1:9/v1' }],
        gemini: [{ id: 'gem-x', baseUrl: 'http://127.0.0.1:9' }],
        'vertex-ai': [{ id: 'vert-x', baseUrl: 'http://127.0.0.1:9' }],
      },
    }),
  );
  await sb.write(
    'home/.qwen/oauth_creds.json',
    JSON.stringify({ access_token: TOKEN, refresh_token: REFRESH, token_type: 'Bearer', resource_url: 'portal.example', expiry_date: Date.now() + 3600_000 }),
  );
}

const openai = (key: string, url: string, model: string) => ({ OPENAI_API_KEY: key, OPENAI_BASE_URL: url, OPENAI_API_BASE: url, OPENAI_MODEL: model });
const EXPECTED: Record<string, Record<string, string>> = {
  'gpt-x': openai(KEYS.OPENAI_API_KEY, 'http://127.0.0.1:9/v1', 'gpt-x'),
  'resp-x': openai(KEYS.RESP_KEY, 'http://127.0.0.1:9/v1', 'resp-x'),
  // The Anthropic SDKs add /v1 themselves.
  'claude-x': { ANTHROPIC_API_KEY: KEYS.ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL: 'http://127.0.0.1:9', ANTHROPIC_MODEL: 'claude-x' },
  'gem-x': { GEMINI_API_KEY: KEYS.GEMINI_API_KEY, GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:9', GEMINI_MODEL: 'gem-x' },
  'vert-x': { GOOGLE_API_KEY: KEYS.GOOGLE_API_KEY, GOOGLE_VERTEX_BASE_URL: 'http://127.0.0.1:9', GOOGLE_MODEL: 'vert-x', GOOGLE_GENAI_USE_VERTEXAI: 'true' },
  // coder-model: the OAuth token is the key, its resource_url the endpoint (https:// and /v1 added, as Qwen Code does).
  'coder-model': openai(TOKEN, 'https://portal.example/v1', 'coder-model'),
};

describe('qwen-agent-server exec', () => {
  it('hands each auth type its own variables, and only those, through the environment alone', async () => {
    await everyProvider();
    for (const [id, want] of Object.entries(EXPECTED)) {
      const r = await exec(['--model', id], [], { env: { KEEP_ME: 'kept' } });
      assert.equal(r.code, 0, `${id}: ${r.err}`);
      const got = report();
      for (const [name, digest] of Object.entries(got.env as Record<string, string | null>)) {
        const expected = name === 'KEEP_ME' ? 'kept' : want[name];
        assert.equal(digest, expected === undefined ? null : sha256(expected), `${id}: ${name}`);
      }
      assert.equal(got.keyOnACommandLine, false, `${id}: the credential is on a command line`);
      assert.equal(got.cwd, sb.project);
    }
    // Without --model: the selected model.
    const r = await exec([], []);
    assert.equal(r.code, 0, r.err);
    assert.equal(report().env.OPENAI_MODEL, sha256('gpt-x'));
  });

  it('passes the exit status through, and stdout byte for byte while notes go to stderr', async () => {
    await everyProvider();
    for (const status of [0, 3, 42]) {
      const r = await exec([], ['--exit', String(status)]);
      assert.equal(r.code, status);
    }
    const bytes = 'ff00fe0a41420d';
    // OPENAI_MODEL set to something else: a note says it is replaced.
    const r = await exec(['--model', 'gpt-x'], ['--stdout-hex', bytes], { env: { OPENAI_MODEL: 'another' } });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.stdout.toString('hex'), bytes);
    assert.match(r.err, /note: OPENAI_MODEL is set in this environment to another value/);
  });

  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`forwards ${sig} to the command once and exits with 128 + its number`, async () => {
      await everyProvider();
      const r = await exec([], ['--wait'], {
        onSpawn: (child, stderr) => {
          const poll = setInterval(() => {
            if (stderr().includes('ready')) {
              clearInterval(poll);
              child.kill(sig);
            }
          }, 20);
        },
      });
      assert.equal(r.code, 128 + constants.signals[sig], r.err);
      assert.deepEqual(report().signals, [sig]);
    });
  }

  it('a Ctrl-C typed in a terminal reaches the command once, not once from the terminal and again forwarded', { skip: !hasScript() && 'needs script(1) for a terminal' }, async () => {
    await everyProvider();
    // script(1) runs the command on a new terminal, fed from its stdin: ^C there is the terminal's SIGINT to the foreground group.
    const command = [process.execPath, SERVER, 'exec', '--', process.execPath, REPORTER, '--report', sb.path('report.json'), '--wait'].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: sb.project, env: sb.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
    for (let i = 0; i < 300 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(out.includes('ready'), out);
    child.stdin.write('\x03');
    await ended;
    assert.deepEqual(report().signals, ['SIGINT']);
  });

  it('usage: the command goes after --', async () => {
    const none = await cli(sb, ['exec']);
    const bare = await cli(sb, ['exec', 'aider', '--yes']);
    runs.push(none, bare);
    assert.equal(none.code, 2);
    assert.match(none.err, /exec needs a command after --/);
    assert.equal(bare.code, 2);
  });

  it('a command that does not exist: 127, and a sentence', async () => {
    await everyProvider();
    const r = await cli(sb, ['exec', '--', 'no-such-command-here']);
    runs.push(r);
    assert.equal(r.code, 127);
    assert.match(r.err, /no-such-command-here: command not found/);
  });

  it('refuses a base URL that only an untrusted workspace chose, for a key from outside it; runs once the folder is trusted', async () => {
    await sb.write('home/.qwen/.env', `OPENAI_API_KEY=${KEYS.OPENAI_API_KEY}\n`);
    await sb.write(
      'work/project/.qwen/settings.json',
      JSON.stringify({ security: { auth: { selectedType: 'openai' } }, model: { name: 'evil' }, modelProviders: { openai: [{ id: 'evil', baseUrl: 'http://127.0.0.1:7/v1' }] } }),
    );
    const r = await exec([], []);
    assert.equal(r.code, 125);
    assert.match(r.err, /refused: 127\.0\.0\.1:7 is named only by this folder's settings or \.env, and the request would carry OPENAI_API_KEY/);
    assert.match(r.err, /trust/);
    assert.equal(existsSync(sb.path('report.json')), false, 'the command never ran');
    await sb.write('home/.qwen/trustedFolders.json', JSON.stringify({ [sb.project]: 'TRUST_FOLDER' }));
    const ok = await exec([], []);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(report().env.OPENAI_BASE_URL, sha256('http://127.0.0.1:7/v1'));
  });
});
