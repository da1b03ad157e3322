// The Emacs client (clients/emacs): byte-compilation without warnings,
// checkdoc, package-lint, and the ERT suite driving the real server in
// `emacs -Q --batch`, each ERT test reported as its own sub-test.
//
// Needs Emacs >= 28 and package-lint (scripts/install-emacs.sh installs
// both). Without Emacs the test is skipped, except under CI where it fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startProviderServer } from '../peers/provider-server.js';
import { envWithout, runEditor, type Run } from '../support/editor-process.js';
import { startOidc, tail } from '../support/oidc-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PKG = join(ROOT, 'clients', 'emacs');
const MAIN = join(PKG, 'qwen-agent.el');
const TESTS = join(PKG, 'test', 'qwen-agent-tests.el');
const LINT = join(PKG, 'test', 'qwen-agent-lint.el');
const INSTALL = 'scripts/install-emacs.sh';
const PEER_KEY = 'sk-ert-peer-key-0123456789abcdef';

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

    // The ERT suite, against the real server and loopback peers.
    assert.ok(existsSync(join(ROOT, 'dist', 'server.js')), 'dist/server.js is missing: run npm run build');
    const provider = await startProviderServer({ keys: [PEER_KEY] });
    const oidc = await startOidc(env);
    const results = join(tmp, 'ert-results.jsonl');
    let run: Run;
    try {
      run = await runEmacs(
        emacs.bin,
        ['-L', PKG, '-l', TESTS, '-f', 'qwen-agent-tests-run-batch'],
        {
          ...env,
          QWEN_AGENT_ERT_RESULTS: results,
          QWEN_AGENT_TEST_PROVIDER: JSON.stringify({ url: provider.url, origin: provider.origin, key: PEER_KEY }),
          QWEN_AGENT_TEST_OIDC: oidc.info,
        },
        12 * 60_000,
      );
    } finally {
      await provider.close();
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
