// The Neovim client (clients/neovim): its headless Lua suite, run in real
// Neovim >= 0.10 against the real server and the loopback peers, each Lua
// test reported as its own sub-test.
//
// Neovim is found through QWEN_TEST_NVIM, else <repo>/.cache/editors/bin/nvim
// (scripts/install-neovim.sh), else `nvim` on PATH when it is 0.10 or later.
// Without it the test is skipped, except under CI where it fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startProviderServer } from '../peers/provider-server.js';
import { startStreamingPeer, type StreamingPeer, type StreamScript } from '../peers/streaming-provider.js';
import { envWithout, runEditor, type Run } from '../support/editor-process.js';
import { buildFixtureServer, FIXTURE_KEY, fixturePreset } from '../support/fixture-preset.js';
import { startOidc, tail } from '../support/oidc-process.js';
import { SERVER } from '../support/server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PLUGIN = join(ROOT, 'clients', 'neovim');
const TESTS = join(PLUGIN, 'tests');
const INSTALL = 'scripts/install-neovim.sh';
const PEER_KEY = 'sk-nvim-peer-key-0123456789abcdef';
const STREAM_KEY = 'sk-nvim-stream-key-0123456789abcdef';
/** The Lua file run against the server built with a fixture preset (test/support/fixture-preset.ts). */
const FIXTURE_FILE = 'test_fixture_preset.lua';

/**
 * What the streaming peer answers, chosen by a word in the question (the
 * Lua tests cannot reach the peer's setScript): `[slow]` paces ten pieces
 * 150 ms apart, `[hang]` sends two pieces then holds the connection open,
 * `[fail]` breaks off with an error event after one piece, `[think]`
 * streams thinking first; anything else, four quick pieces.
 */
function chatScript(body: any): StreamScript {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  const last = messages[messages.length - 1];
  const q = typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content ?? '');
  if (q.includes('[slow]')) return { text: Array.from({ length: 10 }, (_, i) => `piece${i + 1} `), usage: { input: 20, output: 10 }, intervalMs: 150 };
  if (q.includes('[hang]')) return { text: ['partial ', 'answer ', 'never sent'], hangAfter: 2, intervalMs: 20 };
  if (q.includes('[fail]')) return { text: ['half an ', 'answer'], errorAfter: 1 };
  if (q.includes('[think]')) return { thinking: ['Six times ', 'seven.\nThat is 42.'], text: ['The answer ', 'is 42.'], usage: { input: 9, output: 7, reasoning: 5 } };
  return { text: ['Hello', ' from', ' the', ' peer.'], usage: { input: 12, output: 4 }, intervalMs: 20 };
}

/** GET /requests: what the streaming peer received (body, path, whether its connection closed), for the Lua tests. */
async function startPeerControl(peer: StreamingPeer): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url !== '/requests') return void res.writeHead(404).end();
    const list = peer.requests.map((r) => ({ path: r.path, body: r.body, closed: r.closedAt !== undefined, completed: r.completed }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(list));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Variables that would leak the developer's real setup into a test. */
const SCRUB =
  /^(OPENAI_|ANTHROPIC_|GEMINI_|GOOGLE_|DASHSCOPE_|BAILIAN_|QWEN_|NVIM$|NVIM_LISTEN_ADDRESS$|NVIM_APPNAME$|MYVIMRC$|VIMINIT$|VIMRUNTIME$|XDG_|HTTPS?_PROXY$|https?_proxy$|NO_PROXY$|no_proxy$|ALL_PROXY$|all_proxy$|SSH_)/;

/** Neovim >= 0.10, or null with the reason. */
function findNvim(): { bin: string; version: string } | { bin: null; why: string } {
  const candidates: string[] = [];
  if (process.env.QWEN_TEST_NVIM) candidates.push(process.env.QWEN_TEST_NVIM);
  const local = join(ROOT, '.cache', 'editors', 'bin', 'nvim');
  if (existsSync(local)) candidates.push(local);
  candidates.push('nvim');
  const seen: string[] = [];
  for (const bin of candidates) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 20_000 });
    const first = r.status === 0 && r.stdout ? (r.stdout.split('\n')[0] ?? '') : '';
    const m = /^NVIM v(\d+)\.(\d+)/.exec(first);
    if (m && (Number(m[1]) > 0 || Number(m[2]) >= 10)) return { bin, version: first };
    seen.push(`${bin}: ${first || 'not runnable'}`);
  }
  return { bin: null, why: `no Neovim 0.10 or later (${seen.join('; ')})` };
}

/** Runs the headless test runner in `cwd`. */
function runNvim(bin: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  const args = ['--headless', '-n', '-i', 'NONE', '-u', join(TESTS, 'init.lua'), '-c', "lua vim.schedule(require('runner').main)"];
  return runEditor(bin, args, cwd, env, timeoutMs);
}

