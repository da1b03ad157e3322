import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { startProviderServer } from '../peers/provider-server.js';
import { sandboxPerTest } from '../support/per-test.js';
import { cli } from './fixtures/cli.js';

const ctx = sandboxPerTest();
const GOOD = 'sk-verdict-good-0123456789abcdef';
const BAD = 'sk-verdict-refused-0123456789abcd';

// Issue 12: `verified` is what the provider said of a key, whichever process asked it.
describe('key verdicts shared by every process', () => {
  it('a key the provider refused in one server is verified: false in another and a note for env; the record holds no key', async () => {
    const peer = await startProviderServer({ keys: [GOOD], models: { openai: ['m1'] } });
    try {
      await ctx.sb.write(
        'home/.qwen/settings.json',
        JSON.stringify({
          model: { name: 'm1' },
          security: { auth: { selectedType: 'openai' } },
          modelProviders: { openai: [{ id: 'm1', baseUrl: peer.url, envKey: 'VERDICT_KEY', generationConfig: { maxRetries: 0 } }] },
        }),
      );
      await ctx.sb.write('home/.qwen/.env', `VERDICT_KEY=${BAD}\n`);
      const first = await ctx.start();
      const test = await first.request('model/test', { authType: 'openai', id: 'm1' });
      assert.equal(test.ok, false);
      const mine = (await first.request('auth/status')).methods.find((m: { envKey?: string }) => m.envKey === 'VERDICT_KEY');
      assert.equal(mine.verified, false);

      const second = await ctx.start();
      let theirs;
      for (let i = 0; i < 30; i++) {
        theirs = (await second.request('auth/status')).methods.find((m: { envKey?: string }) => m.envKey === 'VERDICT_KEY');
        if (theirs.verified !== undefined) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(theirs.verified, false, 'the other server knows the key was refused');

      const env = await cli(ctx.sb, ['env']);
      assert.equal(env.code, 0, env.err);
      assert.match(env.err, /refused VERDICT_KEY when it was last checked/);
      assert.ok(!env.err.includes(BAD));

      const record = ctx.sb.path('home/.local/state/qwen-agent-server/verdicts.json');
      assert.equal((await stat(record)).mode & 0o777, 0o600);
      assert.ok(!(await readFile(record, 'utf8')).includes(BAD), 'no key in the record');

      // Fixed by hand: a new key has no verdict until checked; the check's "accepted" reaches the other server.
      await ctx.sb.write('home/.qwen/.env', `VERDICT_KEY=${GOOD}\n`);
      await first.waitFor('auth/didChange', (p) => p.envKey === 'VERDICT_KEY' && p.verified === undefined, 3000).catch(() => undefined);
      const again = await first.request('model/test', { authType: 'openai', id: 'm1' });
      assert.equal(again.ok, true, JSON.stringify(again));
      let now;
      for (let i = 0; i < 30; i++) {
        now = (await second.request('auth/status')).methods.find((m: { envKey?: string }) => m.envKey === 'VERDICT_KEY');
        if (now.verified === true) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(now.verified, true);
    } finally {
      await peer.close();
    }
  });
});
