import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

it('the peer CLI prints one JSON line with its URL and serves requests', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/peers/provider-server-cli.ts', '--key', 'sk-cli-key-123456'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const rl = createInterface({ input: child.stdout });
    const [line] = (await once(rl, 'line')) as [string];
    const { url, origin } = JSON.parse(line) as { url: string; origin: string };
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    assert.equal(url, `${origin}/v1`);
    const ok = await fetch(`${url}/models`, { headers: { authorization: 'Bearer sk-cli-key-123456' } });
    assert.equal(ok.status, 200);
    const bad = await fetch(`${url}/models`, { headers: { authorization: 'Bearer wrong' } });
    assert.equal(bad.status, 401);
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});