/** Pids of processes (on Linux) whose working directory is inside `dir`. */
function serversIn(dir: string): number[] {
  if (!existsSync('/proc/self/cwd')) return [];
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/cwd`).startsWith(dir)) out.push(Number(name));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return out;
}

interface LuaResult {
  file: string;
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  duration: number;
  message: string;
}

test('Neovim client (clients/neovim)', { timeout: 15 * 60_000 }, async (t) => {
  const nvim = findNvim();
  if (nvim.bin === null) {
    if (process.env.CI) assert.fail(`Neovim 0.10+ is not installed: CI must run ${INSTALL} (or scripts/install-test-editors.sh) first; ${nvim.why}`);
    t.skip(`Neovim 0.10+ is not installed: run ${INSTALL} to test the Neovim client (${nvim.why})`);
    return;
  }
  assert.ok(existsSync(SERVER), `${SERVER} is missing: run npm run build (or scripts/build.mjs with QAS_DIST)`);

  const base = envWithout(SCRUB);
  const tmp = mkdtempSync(join(tmpdir(), 'qwen-agent-nvim-'));
  const provider = await startProviderServer({ keys: [PEER_KEY, FIXTURE_KEY] });
  const oidc = await startOidc({ ...base, HOME: join(tmp, 'oidc-home') });
  const stream = await startStreamingPeer({ keys: [STREAM_KEY] });
  stream.setScript((r) => chatScript(r.body));
  const control = await startPeerControl(stream);
  const files = readdirSync(TESTS)
    .filter((f) => /^test_.*\.lua$/.test(f))
    // NVIM_QWEN_ONLY=test_login,test_model runs those files only (development).
    .filter((f) => !process.env.NVIM_QWEN_ONLY || process.env.NVIM_QWEN_ONLY.split(',').includes(f.replace(/\.lua$/, '')))
    .sort();

  try {
    await t.test(`found ${nvim.version} (${nvim.bin})`, () => {});
    // Its endpoints are the provider's: built now that it listens.
    const preset = fixturePreset(provider.origin);
    const fixtureServer = files.includes(FIXTURE_FILE) ? buildFixtureServer('neovim', [preset]) : SERVER;
    for (const file of files) {
      // Each file gets a fresh Neovim, HOME, project and system folder.
      const sb = join(tmp, file.replace(/\.lua$/, ''));
      const home = join(sb, 'home');
      const project = join(sb, 'work', 'project');
      const etc = join(sb, 'etc');
      for (const d of [home, project, etc]) mkdirSync(d, { recursive: true });
      const results = join(sb, 'results.jsonl');
      const env: NodeJS.ProcessEnv = {
        ...base,
        HOME: home,
        XDG_CONFIG_HOME: join(sb, 'xdg', 'config'),
        XDG_DATA_HOME: join(sb, 'xdg', 'data'),
        XDG_STATE_HOME: join(sb, 'xdg', 'state'),
        XDG_CACHE_HOME: join(sb, 'xdg', 'cache'),
        QWEN_CODE_SYSTEM_SETTINGS_PATH: join(etc, 'settings.json'),
        QWEN_CODE_SYSTEM_DEFAULTS_PATH: join(etc, 'system-defaults.json'),
        QWEN_CODE_TRUSTED_FOLDERS_PATH: join(home, '.qwen', 'trustedFolders.json'),
        // Any real Qwen endpoint is unreachable by construction; the OAuth
        // test points the server at the loopback peer through setup({ env }).
        QWEN_OAUTH_DEVICE_AUTHORIZATION_URL: 'http://127.0.0.1:9/device',
        QWEN_OAUTH_TOKEN_URL: 'http://127.0.0.1:9/token',
        // The bundle under test ($QAS_DIST or dist/), in place of the one
        // next to the plugin (tests/init.lua).
        NVIM_QWEN_TEST_SERVER: file === FIXTURE_FILE ? fixtureServer : SERVER,
        NVIM_QWEN_TEST_FIXTURE: JSON.stringify({ id: preset.id, label: preset.label, envKey: preset.envKey, key: FIXTURE_KEY }),
        // Key checks against a provider's real host fail at once, on
        // loopback: nothing leaves the machine.
        HTTPS_PROXY: 'http://127.0.0.1:9',
        HTTP_PROXY: 'http://127.0.0.1:9',
        NO_PROXY: '127.0.0.1,localhost',
        NVIM_QWEN_TEST_NVIM: nvim.bin,
        NVIM_QWEN_TEST_FILES: file,
        NVIM_QWEN_TEST_RESULTS: results,
        NVIM_QWEN_TEST_PROVIDER: JSON.stringify({ url: provider.url, origin: provider.origin, key: PEER_KEY }),
        NVIM_QWEN_TEST_OIDC: oidc.info,
        NVIM_QWEN_TEST_STREAM: JSON.stringify({ url: stream.url, origin: stream.origin, key: STREAM_KEY, control: control.url }),
        TERM: 'dumb',
      };
      const run = await runNvim(nvim.bin, project, env, 5 * 60_000);
      const lines: LuaResult[] = existsSync(results)
        ? readFileSync(results, 'utf8')
            .split('\n')
            .filter((l) => l.trim() !== '')
            .map((l) => JSON.parse(l) as LuaResult)
        : [];
      for (const r of lines) {
        await t.test(`${file}: ${r.name}`, (st) => {
          if (r.status === 'skipped') {
            st.skip(r.message || 'skipped');
            return;
          }
          assert.equal(r.status, 'passed', `${r.message}\n--- Neovim output (tail) ---\n${tail(run.stdout, 1500)}\n${tail(run.stderr, 1500)}`);
        });
      }
      await t.test(`${file}: Neovim exits cleanly and leaves no server running`, async () => {
        assert.ok(lines.length > 0, `no Lua result was written\n${tail(run.stdout)}\n${tail(run.stderr)}`);
        assert.equal(run.code, 0, `nvim exited with ${run.code}\n${tail(run.stdout)}\n${tail(run.stderr)}`);
        const deadline = Date.now() + 2000;
        let left = serversIn(sb);
        while (left.length > 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          left = serversIn(sb);
        }
        for (const pid of left) process.kill(pid, 'SIGKILL');
        assert.deepEqual(left, [], 'servers still running after Neovim quit');
      });
    }
  } finally {
    await provider.close();
    await control.close();
    await stream.close();
    oidc.child.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  }
});
