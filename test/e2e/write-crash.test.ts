import assert from 'node:assert/strict';
import { chmod, readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { parse as parseDotenv } from 'dotenv';
import { parse, type ParseError } from 'jsonc-parser';
import { sandboxPerTest } from '../support/per-test.js';
import type { TestServer } from '../support/server.js';
import { filesIn } from '../support/files-in.js';

const ctx = sandboxPerTest();

const SETTINGS = `// my settings: keep this comment
{
  "ui": { "theme": "dark" }, // trailing comment
  "someFutureKey": [1, 2, 3],
  "modelProviders": {
    "openai": [{ "id": "m0" }, { "id": "m1" }, { "id": "m2" }, { "id": "m3" }]
  }
}
`;
const DOTENV = '# my keys: keep this line\nOTHER_TOOL_TOKEN=keep-me\n';
const ROUNDS = 12;
const WRITES_PER_ROUND = 9; // of each kind: 12 × 9 ≈ 100 model/selects and 100 logins

const key = (round: number, i: number) => `sk-crash-${round}-${i}-0123456789abcdef`;

function checkFiles(settingsText: string, dotenvText: string, mode: number, when: string): void {
  const errors: ParseError[] = [];
  const s = parse(settingsText, errors, { allowTrailingComma: false });
  assert.deepEqual(errors, [], `${when}: settings.json parses`);
  assert.ok(settingsText.startsWith('// my settings: keep this comment') && settingsText.includes('// trailing comment'), `${when}: comments kept`);
  assert.deepEqual([s.ui, s.someFutureKey, s.modelProviders.openai.length], [{ theme: 'dark' }, [1, 2, 3], 4], `${when}: other keys kept`);
  assert.ok(dotenvText.startsWith(DOTENV), `${when}: the other lines of .env kept`);
  assert.equal(parseDotenv(dotenvText).OTHER_TOOL_TOKEN, 'keep-me');
  assert.equal(mode & 0o777, 0o600, `${when}: .env still 0600`);
}

/** Everything in ~/.qwen that is not one of its files: what a killed writer left. */
async function leftovers(dir: string): Promise<string[]> {
  return (await filesIn(dir)).filter((n) => !['settings.json', '.env', 'trustedFolders.json'].includes(n));
}

describe('a server killed while it writes', () => {
  it('SIGKILL at random moments during model/selects and API-key logins: files intact, the next write at once, nothing left behind', { timeout: 180_000 }, async () => {
    const settingsPath = await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const dotenvPath = await ctx.sb.write('home/.qwen/.env', DOTENV);
    await chmod(dotenvPath, 0o600);
    const qwenDir = ctx.sb.path('home/.qwen');
    let next: TestServer = await ctx.start();
    let leftAtKill = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const victim = next;
      // The server that writes after the kill is up before it, so that what
      // is timed is the write, not a start-up.
      next = await ctx.start();
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < WRITES_PER_ROUND; i++) {
        pending.push(victim.request('model/select', { authType: 'openai', id: `m${i % 4}`, scope: 'user' }).catch(() => {}));
        pending.push(victim.request('auth/login', { method: 'api-key', authType: 'openai', apiKey: key(round, i), verify: false }).catch(() => {}));
      }
      await sleep(5 + Math.random() * 60);
      victim.child.kill('SIGKILL');
      const killedAt = Date.now();
      await new Promise((r) => victim.child.once('exit', r));
      if ((await leftovers(qwenDir)).length > 0) leftAtKill++;
      checkFiles(await readFile(settingsPath, 'utf8'), await readFile(dotenvPath, 'utf8'), (await stat(dotenvPath)).mode, `round ${round}, after the kill`);

      const model = `m${round % 4}`;
      const mine = `sk-after-${round}-0123456789abcdef`;
      await Promise.all([
        next.request('model/select', { authType: 'openai', id: model, scope: 'user' }),
        next.request('auth/login', { method: 'api-key', authType: 'openai', apiKey: mine, verify: false }),
      ]);
      const took = Date.now() - killedAt;
      assert.ok(took < 1000, `round ${round}: the next writes took ${took} ms after the kill`);
      const settingsText = await readFile(settingsPath, 'utf8');
      const dotenvText = await readFile(dotenvPath, 'utf8');
      checkFiles(settingsText, dotenvText, (await stat(dotenvPath)).mode, `round ${round}, after the next writes`);
      assert.equal(parse(settingsText).model.name, model);
      assert.equal(parseDotenv(dotenvText).OPENAI_API_KEY, mine);
      ctx.servers.splice(ctx.servers.indexOf(victim), 1);
      await victim.close(); // ends its pending requests
      await Promise.allSettled(pending);

      // The next start clears what the killed writer left.
      const fresh = await ctx.start();
      await fresh.request('config/resolve');
      const deadline = Date.now() + 2000;
      while ((await leftovers(qwenDir)).length > 0 && Date.now() < deadline) await sleep(20);
      assert.deepEqual(await leftovers(qwenDir), [], `round ${round}: left behind after the next start`);
      ctx.servers.splice(ctx.servers.indexOf(next), 1);
      await next.close();
      next = fresh;
    }
    assert.ok(leftAtKill > 0, 'no kill landed in the middle of a write: the test proved nothing');
  });
});
