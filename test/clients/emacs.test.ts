// The Emacs client (clients/emacs): byte-compilation without warnings,
// checkdoc, package-lint, and the ERT suite driving the real server in
// `emacs -Q --batch`, each ERT test reported as its own sub-test.
//
// Needs Emacs >= 28 and package-lint (scripts/install-emacs.sh installs
// both). Without Emacs the test is skipped, except under CI where it fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MODELS, startProviderServer } from '../peers/provider-server.js';
import { startStreamingPeer, type StreamScript, type StreamedRequest } from '../peers/streaming-provider.js';
import { envWithout, runEditor, type Run } from '../support/editor-process.js';
import { buildFixtureServer, FIXTURE_KEY, fixturePreset } from '../support/fixture-preset.js';
import { SERVER } from '../support/server.js';
import { startOidc, tail } from '../support/oidc-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PKG = join(ROOT, 'clients', 'emacs');
const MAIN = join(PKG, 'qwen-agent.el');
const TESTS = join(PKG, 'test', 'qwen-agent-tests.el');
const LINT = join(PKG, 'test', 'qwen-agent-lint.el');
const INSTALL = 'scripts/install-emacs.sh';
const PEER_KEY = 'sk-ert-peer-key-0123456789abcdef';
const DOCS = join(ROOT, 'docs', 'emacs.md');
/** A model the provider peer answers slowly: a model test that outlasts M-x's hint. */
const SLOW_MODEL = 'ert-slow-model';

/**
 * The Emacs Lisp blocks of docs/emacs.md marked `<!-- recipe: NAME -->`, by
 * name, with the docs' checkout path (~/src/qwen-agent-server) replaced by
 * this repository: the recipes run as the docs write them.
 */
function recipes(): Map<string, string> {
  const out = new Map<string, string>();
  const re = /<!-- recipe: ([\w-]+) -->\s*```elisp\n([\s\S]*?)```/g;
  for (const m of readFileSync(DOCS, 'utf8').matchAll(re)) {
    out.set(m[1]!, m[2]!.replaceAll('~/src/qwen-agent-server', ROOT.replace(/\/$/, '')));
  }
  return out;
}

/**
 * Starts a real `emacs -nw` (a terminal through util-linux's `script`, so the
 * init file and the installed packages load as at any start-up) in HOME, with
 * PROBE loaded after the init file. The probe writes its findings to OUT and
 * exits Emacs.
 */
async function runInteractiveEmacs(bin: string, home: string, probe: string, env: NodeJS.ProcessEnv): Promise<Run> {
  const cmd = `${bin} -nw -l ${probe}`;
  return runEditor('script', ['-qec', cmd, '/dev/null'], home, { ...env, HOME: home, TERM: 'xterm' }, 60_000);
}

/**
 * What the streaming peer answers an ERT chat turn, chosen by words in the
 * user's message (the ERT suite cannot reach the peer's setScript): a reply
 * paced so that its streaming is visible, one that hangs part way (to be
 * cancelled), or a thinking model's.
 */
function chatScript(r: StreamedRequest): StreamScript {
  const messages: { role: string; content: unknown }[] = Array.isArray(r.body?.messages) ? r.body.messages : [];
  const last = String([...messages].reverse().find((m) => m.role === 'user')?.content ?? '');
  if (last.includes('HANG')) return { text: ['first ', 'second ', 'never'], hangAfter: 2, intervalMs: 50 };
  if (last.includes('THINK')) return { thinking: ['Hmm, ', 'six times seven.'], text: ['42'], usage: { input: 3, output: 9, reasoning: 8 } };
  return { text: ['The ', 'answer ', 'is ', '42.'], usage: { input: 17, output: 4 }, intervalMs: 150 };
}

/** Variables that would leak the developer's real setup into a test. */
const SCRUB = /^(OPENAI_|ANTHROPIC_|GEMINI_|GOOGLE_|DASHSCOPE_|BAILIAN_|QWEN_|HTTPS?_PROXY$|https?_proxy$|NO_PROXY$|no_proxy$|ALL_PROXY$|all_proxy$)/;

function findEmacs(): { bin: string; version: string } | null {
  const bin = process.env.EMACS || 'emacs';
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout) return null;
  return { bin, version: r.stdout.split('\n')[0] ?? '' };
}

/** Runs Emacs in batch mode from the repository root. */
function runEmacs(bin: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return runEditor(bin, ['-Q', '--batch', ...args], ROOT, env, timeoutMs);
}

interface ErtResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  duration: number;
  message: string;
}

