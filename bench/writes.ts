/**
 * Many editors writing one HOME: 20 server processes, each in its own
 * project, for 30 s, each sending one write after another with a pause of
 * 0–4 s between them (about 10 writes a second in all, each editor saving
 * every 2 s: far busier than people are): model/select in the user scope,
 * workspace/trust, and an API-key login (auth/login {method: "api-key"})
 * into ~/.qwen/.env. Every process makes each kind of write once before
 * the clock starts (the write path loads on first use). Figures: latency
 * of each kind, p50 and p99. Then every acknowledged write is checked
 * against the files: each process's own trust entry and key must hold the
 * last value it was told was saved, and settings.json must still parse
 * with its comment and every other key.
 *
 * Each editor starts at a random moment within its first pause, as people
 * don't save in step; the one case where they do, all 20 saving at one
 * instant, is measured once before, and shown apart.
 *
 * Every write makes each of the 20 processes read the files again (they
 * watch them), which on 2 cores is most of what a write costs; the pause
 * (QAS_BENCH_PAUSE_MS, the longest) sets how busy the machine is.
 *
 *   npm run bench -- writes
 */
import { mkdir, readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseJsonc, type ParseError } from 'jsonc-parser';
import { makeSandbox } from '../test/support/sandbox.js';
import { SERVER } from '../test/support/server.js';
import { median, sleep } from './fixtures.js';
import { RawServer } from './rpc.js';

const PROCESSES = 20;
const SECONDS = 30;
const MAX_PAUSE_MS = Number(process.env.QAS_BENCH_PAUSE_MS ?? 4000);
const MODELS = ['m0', 'm1', 'm2', 'm3'];

const SETTINGS = `// shared by every editor on this machine
{
  "ui": { "theme": "dark" }, // keep me
  "unknownFutureKey": { "nested": [1, 2, 3] },
  "modelProviders": {
    "openai": [{ "id": "m0" }, { "id": "m1" }, { "id": "m2" }, { "id": "m3" }]
  }
}
`;

export interface WritesRow {
  what: string;
  figure: string;
  target?: string;
  met?: boolean;
}

type Kind = 'select' | 'trust' | 'login';

const percentile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(s.length * q) - 1))] ?? Number.NaN;
};

