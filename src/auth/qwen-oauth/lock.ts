import { open, rm, stat } from 'node:fs/promises';

const STALE_MS = 10_000;
const WAIT_MS = 15_000;

/**
 * Qwen Code's lock on `~/.qwen/oauth_creds.lock`: created exclusively,
 * stale after 10 s. Both programs refresh under it, so a refresh token
 * (which the server rotates) is never used twice.
 */
export async function withOAuthLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  let delay = 20;
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lockPath).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_MS) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lockPath} is held by another process; remove it if no Qwen program is running`);
      await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
      delay = Math.min(delay * 2, 250);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}