test('Emacs client (clients/emacs)', { timeout: 20 * 60_000 }, async (t) => {
  const emacs = findEmacs();
  if (!emacs) {
    if (process.env.CI) assert.fail(`Emacs is not installed: CI must run ${INSTALL} (or scripts/install-test-editors.sh) first`);
    t.skip(`Emacs is not installed: run ${INSTALL} to test the Emacs client`);
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'qwen-agent-emacs-'));
  const home = join(tmp, 'home');
  mkdirSync(home, { recursive: true });
  // Emacs itself runs in a temporary HOME too: nothing touches the real ~/.emacs.d or ~/.qwen.
  const env = envWithout(SCRUB);
  env.HOME = home;
  const elcDir = join(tmp, 'elc');
  mkdirSync(elcDir);

  try {
    await t.test(`byte-compiles without warnings (${emacs.version})`, async () => {
      for (const file of [MAIN, TESTS]) {
        const dest = join(elcDir, file.endsWith('tests.el') ? 'qwen-agent-tests.elc' : 'qwen-agent.elc');
        const r = await runEmacs(
          emacs.bin,
          [
            '-L', PKG,
            '--eval', `(setq byte-compile-error-on-warn t byte-compile-dest-file-function (lambda (_) ${JSON.stringify(dest)}))`,
            '-f', 'batch-byte-compile', file,
          ],
          env,
          120_000,
        );
        assert.equal(r.code, 0, `byte-compiling ${file}:\n${r.stdout}${r.stderr}`);
        assert.ok(existsSync(dest), `${dest} was not written`);
      }
    });

    await t.test('checkdoc', async () => {
      const r = await runEmacs(emacs.bin, ['-l', LINT, '-f', 'qwen-agent-lint-checkdoc', MAIN, LINT], env, 120_000);
      assert.equal(r.code, 0, `checkdoc:\n${r.stdout}${r.stderr}`);
    });

    await t.test('package-lint', async (st) => {
      const r = await runEmacs(emacs.bin, ['-l', LINT, '-f', 'qwen-agent-lint-package-lint', MAIN], env, 120_000);
      if (r.code === 2 && !process.env.CI) {
        st.skip(`package-lint is not installed: run ${INSTALL}`);
        return;
      }
      assert.equal(r.code, 0, `package-lint:\n${r.stdout}${r.stderr}`);
    });

    // Issue 14, item 3: the docs' Emacs 28 recipes, as written, offline (any
    // network use would go to a dead proxy), then a real start-up.
    await t.test('docs recipe: package-install-file, then the init file, in Emacs 28', async () => {
      const r = recipes();
      const install = r.get('package-install-file');
      const init = r.get('init');
      assert.ok(install && init, 'docs/emacs.md lost its package-install-file or init recipe');
      const h = join(tmp, 'home-pkg');
      mkdirSync(join(h, '.emacs.d'), { recursive: true });
      const offline = { ...env, HOME: h, http_proxy: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9' };
      writeFileSync(join(h, 'install.el'), install);
      const inst = await runEditor(emacs.bin, ['--batch', '-l', join(h, 'install.el')], h, offline, 120_000);
      assert.equal(inst.code, 0, `package-install-file:\n${inst.stdout}${inst.stderr}`);
      assert.ok(existsSync(join(h, '.emacs.d', 'elpa', 'qwen-agent-0.1.0', 'qwen-agent-autoloads.el')), 'no autoloads were installed');
      writeFileSync(join(h, '.emacs.d', 'init.el'), init);
      const out = join(h, 'probe.out');
      writeFileSync(
        join(h, 'probe.el'),
        `(require 'json)
         (defvar probe-at-start (list qwen-agent-mode (featurep 'qwen-agent) (hash-table-count qwen-agent--connections)
           (and (fboundp 'qwen-agent-events-buffer) (commandp 'qwen-agent-events-buffer))
           (keymapp qwen-agent-command-map)))
         (run-with-idle-timer 3 nil
           (lambda ()
             (with-temp-file ${JSON.stringify(out)}
               (insert (json-encode (list :atStart probe-at-start
                                          :lighter (substring-no-properties (qwen-agent-mode-line-string))
                                          :help (get-text-property 1 'help-echo (qwen-agent-mode-line-string))))))
             (kill-emacs 0)))
`,
      );
      const run = await runInteractiveEmacs(emacs.bin, h, join(h, 'probe.el'), offline);
      assert.ok(existsSync(out), `the probe wrote nothing\n${tail(run.stdout)}\n${tail(run.stderr)}`);
      const got = JSON.parse(readFileSync(out, 'utf8')) as { atStart: unknown[]; lighter: string; help: string };
      // At start-up: the mode is on and its lighter there, no server started, every command autoloaded.
      assert.deepEqual(got.atStart, [true, true, 0, true, true]);
      // Installed from a file, with no server on PATH: the lighter says so, and names what to do.
      assert.equal(got.lighter, ' Qwen[no server]');
      assert.match(got.help, /qwen-agent-server-command/);
    });

    await t.test('docs recipe: load-path, in Emacs 28, starts the server when idle', async () => {
      const init = recipes().get('load-path');
      assert.ok(init, 'docs/emacs.md lost its load-path recipe');
      const h = join(tmp, 'home-lp');
      mkdirSync(join(h, '.emacs.d'), { recursive: true });
      writeFileSync(join(h, '.emacs.d', 'init.el'), init);
      const out = join(h, 'probe.out');
      writeFileSync(
        join(h, 'probe.el'),
        `(require 'json)
         (defvar probe-at-start (list qwen-agent-mode (hash-table-count qwen-agent--connections)))
         ;; The server under test, as a person sets qwen-agent-server-command.
         (setq qwen-agent-server-command (list "node" ${JSON.stringify(SERVER)}))
         (run-with-idle-timer 2 nil
           (lambda ()
             (let ((deadline (+ (float-time) 20)))
               (while (and (< (float-time) deadline)
                           (member (qwen-agent-mode-line-string) '(" Qwen[off]" " Qwen[starting]")))
                 (accept-process-output nil 0.1)))
             (with-temp-file ${JSON.stringify(out)}
               (insert (json-encode (list :atStart probe-at-start
                                          :lighter (substring-no-properties (qwen-agent-mode-line-string))))))
             (kill-emacs 0)))
`,
      );
      const run = await runInteractiveEmacs(emacs.bin, h, join(h, 'probe.el'), { ...env, HOME: h });
      assert.ok(existsSync(out), `the probe wrote nothing\n${tail(run.stdout)}\n${tail(run.stderr)}`);
      const got = JSON.parse(readFileSync(out, 'utf8')) as { atStart: unknown[]; lighter: string };
      assert.deepEqual(got.atStart, [true, 0]);
      // The server started by itself and answered: a fresh HOME has no model selected.
      assert.equal(got.lighter, ' Qwen[no model]');
    });

    // The ERT suite, against the real server and loopback peers.
    // The bundle under test: dist/, or the folder QAS_DIST names.
    assert.ok(existsSync(SERVER), `${SERVER} is missing: run npm run build`);
    const provider = await startProviderServer({
      keys: [PEER_KEY, FIXTURE_KEY],
      models: { openai: [...DEFAULT_MODELS.openai, SLOW_MODEL] },
      behaviour: (req) => (req.model === SLOW_MODEL ? { delayMs: 3000 } : undefined),
    });
    // Chat turns: each request is logged (format, path, body) as it arrives
    // and again when its connection closes, for the ERT suite to read.
    const streamLog = join(tmp, 'stream-requests.jsonl');
    writeFileSync(streamLog, '');
    const watchers = new Set<NodeJS.Timeout>();
    const streaming = await startStreamingPeer({ keys: [PEER_KEY] });
    streaming.setScript((r) => {
      const n = streaming.requests.indexOf(r);
      appendFileSync(streamLog, `${JSON.stringify({ n, format: r.format, path: r.path, body: r.body })}\n`);
      const w = setInterval(() => {
        if (r.closedAt === undefined) return;
        clearInterval(w);
        watchers.delete(w);
        appendFileSync(streamLog, `${JSON.stringify({ n, closed: true, completed: r.completed })}\n`);
      }, 20);
      watchers.add(w);
      return chatScript(r);
    });
    const oidc = await startOidc(env);
    const results = join(tmp, 'ert-results.jsonl');
    let run: Run;
    try {
      // A preset no client knows, at the provider's endpoints: built now that it listens.
      const preset = fixturePreset(provider.origin);
      const { id, label, description, envKey } = preset;
      const fixture = { server: buildFixtureServer('emacs', [preset]), id, label, description, envKey, key: FIXTURE_KEY };
      run = await runEmacs(
        emacs.bin,
        ['-L', PKG, '-l', TESTS, '-f', 'qwen-agent-tests-run-batch'],
        {
          ...env,
          QWEN_AGENT_ERT_RESULTS: results,
          QWEN_AGENT_TEST_SERVER: SERVER,
          QWEN_AGENT_TEST_PROVIDER: JSON.stringify({ url: provider.url, origin: provider.origin, key: PEER_KEY, slowModel: SLOW_MODEL }),
          QWEN_AGENT_TEST_OIDC: oidc.info,
          QWEN_AGENT_TEST_STREAMING: JSON.stringify({ url: streaming.url, key: PEER_KEY, log: streamLog }),
          QWEN_AGENT_TEST_FIXTURE: JSON.stringify(fixture),
        },
        12 * 60_000,
      );
    } finally {
      await provider.close();
      for (const w of watchers) clearInterval(w);
      await streaming.close();
      oidc.child.kill('SIGTERM');
    }
    const lines: ErtResult[] = existsSync(results)
      ? readFileSync(results, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as ErtResult)
      : [];
    for (const r of lines) {
      await t.test(`ERT ${r.name}`, (st) => {
        if (r.status === 'skipped') {
          st.skip(r.message || 'skipped');
          return;
        }
        assert.equal(r.status, 'passed', `${r.message}\n--- Emacs output (tail) ---\n${tail(run.stdout)}\n${tail(run.stderr, 2000)}`);
      });
    }
    await t.test('ERT run completes', () => {
      assert.ok(lines.length > 0, `no ERT result was written\n${tail(run.stdout)}\n${tail(run.stderr)}`);
      assert.equal(run.code, 0, `emacs exited with ${run.code}\n${tail(run.stdout)}\n${tail(run.stderr)}`);
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