export async function writes(): Promise<{ rows: WritesRow[]; results: Record<string, unknown> }> {
  const sb = await makeSandbox();
  try {
    const settingsPath = await sb.write('home/.qwen/settings.json', SETTINGS);
    const projects = Array.from({ length: PROCESSES }, (_, i) => sb.path('work', `p${i}`));
    await Promise.all(projects.map((p) => mkdir(p, { recursive: true })));
    const servers = projects.map((cwd) => RawServer.spawn(SERVER, { cwd, env: sb.env }));
    await Promise.all(servers.map((s, i) => s.initialize(pathToFileURL(projects[i]!).href)));
    await sleep(500); // the watchers start after `initialized`
    // Each process loads its write path once (a chunk loaded on first use), one at a time, before anything is timed.
    for (const [p, s] of servers.entries()) {
      await s.request('model/select', { authType: 'openai', id: MODELS[0], scope: 'user' });
      await s.request('workspace/trust', { level: 'DO_NOT_TRUST' });
      await s.request('auth/login', { method: 'api-key', authType: 'openai', envKey: `BENCH_P${p}_KEY`, apiKey: `sk-bench-${p}-warm-${'x'.repeat(20)}`, verify: false });
    }
    await sleep(1000);

    // Every editor saving at the same instant, once: how long the last of a herd waits (no target; shown apart).
    const herd = await Promise.all(
      servers.map(async (s, p) => {
        const t0 = performance.now();
        const f = await s.request('model/select', { authType: 'openai', id: MODELS[p % MODELS.length], scope: 'user' });
        return f.at - t0;
      }),
    );
    await sleep(2000);

    const times: Record<Kind, number[]> = { select: [], trust: [], login: [] };
    const failures: string[] = [];
    const lastTrust: (string | undefined)[] = [];
    const lastKey: (string | undefined)[] = [];
    const lastSelect: (string | undefined)[] = [];
    const end = performance.now() + SECONDS * 1000;
    await Promise.all(
      servers.map(async (s, p) => {
        // Editors are not in step: each starts at a moment of its own within one pause (the herd is measured above).
        await sleep(Math.random() * MAX_PAUSE_MS);
        for (let n = 0; performance.now() < end; n++) {
          const r = Math.random();
          const kind: Kind = r < 0.5 ? 'select' : r < 0.75 ? 'trust' : 'login';
          const model = MODELS[n % MODELS.length]!;
          const level = n % 2 ? 'TRUST_FOLDER' : 'DO_NOT_TRUST';
          const key = `sk-bench-${p}-${n}-${'x'.repeat(20)}`;
          const [method, params] =
            kind === 'select'
              ? ['model/select', { authType: 'openai', id: model, scope: 'user' }]
              : kind === 'trust'
                ? ['workspace/trust', { level }]
                : ['auth/login', { method: 'api-key', authType: 'openai', envKey: `BENCH_P${p}_KEY`, apiKey: key, verify: false }];
          const t0 = performance.now();
          const f = await s.request(method, params);
          const took = f.at - t0;
          const answer = JSON.parse(f.body.toString('utf8'));
          if (answer.error) {
            failures.push(`${method}: ${answer.error.message}`);
          } else {
            times[kind].push(took);
            if (kind === 'select') lastSelect[p] = model;
            else if (kind === 'trust') lastTrust[p] = level;
            else lastKey[p] = key;
          }
          await sleep(Math.random() * MAX_PAUSE_MS);
        }
      }),
    );
    await Promise.all(servers.map((s) => s.close()));

    // Every acknowledged write is on disk.
    const lost: string[] = [];
    const trusted = JSON.parse(await readFile(sb.path('home/.qwen/trustedFolders.json'), 'utf8')) as Record<string, string>;
    const env = parseDotenv(await readFile(sb.path('home/.qwen/.env'), 'utf8'));
    projects.forEach((dir, p) => {
      if (lastTrust[p] !== undefined && trusted[dir] !== lastTrust[p]) lost.push(`trust of ${dir}: ${trusted[dir]} instead of ${lastTrust[p]}`);
      if (lastKey[p] !== undefined && env[`BENCH_P${p}_KEY`] !== lastKey[p]) lost.push(`BENCH_P${p}_KEY is not the last key saved`);
    });
    const text = await readFile(settingsPath, 'utf8');
    const errors: ParseError[] = [];
    const settings = parseJsonc(text, errors, { allowTrailingComma: false });
    if (errors.length > 0) lost.push('settings.json no longer parses');
    if (!text.includes('// keep me') || settings?.ui?.theme !== 'dark' || settings?.unknownFutureKey?.nested?.length !== 3) {
      lost.push('settings.json lost a comment or a key');
    }
    if (settings?.modelProviders?.openai?.length !== MODELS.length) lost.push('settings.json lost its modelProviders');
    if (!lastSelect.includes(settings?.model?.name)) lost.push(`settings.json holds model ${settings?.model?.name}, none of the last choices`);

    const fig = (xs: number[]) => `p50 ${median(xs).toFixed(0)} ms, p99 ${percentile(xs, 0.99).toFixed(0)} ms (${xs.length})`;
    const p99 = { select: percentile(times.select, 0.99), trust: percentile(times.trust, 0.99), login: percentile(times.login, 0.99) };
    const results = {
      processes: PROCESSES,
      seconds: SECONDS,
      writesMs: Object.fromEntries(
        (Object.keys(times) as Kind[]).map((k) => [k, { count: times[k].length, p50: median(times[k]), p99: p99[k], max: Math.max(...times[k]) }]),
      ),
      herdMs: { p50: median(herd), max: Math.max(...herd) },
      failed: failures.length,
      failures: [...new Set(failures)].slice(0, 5),
      lost,
    };
    const rows: WritesRow[] = [
      {
        what: `${PROCESSES} processes × ${SECONDS} s of writes on one HOME: model/select (user)`,
        figure: fig(times.select),
        target: 'p99 ≤ 250 ms',
        met: p99.select <= 250,
      },
      { what: '  workspace/trust', figure: fig(times.trust), target: 'p99 ≤ 250 ms', met: p99.trust <= 250 },
      { what: '  auth/login api-key (.env)', figure: fig(times.login) },
      { what: `  all ${PROCESSES} model/select at one instant, once`, figure: `p50 ${median(herd).toFixed(0)} ms, last ${Math.max(...herd).toFixed(0)} ms` },
      {
        what: '  acknowledged writes lost | requests failed',
        figure: `${lost.length} | ${failures.length}${lost.length ? `: ${lost.slice(0, 3).join('; ')}` : ''}`,
        target: '0 | 0',
        met: lost.length === 0 && failures.length === 0,
      },
    ];
    return { rows, results };
  } finally {
    await sb.cleanup();
  }
}
