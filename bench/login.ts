/**
 * What checking a key costs a login: `auth/login {method: "api-key"}` with
 * the check (one GET …/models to a loopback provider, test/peers/
 * provider-server.ts, in this process) against the same login with
 * `verify: false`, 40 of each alternating after warm-up (the SDK and the
 * write path load on first use), a new key every time. The figure is the
 * difference of the medians: what the check adds to the login it replaces.
 *
 *   npm run bench -- login
 */
import { pathToFileURL } from 'node:url';
import { makeSandbox } from '../test/support/sandbox.js';
import { SERVER } from '../test/support/server.js';
import { startProviderServer } from '../test/peers/provider-server.js';
import { median } from './fixtures.js';
import { RawServer } from './rpc.js';

export interface LoginRow {
  what: string;
  figure: string;
  target?: string;
  met?: boolean;
}

const RUNS = 40;
const WARMUP = 5;
const percentile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(s.length * q) - 1))] ?? Number.NaN;
};

export async function login(): Promise<{ rows: LoginRow[]; results: Record<string, unknown> }> {
  const [sb, provider] = await Promise.all([makeSandbox(), startProviderServer()]);
  const s = RawServer.spawn(SERVER, { cwd: sb.project, env: { ...sb.env, OPENAI_BASE_URL: provider.url } });
  try {
    await s.initialize(pathToFileURL(sb.project).href);
    let n = 0;
    const once = async (verify: boolean): Promise<number> => {
      const params = { method: 'api-key', authType: 'openai', apiKey: `sk-bench-login-${String(n++).padStart(6, '0')}-0123456789`, verify };
      const t0 = performance.now();
      const f = await s.request('auth/login', params);
      const body = JSON.parse(f.body.toString('utf8')) as { result?: { verified?: boolean }; error?: { message: string } };
      if (!body.result) throw new Error(`auth/login failed: ${body.error?.message}`);
      if (body.result.verified !== verify) throw new Error(`auth/login answered verified: ${String(body.result.verified)}`);
      return f.at - t0;
    };
    for (let i = 0; i < WARMUP; i++) {
      await once(true);
      await once(false);
    }
    const checked: number[] = [];
    const unchecked: number[] = [];
    const checks = provider.requests.length;
    // Which goes first alternates too: a login after a login pays for the file watcher's re-read of the first.
    for (let i = 0; i < RUNS; i++) {
      if (i % 2 === 0) {
        checked.push(await once(true));
        unchecked.push(await once(false));
      } else {
        unchecked.push(await once(false));
        checked.push(await once(true));
      }
    }
    const sent = provider.requests.length - checks;
    if (sent !== RUNS) throw new Error(`${sent} check requests for ${RUNS} checked logins`);
    const added = median(checked) - median(unchecked);
    const fmt = (xs: number[]) => `${median(xs).toFixed(1)} ms (p90 ${percentile(xs, 0.9).toFixed(1)})`;
    return {
      rows: [
        { what: 'key login: what checking the key adds (loopback provider)', figure: `${added.toFixed(1)} ms`, target: '≤ 20 ms', met: added <= 20 },
        { what: '  with the check | verify: false', figure: `${fmt(checked)} | ${fmt(unchecked)}` },
      ],
      results: { addedMs: added, checked, unchecked, runs: RUNS },
    };
  } finally {
    await s.close();
    await provider.close();
    await sb.cleanup();
  }
}
