import { AsyncLocalStorage } from 'node:async_hooks';
import { chmod, lstat, mkdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { ServerError } from '../../protocol/index.js';
import { writeFileAtomic } from './atomic.js';

export interface FileLockOptions {
  /** A lock folder untouched for this long belongs to a dead process and is taken over. */
  staleMs?: number;
  /** How long to keep trying before giving up. A bit over `staleMs`, so a crashed holder's lock can be taken over. */
  waitMs?: number;
}

const DEFAULT_STALE_MS = 10_000;
const DEFAULT_WAIT_MS = 12_000;

/** Tail of the queue of in-process callers per key: proper-lockfile alone would make them poll each other, in no particular order. */
const queues = new Map<string, Promise<void>>();
/** Files the current async call chain already holds (as spelled and as resolved → resolved), so a nested call doesn't deadlock. */
const held = new AsyncLocalStorage<ReadonlyMap<string, string>>();

/**
 * The path every process agrees on for `path`: symlinks followed (so a
 * dotfiles link is written through, not replaced by a plain file) and the
 * folder resolved even when the file doesn't exist yet (so a process that
 * sees the file and one that doesn't still lock the same thing). Creates the
 * parent folder.
 */
export async function resolveWriteTarget(path: string): Promise<string> {
  let cur = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let isLink: boolean;
    try {
      isLink = (await lstat(cur)).isSymbolicLink();
    } catch (err) {
      if (errCode(err) === 'ENOENT') break;
      throw err;
    }
    if (!isLink) break;
    cur = resolve(dirname(cur), await readlink(cur));
  }
  const dir = dirname(cur);
  await mkdir(dir, { recursive: true });
  return join(await realpath(dir), basename(cur));
}

/** Runs `task` after every earlier task queued under `key` has settled. */
async function serial<T>(key: string, task: () => Promise<T>): Promise<T> {
  const prev = queues.get(key) ?? Promise.resolve();
  let done!: () => void;
  const tail = prev.then(() => new Promise<void>((r) => (done = r)));
  queues.set(key, tail);
  await prev;
  try {
    return await task();
  } finally {
    done();
    if (queues.get(key) === tail) queues.delete(key);
  }
}

/**
 * Runs `fn` while holding the lock on `path`, against other processes (a
 * `<path>.lock` folder via proper-lockfile) and other callers in this process.
 * Callers in this process that spell the path the same way get the lock in
 * the order they asked for it, so the last change asked for is the one that
 * stays. Reentrant within one async call chain. `fn` gets the resolved path
 * (see `resolveWriteTarget`). Meant to be held for one read-modify-write.
 */
export async function withFileLock<T>(path: string, fn: (target: string) => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const key = resolve(path);
  const mine = held.getStore();
  const heldTarget = mine?.get(key);
  if (heldTarget !== undefined) return fn(heldTarget);
  // Queue before the first await: that is what keeps the callers in order.
  return serial(key, async () => {
    const target = await resolveWriteTarget(path);
    const sameFile = mine?.get(target);
    if (sameFile !== undefined) return fn(sameFile);
    const locked = async (): Promise<T> => {
      const lock = await acquire(target, path, opts);
      let result: T;
      try {
        result = await held.run(new Map([...(mine ?? []), [key, target], [target, target]]), () => fn(target));
      } finally {
        await lock.release();
      }
      if (lock.compromised()) {
        // Someone took the lock over while we held it (we were stalled for
        // longer than `staleMs`), so a concurrent writer may have read the old
        // file: our change may be overwritten.
        throw new ServerError('WriteConflict', `Lost the lock on ${path} while writing; the change may not have been kept. Try again.`, {
          path,
        });
      }
      return result;
    };
    // Other spellings of the same file (a symlink, a relative path) wait here.
    return target === key ? locked() : serial(target, locked);
  });
}

interface HeldLock {
  release(): Promise<void>;
  compromised(): boolean;
}

async function acquire(target: string, shownPath: string, opts: FileLockOptions): Promise<HeldLock> {
  const staleMs = Math.max(opts.staleMs ?? DEFAULT_STALE_MS, 2000); // proper-lockfile's floor
  const deadline = Date.now() + (opts.waitMs ?? DEFAULT_WAIT_MS);
  let delay = 5;
  for (;;) {
    let compromised = false;
    try {
      const release = await lockfile.lock(target, {
        realpath: false,
        stale: staleMs,
        retries: 0,
        // The default throws from a timer and takes the process down.
        onCompromised: () => {
          compromised = true;
        },
      });
      return {
        release: async () => {
          await release().catch(() => {
            // Already released or taken over: reported through `compromised`.
          });
        },
        compromised: () => compromised,
      };
    } catch (err) {
      if (errCode(err) !== 'ELOCKED') throw err;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ServerError('WriteConflict', `${shownPath} is being changed by another process and stayed locked; try again.`, {
          path: shownPath,
          hint: `If no other Qwen process is running, delete the folder ${target}.lock and try again.`,
        });
      }
      // Jitter so that processes that collided don't collide again in step.
      await sleep(Math.min(left, delay * (0.5 + Math.random())));
      delay = Math.min(delay * 1.5, 100);
    }
  }
}

export interface UpdateFileOptions {
  /** Mode for a new file (an existing file keeps its own). Default 0644; always 0600 with `secret`. */
  mode?: number;
  /** The new content holds a secret: new files get 0600, and an existing file readable by group or others is narrowed to 0600 before writing. */
  secret?: boolean;
}

export interface UpdateFileResult {
  changed: boolean;
  /** The file's text now (null: it still doesn't exist). */
  text: string | null;
}

/**
 * The locked read-modify-write every writer here goes through. `compute`
 * gets the current text (null: no file) and returns the new text, or null
 * for "no change"; it may run twice, so it must work from its argument only.
 *
 * The lock only keeps out writers that take it; a person's editor doesn't.
 * So just before writing, the file is read again: if it changed since it was
 * read, the edit is redone once on the new content, and if it changed again,
 * `WriteConflict` is thrown with nothing written.
 */
export async function updateFileLocked(
  path: string,
  compute: (current: string | null) => string | null | Promise<string | null>,
  opts: UpdateFileOptions = {},
): Promise<UpdateFileResult> {
  return withFileLock(path, async (target) => {
    for (let attempt = 0; ; attempt++) {
      const before = await readBytes(target);
      const text = before === null ? null : decodeUtf8(before, path);
      const next = await compute(text);
      if (next === null || next === text) return { changed: false, text };

      const now = await readBytes(target);
      if (!sameBytes(before, now)) {
        if (attempt === 0) continue;
        throw new ServerError('WriteConflict', `${path} keeps being changed by another program; nothing was written. Try again.`, {
          path,
        });
      }
      if (opts.secret && now !== null) await narrowMode(target);
      await writeFileAtomic(target, Buffer.from(next, 'utf8'), { mode: opts.secret ? 0o600 : (opts.mode ?? 0o644) });
      return { changed: true, text: next };
    }
  });
}

async function narrowMode(target: string): Promise<void> {
  const mode = (await stat(target)).mode & 0o7777;
  // Before the write, so the secret never lands in a file others can read.
  if ((mode & 0o077) !== 0) await chmod(target, 0o600);
}

async function readBytes(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return null;
    throw err;
  }
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) return a === b;
  return a.equals(b);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Refuses bytes that wouldn't survive a decode and re-encode: the untouched parts must stay byte for byte. */
function decodeUtf8(bytes: Buffer, path: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ServerError('ConfigInvalid', `${path} is not valid UTF-8 text; fix it by hand, then try again`, { path });
  }
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}
