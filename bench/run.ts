/**
 * Benchmarks (figures, not pass/fail): start-up against a bare
 * vscode-languageserver server, model/list with 1,000 models, settings edit
 * to model/didChange, and peak memory. Run: npm run bench
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { Logger } from '../src/connection/logger.js';
import { createServices } from '../src/handlers/index.js';
import { makeSandbox, type Sandbox } from '../test/support/sandbox.js';
import { SERVER, startServer } from '../test/support/server.js';

const BARE = resolve('.cache/bench/bare-server.mjs');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.9))]!;
}

/** Spawn → answer to initialize, in ms; and the child's peak RSS after it (kB). */
async function startOnce(file: string, sb: Sandbox, firstRequest = false): Promise<{ ms: number; hwmKb: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [file, '--stdio'], { cwd: sb.project, env: sb.env, stdio: ['pipe', 'pipe', 'ignore'] });
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
  child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  if (firstRequest) {
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'model/list' });
    child.stdin.write(`Content-Length: ${Buffer.byteLength(list)}\r\n\r\n${list}`);
  }
  let out = '';
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!firstRequest || out.includes('"id":2')) resolve(undefined);
    });
    child.once('exit', (code) => reject(new Error(`${file} exited (${code}) before answering initialize`)));
  });
  const ms = performance.now() - t0;
  const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
  child.kill();
  await new Promise((r) => child.once('exit', r));
  return { ms, hwmKb };
}

function settingsWith(n: number): string {
  const providers: Record<string, { id: string; envKey?: string }[]> = { openai: [], anthropic: [], gemini: [], 'vertex-ai': [] };
  const keys = Object.keys(providers);
  for (let i = 0; i < n; i++) providers[keys[i % 4]!]!.push({ id: `model-${i}`, envKey: `KEY_${i % 7}` });
  return JSON.stringify({ modelProviders: providers, model: { name: 'model-0' }, security: { auth: { selectedType: 'openai' } } }, null, 2);
}

