import { closeSync, constants, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFailure } from './failure.js';
import { tempPathFor } from './leftover-names.js';

export interface AtomicWriteOptions {
  /** Mode for a file that does not exist yet; an existing file keeps its own. */
  mode?: number;
  /** The temp file goes beside the file, not into the scratch folder: for folders nobody watches (see `tempPathFor`). */
  beside?: boolean;
}

/**
 * A temp file beside `target` holding `data`, synced to disk, ready to be
 * renamed over it; its path. Created exclusively with its final mode from
 * the start, so a secret is never readable by others, not even for a
 * moment. Synchronous: it is written while the file's lock is held, and
 * nothing else in this process should stretch that.
 */
export function writeTempSync(target: string, data: string | Uint8Array, mode: number, beside = false): string {
  const path = tempPathFor(target, beside);
  const fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, mode);
  try {
    writeFileSync(fd, data);
    fchmodSync(fd, mode); // the umask may have narrowed it
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    discardTemp(path);
    throw err;
  }
  closeSync(fd);
  return path;
}

export function discardTemp(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already.
  }
}

/**
 * Makes a rename in `dir` durable. Synchronous: three trips through the
 * thread pool cost a busy process far more than the sync itself.
 */
export function syncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, constants.O_RDONLY);
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a file so that a reader sees either the old bytes or the new ones,
 * never a mix, even if the process dies halfway: temp file, fsync, rename
 * over, fsync the folder. For files only this server and Qwen Code's
 * token refresh write, under their own lock; anything a person or another
 * program may edit goes through `updateFileLocked`.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  try {
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    let mode = opts.mode ?? 0o644;
    try {
      mode = (await stat(path)).mode & 0o7777;
    } catch {
      // A new file: the requested mode.
    }
    const tmp = writeTempSync(path, data, mode, opts.beside);
    try {
      renameSync(tmp, path);
    } catch (err) {
      discardTemp(tmp);
      throw err;
    }
    syncDir(dir);
  } catch (err) {
    throw writeFailure(err, path);
  }
}
