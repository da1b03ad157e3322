import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { parse, type ParseError } from 'jsonc-parser';
import { ResponseError } from 'vscode-jsonrpc';
import { sandboxPerTest } from '../support/per-test.js';
import type { TestServer } from '../support/server.js';

const ctx = sandboxPerTest();

const SETTINGS = `// shared with Qwen Code: keep this comment
{
  "ui": { "theme": "dark" }, // keep
  "modelProviders": {
    "openai": [{ "id": "m0" }, { "id": "m1" }, { "id": "m2" }, { "id": "m3" }]
  },
  "outside": { "counter": 0 }
}
`;

interface Sample {
  counter: number;
  saves: number[];
}

/** What a settled file says of the outside writer's saves, or why it is wrong. */
function judge(text: string): Sample | string {
  const errors: ParseError[] = [];
  const s = parse(text, errors, { allowTrailingComma: false });
  if (errors.length > 0) return 'the file does not parse';
  if (s?.ui?.theme !== 'dark' || s?.modelProviders?.openai?.length !== 4) return 'a key other than ours and the writer’s is gone';
  const o = s.outside ?? {};
  const saves = Object.keys(o)
    .filter((k) => /^s\d+$/.test(k))
    .map((k) => Number(k.slice(1)));
  return { counter: o.counter, saves };
}

/**
 * model/select, again when the model was not found: the server may have
 * just read the file while the writer had it truncated or renamed away
 * (how reads treat a file caught mid-save is not what is tested here).
 */
async function select(srv: TestServer, id: string): Promise<{ persistedTo: string }> {
  for (let tries = 0; ; tries++) {
    try {
      return await srv.request('model/select', { authType: 'openai', id, scope: 'user' });
    } catch (err) {
      if (tries >= 20 || !(err instanceof ResponseError) || (err.data as { code?: string } | undefined)?.code !== 'ModelNotFound') throw err;
      await sleep(20);
    }
  }
}

describe('writes next to a program that takes no lock (Qwen Code, an editor)', () => {
  it('hundreds of its saves (truncate-then-write, .tmp/.orig renames, temp+rename) during 100 model/selects: none is lost, the file always parses', { timeout: 120_000 }, async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const srv = await ctx.start();
    const shared = new SharedArrayBuffer(16);
    const flags = new Int32Array(shared);
    const writer = new Worker(new URL('../config/write/fixtures/outside-writer.mjs', import.meta.url), {
      workerData: { path, shared, minSaves: 300 },
    });
    const done = new Promise<{ saves: number; problems: string[] }>((resolve, reject) => {
      writer.once('message', resolve);
      writer.once('error', reject);
    });

    // Samples taken while the writer is not in the middle of a save (it
    // truncates: then the file is empty by its doing, not ours).
    const seen: string[] = [];
    let highest = 0;
    let samples = 0;
    let monitoring = true;
    const monitor = (async () => {
      while (monitoring) {
        const gen = Atomics.load(flags, 1);
        if (Atomics.load(flags, 0) === 0) {
          let text: string | null = null;
          try {
            text = readFileSync(path, 'utf8');
          } catch {
            // Between a rename away and one in: a writer's doing.
          }
          if (text !== null && Atomics.load(flags, 0) === 0 && Atomics.load(flags, 1) === gen) {
            samples++;
            const j = judge(text);
            if (typeof j === 'string') seen.push(j);
            else {
              if (j.counter < highest) seen.push(`the writer's counter went back from ${highest} to ${j.counter}`);
              highest = Math.max(highest, j.counter);
              const missing = Array.from({ length: j.counter }, (_, k) => k + 1).filter((k) => !j.saves.includes(k));
              if (missing.length > 0) seen.push(`saves ${missing.slice(0, 5).join(', ')} are gone at counter ${j.counter}`);
            }
          }
        }
        await sleep(1);
      }
    })();

    const selected: unknown[] = [];
    let result: { saves: number; problems: string[] };
    try {
      for (let i = 0; i < 100; i++) {
        selected.push(await select(srv, `m${i % 4}`).then((r) => r.persistedTo, (err: Error) => err.message));
      }
    } finally {
      Atomics.store(flags, 2, 1);
      monitoring = false;
      await monitor;
      result = await Promise.race([done, sleep(30_000).then(() => ({ saves: 0, problems: ['the writer did not stop'] }))]);
      await writer.terminate();
    }
    assert.deepEqual(result.problems, [], 'the writer found its earlier saves gone');
    assert.deepEqual([...new Set(seen)], [], 'the file as sampled between saves');
    assert.deepEqual(new Set(selected), new Set([path]), 'every model/select saved to the user file');
    assert.ok(result.saves >= 300 && samples > 100, `${result.saves} saves, ${samples} samples`);
    const end = judge(await readFile(path, 'utf8'));
    assert.ok(typeof end !== 'string', String(end));
    assert.equal(end.counter, result.saves);
    assert.equal(end.saves.length, result.saves);
    assert.ok((await readFile(path, 'utf8')).includes('// keep'), 'comments kept');
  });
});