async function main(): Promise<void> {
  mkdirSync('.cache/bench', { recursive: true });
  await build({
    entryPoints: ['bench/bare-server.mjs'],
    outfile: BARE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    minifyWhitespace: true,
    minifySyntax: true,
    banner: { js: "import { createRequire as __c } from 'node:module'; const require = __c(import.meta.url);" },
    logLevel: 'error',
  });
  const sb = await makeSandbox();
  const rows: { what: string; figure: string; target: string }[] = [];
  const results: Record<string, number> = {};
  try {
    await sb.write('home/.qwen/settings.json', settingsWith(4));

    // 1. Start-up, alternating the two servers so that machine noise hits both alike.
    const ours: number[] = [];
    const bare: number[] = [];
    let oursHwm = 0;
    let bareHwm = 0;
    for (let i = 0; i < 15; i++) {
      const a = await startOnce(SERVER, sb);
      const b = await startOnce(BARE, sb);
      ours.push(a.ms);
      bare.push(b.ms);
      bareHwm = Math.max(bareHwm, b.hwmKb);
    }
    const firstAnswers: number[] = [];
    for (let i = 0; i < 15; i++) firstAnswers.push((await startOnce(SERVER, sb, true)).ms);
    results.startupMs = median(ours);
    results.firstAnswerMs = median(firstAnswers);
    results.bareStartupMs = median(bare);
    rows.push({
      what: 'spawn → initialize answer (median of 15)',
      figure: `${median(ours).toFixed(0)} ms (p90 ${p90(ours).toFixed(0)}) vs bare ${median(bare).toFixed(0)} ms: ×${(median(ours) / median(bare)).toFixed(2)}`,
      target: '≤ ×1.3',
    });
    rows.push({ what: 'spawn → first model/list answer (median of 15)', figure: `${median(firstAnswers).toFixed(0)} ms (p90 ${p90(firstAnswers).toFixed(0)})`, target: '' });

    // Peak memory of a server in ordinary use: started, config and models listed.
    const small = await startServer(sb);
    await small.request('config/resolve');
    await small.request('model/list');
    await small.request('auth/status');
    const smallHwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${small.child.pid}/status`, 'utf8'))?.[1] ?? 0);
    await small.close();
    results.peakRssSmallMb = smallHwm / 1024;

    // 2. model/list with 1,000 models.
    await sb.write('home/.qwen/settings.json', settingsWith(1000));
    const srv = await startServer(sb);
    for (let i = 0; i < 20; i++) await srv.request('model/list');
    const lists: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      await srv.request('model/list');
      lists.push(performance.now() - t0);
    }
    results.modelList1000StdioMs = median(lists);
    // The same request answered inside a server (no pipe, no client-side JSON parse of 330 KB).
    const services = await createServices({
      processEnv: sb.env,
      cwd: sb.project,
      overrides: {},
      log: new Logger(),
      notifier: { notify: () => {} },
      canShowDocument: false,
      showDocument: () => {},
    });
    const never = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
    const inProc: number[] = [];
    for (let i = 0; i < 120; i++) {
      const t0 = performance.now();
      JSON.stringify(await services.handlers['model/list']!({}, never));
      if (i >= 20) inProc.push(performance.now() - t0);
    }
    await services.dispose();
    results.modelList1000Ms = median(inProc);
    rows.push({ what: 'model/list, 1,000 models: handler + JSON (median of 100)', figure: `${median(inProc).toFixed(2)} ms (p90 ${p90(inProc).toFixed(2)})`, target: '≤ 2 ms' });
    rows.push({ what: 'model/list, 1,000 models: round trip over stdio (median of 100)', figure: `${median(lists).toFixed(2)} ms (p90 ${p90(lists).toFixed(2)}; 330 KB answer)`, target: '' });
    oursHwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${srv.child.pid}/status`, 'utf8'))?.[1] ?? 0);

    // 3. Settings edit → model/didChange.
    await new Promise((r) => setTimeout(r, 500));
    const path = sb.path('home/.qwen/settings.json');
    const base = settingsWith(1000);
    const edits: number[] = [];
    for (let i = 1; i <= 15; i++) {
      const mark = srv.notifications.length;
      const t0 = performance.now();
      await writeFile(path, base.replace('"name": "model-0"', `"name": "model-${i * 4}"`));
      await srv.waitFor('model/didChange', (p) => p.selected?.id === `model-${i * 4}`, 3000, mark);
      edits.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 150));
    }
    results.editToNotificationMs = median(edits);
    rows.push({ what: 'settings.json edit → model/didChange at the client (median of 15)', figure: `${median(edits).toFixed(0)} ms (p90 ${p90(edits).toFixed(0)})`, target: '≤ 150 ms' });
    await srv.close();

    // 4. Peak RSS.
    results.peakRssMb = oursHwm / 1024;
    results.bareRssMb = bareHwm / 1024;
    rows.push({
      what: 'peak RSS, 4 models, after config/resolve + model/list + auth/status, vs bare',
      figure: `${(smallHwm / 1024).toFixed(1)} MB vs ${(bareHwm / 1024).toFixed(1)} MB: ×${(smallHwm / bareHwm).toFixed(2)}`,
      target: '≤ ×1.3',
    });
    rows.push({
      what: 'peak RSS (1,000 models, after model/list) vs bare server',
      figure: `${(oursHwm / 1024).toFixed(1)} MB vs ${(bareHwm / 1024).toFixed(1)} MB: ×${(oursHwm / bareHwm).toFixed(2)}`,
      target: '',
    });
    const size = statSync(SERVER).size;
    results.bundleKb = size / 1024;
    rows.push({ what: 'dist/server.js (start-up bundle; chunks load on use)', figure: `${(size / 1024).toFixed(0)} KB`, target: '' });
  } finally {
    await sb.cleanup();
  }
  const w = Math.max(...rows.map((r) => r.what.length));
  console.log(`qwen-agent-server benchmarks (node ${process.version}, ${new Date().toISOString()})\n`);
  for (const r of rows) console.log(`${r.what.padEnd(w)}  ${r.figure}${r.target ? `  [target ${r.target}]` : ''}`);
  writeFileSync('.cache/bench.json', `${JSON.stringify(results, null, 2)}\n`);
  console.log('\nreproduce: npm run bench   (figures also in .cache/bench.json)');
}

await main();
