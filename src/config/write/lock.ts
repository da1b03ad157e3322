import { AsyncLocalStorage } from 'node:async_hooks';
import fs, { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import lockfile from 'proper-lockfile';
import { ServerError } from '../../protocol/index.js';
import { writeEnded, writeStarted } from './activity.js';
import { writeFailure } from './failure.js';
import { lockPathFor } from './leftover-names.js';
import { createLockDir, removeLock, takeOverIfAbandoned } from './lock-files.js';
import { aheadOf, dropTicket, othersWaiting, type Ticket, takeTicket } from './queue.js';
import { resolveWriteTarget } from './target.js';
import { waitForRelease } from './wake.js';

export interface FileLockOptions {
  /**
   * A lock whose holder can't be checked (another machine) and that went
   * untouched this long is taken over. A holder on this machine that died
   * is taken over at once.
   */
  staleMs?: number;
  /** How long to keep trying before giving up. A bit over `staleMs`, so a lock left on another machine can be taken over. */
  waitMs?: number;
  /** The lock goes beside the file, not into the scratch folder: for folders nobody watches (see `lockPathFor`). */
  beside?: boolean;
}

const DEFAULT_STALE_MS = 10_000;
const DEFAULT_WAIT_MS = 12_000;
/** The longest sleep between two looks while a lock is held; a release usually wakes the waiter sooner. */
const MAX_PAUSE_MS = 40;
/** How often a waiter checks whether the holder has died. */
const CHECK_HOLDER_MS = 100;
/**
 * How often a waiter behind another looks again when not woken (the one
 * ahead died, or left without a trace): well within the age at which an
 * untouched ticket is no longer waited for (queue.ts).
 */
const CHECK_AHEAD_MS = 250;

/**
 * proper-lockfile keeps the lock fresh, notices when it is lost, and frees it
 * on exit; these give its lock folder the holder's record and make it go in
 * one rename (see lock-files.ts).
 */
const lockFs = {
  ...fs,
  mkdir: sync(createLockDir),
  rmdir: sync(removeLock),
  stat: sync((path) => fs.statSync(path)),
  rmdirSync: removeLock,
};

/**
 * The callback form of a synchronous call: the lock is taken and let go in
 * one go, without yielding to other tasks of this process in between
 * (which would stretch the hold for every waiter).
 */
function sync<R>(f: (path: string) => R) {
  return (path: string, cb: (err: Error | null, result?: R) => void) => {
    let result: R;
    try {
      result = f(path);
    } catch (err) {
      cb(err as Error);
      return;
    }
    cb(null, result);
  };
}

/** Tail of the queue of in-process callers per key: proper-lockfile alone would make them poll each other, in no particular order. */
const queues = new Map<string, Promise<void>>();
/** Files the current async call chain already holds (as spelled and as resolved → resolved), so a nested call doesn't deadlock. */
const held = new AsyncLocalStorage<ReadonlyMap<string, string>>();

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
 * `<name>.lock` folder, see `lockPathFor`) and other callers in this process. Callers in this
 * process that spell the path the same way get the lock in the order they
 * asked for it, so the last change asked for is the one that stays.
 * Reentrant within one async call chain. `fn` gets the resolved path (see
 * `resolveWriteTarget`). Meant to be held for one read-modify-write. A
 * refusal from the system is `WriteFailed`.
 */
export async function withFileLock<T>(path: string, fn: (target: string) => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const key = resolve(path);
  const mine = held.getStore();
  const heldTarget = mine?.get(key);
  if (heldTarget !== undefined) return fn(heldTarget);
  writeStarted();
  // Queue before the first await: that is what keeps the callers in order.
  return serial(key, async () => {
    let target: string;
    try {
      target = resolveWriteTarget(path);
    } catch (err) {
      throw writeFailure(err, path);
    }
    const sameFile = mine?.get(target);
    if (sameFile !== undefined) return fn(sameFile);
    const locked = async (): Promise<T> => {
      let lock: HeldLock;
      let result: T;
      try {
        lock = await acquire(target, path, opts);
      } catch (err) {
        throw writeFailure(err, path);
      }
      try {
        result = await held.run(new Map([...(mine ?? []), [key, target], [target, target]]), () => fn(target));
      } catch (err) {
        throw writeFailure(err, path);
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
  }).finally(writeEnded);
}

interface HeldLock {
  release(): Promise<void>;
  compromised(): boolean;
}

async function acquire(target: string, shownPath: string, opts: FileLockOptions): Promise<HeldLock> {
  const lockPath = lockPathFor(target, opts.beside);
  const staleMs = Math.max(opts.staleMs ?? DEFAULT_STALE_MS, 2000); // proper-lockfile's floor
  const came = Date.now();
  const deadline = came + (opts.waitMs ?? DEFAULT_WAIT_MS);
  // A newcomer queues behind those already waiting (queue.ts); else it tries at once.
  let ticket: Ticket | null = othersWaiting(lockPath) ? takeTicket(lockPath, came) : null;
  try {
    for (;;) {
      const ahead = ticket ? aheadOf(lockPath, ticket) : null;
      if (ahead === null) {
        const held = await tryLock(target, lockPath, staleMs);
        if (held) return held;
        ticket ??= takeTicket(lockPath, came);
        if (takeOverIfAbandoned(lockPath, 'dir')) continue;
      }
      if (Date.now() >= deadline) {
        throw new ServerError('WriteConflict', `${shownPath} is being changed by another process and stayed locked; try again.`, {
          path: shownPath,
          hint: `If no other Qwen process is running, delete the folder ${lockPath} and try again.`,
        });
      }
      // Not this one's turn: until the waiter ahead has taken the lock (its ticket goes then). Else until the lock goes.
      if (ahead !== null) await waitForRelease(ahead, Math.min(CHECK_AHEAD_MS, deadline - Date.now()));
      else await untilLooksFree(lockPath, deadline);
    }
  } finally {
    dropTicket(ticket);
  }
}

/** One try at the lock: held, or null when someone holds it. */
async function tryLock(target: string, lockPath: string, staleMs: number): Promise<HeldLock | null> {
  let compromised = false;
  try {
    const release = await lockfile.lock(target, {
      realpath: false,
      lockfilePath: lockPath,
      stale: staleMs,
      retries: 0,
      fs: lockFs,
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
    return null;
  }
}

/**
 * Waits until the lock folder is gone (its holder let go), or for a while
 * (the holder may have died: the caller checks).
 */
async function untilLooksFree(lockPath: string, deadline: number): Promise<void> {
  const checkBy = Math.min(deadline, Date.now() + CHECK_HOLDER_MS);
  let pause = 2;
  while (existsSync(lockPath)) {
    const left = checkBy - Date.now();
    if (left <= 0) return;
    // Jitter so that processes that collided don't collide again in step.
    await waitForRelease(lockPath, Math.min(left, pause * (0.5 + Math.random())));
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}
