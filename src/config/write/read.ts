import { closeSync, constants, existsSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { notRegularFile } from './failure.js';

/** How long an empty or unusable file must stay the same before it is taken as it is. */
const SETTLE_MS = 100;
/** How long to wait at most for a file that keeps changing and never becomes usable. */
const SETTLE_MAX_MS = 2000;

/**
 * The bytes of the file at `path`, or null when there is none. Only a
 * regular file is ever opened: a named pipe would block the read forever
 * and a device would never end, so anything else is `WriteFailed`.
 * Synchronous, as everything done while a file's lock is held.
 */
export function readRegularSync(path: string): Buffer | null {
  let fd: number;
  try {
    const s = statSync(path);
    if (!s.isFile()) throw notRegularFile(path, s);
    // O_NONBLOCK: should a pipe be swapped in since the stat, opening it must not hang.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const s = fstatSync(fd);
    if (!s.isFile()) throw notRegularFile(path, s);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a file another program may be writing without a lock, as Qwen Code
 * does. A read that `usable` rejects (empty, cut off: caught between a
 * truncation and the write that follows) is never trusted at once, nor is
 * a missing file while Qwen Code's `<file>.orig` is beside it (it renames
 * the file away, then its new copy in): the file is read again until it is
 * usable, or has stayed the same for a while, so that a write is never
 * based on a file caught halfway.
 */
export async function readSettled(path: string, usable: (bytes: Buffer) => boolean): Promise<Buffer | null> {
  const settled = (b: Buffer | null) => (b === null ? !existsSync(`${path}.orig`) : usable(b));
  let last = readRegularSync(path);
  if (settled(last)) return last;
  const started = Date.now();
  let since = started;
  let delay = 1;
  for (;;) {
    await sleep(delay);
    delay = Math.min(delay * 2, 20);
    const now = readRegularSync(path);
    if (settled(now)) return now;
    const t = Date.now();
    if (now === null ? last !== null : last === null || !now.equals(last)) {
      last = now;
      since = t;
    }
    if (t - since >= SETTLE_MS || t - started >= SETTLE_MAX_MS) return now;
  }
}
