import { writeFailure } from '../../config/write/failure.js';
import { createLockFile, releaseLockFile, takeOverIfAbandoned } from '../../config/write/lock-files.js';
import { waitForRelease } from '../../config/write/wake.js';
import { ServerError } from '../../protocol/index.js';

/** Qwen Code 0.24's LOCK_TIMEOUT_MS (sharedTokenManager.ts): the age at which it takes a lock over. */
const STALE_MS = 35_000;
/** Long enough to outlast a lock that a killed Qwen Code left, which only its age can free. */
const WAIT_MS = 40_000;
const MAX_PAUSE_MS = 100;

/**
 * Qwen Code's lock on `~/.qwen/oauth_creds.lock`, so that a refresh token
 * (which the server rotates) is never used twice: a file created
 * exclusively, deleted when done, taken over once older than 35 s. Qwen
 * Code writes a random id into it and never reads it back; this server
 * writes its pid, start time and host instead, so that a lock whose holder
 * died is taken over at once. Qwen Code's own (an id, nothing to check) is
 * honoured until its age frees it, as Qwen Code would.
 */
export async function withOAuthLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  await acquire(lockPath);
  try {
    return await fn();
  } finally {
    releaseLockFile(lockPath);
  }
}

async function acquire(lockPath: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  let pause = 5;
  for (;;) {
    try {
      await createLockFile(lockPath);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw writeFailure(err, lockPath);
    }
    if (takeOverIfAbandoned(lockPath, 'file', STALE_MS)) continue;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new ServerError('WriteConflict', `${lockPath} is held by another process: a Qwen sign-in is being refreshed elsewhere`, {
        path: lockPath,
        hint: `try again; if no Qwen program is running, delete ${lockPath}`,
      });
    }
    await waitForRelease(lockPath, Math.min(left, pause * (0.5 + Math.random())));
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
}
